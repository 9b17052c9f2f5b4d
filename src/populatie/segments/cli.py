"""``populatie segments list``: the configured segments and the years they apply to."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.segments.service import list_segments
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    segments = sub.add_parser("segments", help="list the segments of specialist youth care")
    commands = segments.add_subparsers(dest="segments_command", required=True)
    listing = commands.add_parser("list", help="list the segments (as loaded from config)")
    listing.add_argument("--year", type=int, help="only segments that apply in this year")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list)


def _list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = list_segments(session, args.year)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
        return 0
    table = Table(title="Segments" + (f" in {args.year}" if args.year else ""))
    for name in ("code", "name (nl)", "name (en)", "years", "source", "note"):
        table.add_column(name)
    for v in views:
        table.add_row(
            v.code,
            v.name_nl,
            v.name_en,
            f"{v.from_year}–{v.to_year or ''}",
            v.source,
            v.note,
        )
    console.print(table)
    return 0
