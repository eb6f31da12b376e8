"""Run every benchmark in bench/ in turn: `make bench` or `python -m bench [NAME ...]`.

Each benchmark is a module `bench/NAME.py` runnable on its own (`python -m bench.NAME`)
that prints its figures and its ratios against a baseline measured in the same run.
They run one after another, each in a fresh interpreter, so one's memory peak or
warm caches never colour another's figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(names: list[str]) -> int:
    chosen = names or available()
    unknown = sorted(set(chosen) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    failed = 0
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        failed += subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
