"""Run every benchmark: ``python -m bench`` (what ``make bench`` does).

Each ``bench/bench_*.py`` module has ``main(argv) -> int`` and prints its figures beside the
engine limit it measured in the same run. Pass a module name to run only that one:
``python -m bench allocation``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )  # fmt: skip
    wanted = [f"bench_{a.removeprefix('bench_')}" for a in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)}; have {', '.join(names)}")
        return 2
    worst = 0
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        worst = max(worst, int(module.main([])))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
