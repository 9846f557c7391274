"""Summarise a py-spy raw (collapsed-stack) profile: inclusive and self share per function.

    py-spy record -f raw -o bench/out/x.txt -- python bench/probe_throughput.py --fresh
    python bench/profile_summary.py bench/out/x.txt [--top 30] [--match monitors/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    """'send (httpx/_client.py:1629)' -> 'httpx/_client.py:send' (line numbers dropped)."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{match['func']}"


def summarise(path: Path) -> tuple[int, Counter, Counter]:
    """(total samples, inclusive samples per function, self samples per function)."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        own[frames[-1]] += n
    return total, inclusive, own


def main() -> None:
    """Print the top functions by inclusive and by self samples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only functions whose name contains this")
    args = parser.parse_args()
    total, inclusive, own = summarise(args.profile)
    print(f"{args.profile.name}: {total} samples")
    for title, table in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        rows = [(k, v) for k, v in table.most_common() if args.match in k][: args.top]
        for name, n in rows:
            print(f"  {100 * n / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
