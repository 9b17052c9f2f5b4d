"""``populatie districts mapping``: how old districts map onto new ones across boundary vintages.

Shows the mapping the load stored (see ``populatie.geo.harmonise``): per old district the new
districts it lies in, with the share of it spread onto each. Slivers and parts in water-only
districts are dropped from the shares; ``--all`` shows them too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.districts.service import stored_mapping
from populatie.errors import NotFoundError
from populatie.geo.region import MUNICIPALITIES
from populatie.settings import Settings

CSV_COLUMNS = (
    "municipality_code",
    "old_code",
    "old_vintage",
    "new_code",
    "new_vintage",
    "share",
    "area_m2",
    "overlap_share",
    "status",
    "method",
)


def add_commands(subparsers: Any) -> None:
    districts = subparsers.add_parser("districts", help="districts across boundary vintages")
    sub = districts.add_subparsers(dest="districts_command", required=True)
    mapping = sub.add_parser(
        "mapping", help="show how the districts of an old map lie in those of a newer one"
    )
    mapping.add_argument("--municipality", metavar="GMnnnn", help="only this municipality")
    mapping.add_argument("--format", choices=["table", "csv"], default="table")
    mapping.add_argument(
        "--all", action="store_true", help="also the dropped slivers and water-only parts"
    )
    mapping.set_defaults(handler=_mapping)


def _mapping(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    municipality: str | None = args.municipality
    if municipality is not None and municipality not in MUNICIPALITIES:
        raise NotFoundError(f"{municipality}: not one of the H10 municipalities")
    with session_scope(engine) as session:
        mapping = stored_mapping(session, municipality=municipality)
    shown = mapping if args.all else mapping[mapping["share"] > 0]
    if args.format == "csv":
        shown[list(CSV_COLUMNS)].to_csv(
            sys.stdout, index=False, lineterminator="\n", float_format="%.6f"
        )
        return 0
    console = Console(width=max(Console().width, 150))
    if mapping.empty:
        where = f" for {municipality}" if municipality else ""
        console.print(
            f"no district mapping stored{where}: it exists only where shapes of two vintages "
            "are shipped (run `populatie load` first)"
        )
        return 0
    _table(console, shown, mapping)
    return 0


def _table(console: Console, shown: pd.DataFrame, mapping: pd.DataFrame) -> None:
    table = Table(title="Districts across boundary vintages (Bron: CBS)")
    for header in ("municipality", "old district", "new district"):
        table.add_column(header)
    for header in ("share", "overlap", "area m²"):
        table.add_column(header, justify="right")
    table.add_column("status")
    for row in shown.to_dict("records"):
        municipality = str(row["municipality_code"])
        new = "outside" if pd.isna(row["new_code"]) else f"{row['new_code']}"
        table.add_row(
            f"{municipality} {MUNICIPALITIES.get(municipality, '')}",
            f"{row['old_code']} ({row['old_vintage']})",
            f"{new} ({row['new_vintage']})",
            f"{float(row['share']):.1%}",
            f"{float(row['overlap_share']):.2%}",
            f"{float(row['area_m2']):,.0f}",
            str(row["status"]),
        )
    console.print(table)
    for method, rows in mapping.groupby("method", sort=True):
        dropped = rows[rows["share"] == 0]
        console.print(
            f"{', '.join(sorted(rows['municipality_code'].unique()))}: {method}; "
            f"{len(dropped)} dropped part(s) covering {dropped['area_m2'].sum():,.0f} m²"
        )
