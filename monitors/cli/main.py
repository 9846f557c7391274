"""The command line: parse args, call one function per command, map errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
from collections.abc import Sequence

from monitors.cli import note_args
from monitors.config import ConfigError, load_settings
from monitors.timeutil import parse_duration

log = logging.getLogger("monitors")

# command -> "module:function"; each function takes (args, settings) and returns an exit code.
COMMANDS: dict[str, str] = {
    "run": "monitors.cli.service:cli_run",
    "check": "monitors.cli.check:cli_check",
    "incidents": "monitors.cli.analysis:cli_incidents",
    "summary": "monitors.cli.analysis:cli_summary",
    "export": "monitors.cli.export:cli_export",
    "report": "monitors.cli.export:cli_report",
    "compact": "monitors.cli.maintenance:cli_compact",
    "status": "monitors.cli.status:cli_status",
    "alerts": "monitors.cli.alerts:cli_alerts",
    "demo": "monitors.demo:cli_demo",
    "doctor": "monitors.cli.doctor:cli_doctor",
    "notice": "monitors.cli.notice:cli_notice",
    "note": "monitors.cli.notes:cli_note",
    "ack": "monitors.cli.notes:cli_ack",
}


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's usage error: one line on stderr, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = " ".join(message.split())
        self.exit(2, f"error: {message} (see: {self.prog} --help)\n")


# commands that read a data folder's history: they default to the config it was recorded with
READS_HISTORY = frozenset({"incidents", "summary", "export", "report", "note", "ack",
                           "notice"})


def _window(value: str) -> str:
    try:
        if parse_duration(value) <= 0:
            raise ValueError("must be longer than zero")
    except ValueError as exc:
        text = str(exc) if repr(value) in str(exc) else f"{value!r}: {exc}"
        raise argparse.ArgumentTypeError(text) from None
    return value


def _duration(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _log_level(value: str) -> str:
    if value.upper() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}"
        )
    return value.upper()


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every command in DESIGN.md."""
    common = _Parser(add_help=False)
    common.add_argument("--config", help="TOML config (default: $MONITORS_CONFIG, monitors.toml)")
    common.add_argument("--data", help="data folder or s3:// URL (default: $MONITORS_DATA, config)")
    common.add_argument("--log-format", choices=["text", "json"], default="text")
    common.add_argument("--log-level", type=_log_level, default="INFO", help="DEBUG .. CRITICAL")
    since = _Parser(add_help=False)
    since.add_argument("--since", type=_window, default="7d", help="window, e.g. 90m, 24h, 7d")

    parser = _Parser(
        prog="python -m monitors", description="Platform Pulse: social-media outage monitor"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    run = sub.add_parser("run", parents=[common], help="run the sampler in the foreground")
    run.add_argument("--duration", type=_duration, help="stop after this many seconds")
    run.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics on this port")
    run.add_argument("--metrics-host", default="127.0.0.1", help="address for /metrics")

    check = sub.add_parser("check", parents=[common], help="one round of every check, printed")
    check.add_argument("--json", action="store_true", help="raw-sample objects as JSON")

    doctor = sub.add_parser(
        "doctor", parents=[common], help="every endpoint once: ok, refused (advice) or failed"
    )
    doctor.add_argument("--json", action="store_true", help="finding objects as JSON")

    for name, text in (("incidents", "detected outages"), ("summary", "uptime and impact")):
        cmd = sub.add_parser(name, parents=[common, since], help=text)
        cmd.add_argument("--json", action="store_true")
        cmd.add_argument("--platform", action="append", help="only this platform (repeatable)")

    export = sub.add_parser("export", parents=[common, since], help="CSV export")
    export.add_argument("--what", choices=["samples", "incidents", "uptime"], default="incidents")
    export.add_argument("-o", "--output", help="file (default: stdout)")

    report = sub.add_parser("report", parents=[common, since], help="meeting report (HTML)")
    report.add_argument("-o", "--output", required=True, help="the .html file to write")
    report.add_argument("--no-images", action="store_true", help="skip chart images")

    sub.add_parser("compact", parents=[common], help="merge segments and write roll-ups now")

    notice = sub.add_parser("notice", parents=[common], help="write the customer notice now")
    notice.add_argument("-o", "--output", help="folder or s3:// prefix (default: [notice] to)")
    notice.add_argument("--json", action="store_true", help="print the JSON document")

    status = sub.add_parser("status", parents=[common], help="sampler health (exit 1 if stale)")
    status.add_argument("--json", action="store_true")

    alerts = sub.add_parser("alerts", parents=[common], help="alert targets")
    alerts.add_argument("action", choices=["test", "list"], help="test: send a test message")

    note_args.add_parsers(sub, common)

    demo = sub.add_parser("demo", parents=[common], help="simulated platforms + dashboard")
    demo.add_argument("--port", type=int, default=8501, help="dashboard port")
    demo.add_argument("--no-dashboard", action="store_true", help="sampler and servers only")
    demo.add_argument("--duration", type=_duration, help="stop after this many seconds")
    demo.add_argument("--backfill", type=_duration, default=None,
                      help="synthetic history to generate first, e.g. 90d")
    demo.add_argument("--speed", type=float, default=1.0, help="story speed-up factor")
    return parser


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def setup_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Log to stderr, one line per event, as text or JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter() if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "botocore", "urllib3", "s3fs", "aiobotocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the process exit code (0 ok, 2 usage/config, 1 other)."""
    args = build_parser().parse_args(argv)
    setup_logging(args.log_format, args.log_level)
    try:
        if args.command in READS_HISTORY:  # the config the data folder was recorded with
            from monitors.history.recorded import (  # lazy: loads pyarrow (+0.14 s a start)
                settings_for_reading,
            )

            settings = settings_for_reading(args.config, args.data,
                                            warn=lambda text: print(text, file=sys.stderr))
            from monitors.analysis.loaders import missing_history  # lazy: loads pandas

            if missing := missing_history(settings):  # a wrong or empty --data: exit 1
                print(missing, file=sys.stderr)
                return 1
        else:
            settings = load_settings(args.config, args.data)
        module_name, func_name = COMMANDS[args.command].split(":")
        handler = getattr(importlib.import_module(module_name), func_name)
        return int(handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log.debug("command failed", exc_info=True)
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1

