"""Print the mutation score of the last ``make mutation`` run, per module and in total.

mutmut keeps each module's verdicts in ``mutants/<path>.meta``. The score is the share of the
mutants that a test detected (killed, or timed out, which a test also notices), out of all
mutants that were run. Mutants without a covering test count as survivors, so an untested
function lowers the score instead of vanishing from it. The surviving ones that are equivalent
to the original are listed, with reasons, in docs/mutation.md.

Usage: ``python tests/mutation_score.py [--min PERCENT] [--survivors]``; exits 1 when the
total is under ``--min``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

MODULES = (
    "src/populatie/core/money.py",
    "src/populatie/core/damping.py",
    "src/populatie/spending/parsing.py",
    "src/populatie/auth/access.py",
)
DETECTED = {1, 3, 36, 37, -24, 24, 152, 255}  # killed, pytest error, timeouts, type check
SURVIVED = {0, 5, 33}  # survived, and no test covers it


def verdicts(root: Path, module: str) -> dict[str, int | None]:
    meta = root / "mutants" / f"{module}.meta"
    if not meta.exists():
        return {}
    data: dict[str, dict[str, int | None]] = json.loads(meta.read_text("utf-8"))
    return data["exit_code_by_key"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=0.0, help="fail under this total score (%%)")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)
    root = Path.cwd()
    total: Counter[str] = Counter()
    survivors: list[str] = []
    print(
        f"{'module':<34} {'mutants':>8} {'killed':>7} {'survived':>9} {'not run':>8} {'score':>7}"
    )
    for module in MODULES:
        codes = verdicts(root, module)
        count: Counter[str] = Counter()
        for name, code in codes.items():
            if code is None:
                count["not run"] += 1
            elif code in DETECTED:
                count["killed"] += 1
            elif code in SURVIVED:
                count["survived"] += 1
                survivors.append(name)
            else:
                count["other"] += 1  # suspicious, segfault, interrupted: rerun them
        count["mutants"] = len(codes)
        total.update(count)
        print(_row(module, count))
    print(_row("total", total))
    if total["not run"] or total["other"]:
        print(f"{total['not run']} mutants not run and {total['other']} unclear: run it again")
    if args.survivors:
        print("\n".join(sorted(survivors)))
    return 0 if _score(total) >= args.min else 1


def _score(count: Counter[str]) -> float:
    run = count["killed"] + count["survived"] + count["other"]
    return 100.0 * count["killed"] / run if run else 0.0


def _row(name: str, count: Counter[str]) -> str:
    return (
        f"{name:<34} {count['mutants']:>8} {count['killed']:>7} {count['survived']:>9} "
        f"{count['not run']:>8} {_score(count):>6.1f}%"
    )


if __name__ == "__main__":
    sys.exit(main())
