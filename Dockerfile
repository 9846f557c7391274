# Platform Pulse: one image for the sampler (the default command) and the dashboard.
#
#   docker build -t platform-pulse .
#   docker run -d --name pulse -v pulse-data:/data platform-pulse
#   docker run --rm -v pulse-data:/data platform-pulse python -m monitors status
#
# The sampler and the dashboard as two services on one volume: deploy/docker-compose.yml.
# More in docs/operations.md.
FROM python:3.11-slim

# CHROMIUM=true adds Debian's Chromium so meeting reports include chart images
# (kaleido drives the system browser); without it reports are written without charts.
ARG CHROMIUM=false

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITORS_DATA=/data

RUN if [ "$CHROMIUM" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends chromium \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# A fixed, unprivileged uid, so a bind-mounted data folder or secrets file can be given to it.
RUN groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid pulse --create-home --home-dir /home/pulse \
        --shell /usr/sbin/nologin pulse

WORKDIR /app

# Dependencies first: this layer is reused until requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The package itself (gives the `monitors` command). The source copy is removed afterwards
# so `python -m monitors` run from /app imports the installed package, not a second copy.
COPY pyproject.toml README.md ./
COPY monitors ./monitors
RUN pip install --no-deps . \
    && rm -rf build monitors ./*.egg-info

# The dashboard runs from here: streamlit run dashboard.py (see deploy/docker-compose.yml).
COPY dashboard.py ./
COPY dashboard_pages ./dashboard_pages
COPY .streamlit/config.toml ./.streamlit/config.toml

RUN mkdir -p /data && chown pulse:pulse /data
VOLUME ["/data"]

USER pulse
EXPOSE 8501

# Exit 0 while the sampler's heartbeat is fresh, 1 when stale (no round for 3 intervals),
# stopped, never started, invalid, or from the future (clock skew: the heartbeat proves
# nothing then): the one rule of `monitors status` on a host and the dashboard's banner.
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD python -m monitors status || exit 1

CMD ["python", "-m", "monitors", "run"]
