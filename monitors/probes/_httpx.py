"""httpx without its command-line tool: imported first by the probes package.

httpx's package imports its `httpx` command (click, rich, pygments: ~100 modules and ~6 MB
of a sampler's memory) whenever click is installed, and nothing here ever runs it. While
httpx loads, `click` is marked unavailable, so httpx keeps its stub `main`; the mark is taken
away at once, so click imports normally for anyone else. A process that loaded click or
httpx before (Streamlit loads click) is left as it is.
"""

from __future__ import annotations

import sys

_HIDE_CLICK = "click" not in sys.modules and "httpx" not in sys.modules
if _HIDE_CLICK:
    sys.modules["click"] = None  # type: ignore[assignment]  # "import click" raises ImportError
try:
    import httpx  # noqa: F401
finally:
    if _HIDE_CLICK:
        del sys.modules["click"]
