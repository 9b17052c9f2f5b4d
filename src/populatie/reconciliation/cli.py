"""``populatie reconcile --year YEAR [--to YYYY-MM] [--format table|json|csv|xlsx] [--lang nl|en]``.

CSV and XLSX are Dutch by default (as Dutch Excel opens them); ``--lang en`` writes the English
machine format (cents, ``,``-separated) for other tools."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from populatie.configuration import load_config
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.reconciliation.render import render_csv, render_json, render_table, write_xlsx
from populatie.reconciliation.render_nl import render_csv_nl, write_xlsx_nl
from populatie.reconciliation.service import reconcile_year
from populatie.settings import Settings

console = Console(width=max(Console().width, 190))


def add_commands(sub: Any) -> None:
    reconcile = sub.add_parser(
        "reconcile", help="spending against allocation, lots and contracts, with exceptions"
    )
    reconcile.add_argument("--year", type=int, required=True)
    reconcile.add_argument(
        "--to",
        metavar="YYYY-MM",
        help="spending up to and including this month (default: the last month with spending)",
    )
    reconcile.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
    reconcile.add_argument(
        "--lang",
        choices=["nl", "en"],
        default="nl",
        help="csv and xlsx: nl as Dutch Excel opens it; en the English machine format",
    )
    reconcile.add_argument(
        "--out", type=Path, help="write to this file (xlsx default: reconciliation-YYYY-MM.xlsx)"
    )
    reconcile.set_defaults(handler=_reconcile)


def _to_month(value: str | None, year: int) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise DataError(f"--to {value!r}: write a month as YYYY-MM")
    if int(match[1]) != year:
        raise DataError(f"--to {value} is not in --year {year}")
    return int(match[2])


def _reconcile(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    config = load_config(settings.config_dir)
    with session_scope(engine) as session:
        result = reconcile_year(session, args.year, _to_month(args.to, args.year), config)
    if args.format == "xlsx":
        out = args.out or Path(f"reconciliation-{result.year}-{result.to_month:02d}.xlsx")
        (write_xlsx_nl if args.lang == "nl" else write_xlsx)(result, out)
        console.print(f"reconciliation {result.year} to {result.to_month:02d} written to {out}")
        return 0
    if args.format == "table":
        if args.out is None:
            render_table(result, console)
        else:
            with args.out.open("w", encoding="utf-8") as fh:
                render_table(result, Console(file=fh, width=190, force_terminal=False))
        return 0
    if args.format == "json":
        text = render_json(result) + "\n"
    else:
        text = render_csv_nl(result) if args.lang == "nl" else render_csv(result)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8", newline="")
    else:
        sys.stdout.write(text)
    return 0
