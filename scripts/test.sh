#!/usr/bin/env bash
# Install everything the test suite needs (pip packages, Debian's chromium) and run it.
# Every test runs under the loopback-only network guard (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium for the end-to-end tests; poppler-utils (pdftotext, pdftoppm) to read printed PDFs
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python3 -m ruff check .
lint-imports  # the layers, as contracts (.importlinter): a wrong arrow fails here
python3 -m pytest "$@"
