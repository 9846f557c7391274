"""`python -m monitors <command>`: the command line lives in monitors/cli/main.py."""

import sys

from monitors.cli.main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
