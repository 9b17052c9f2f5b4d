"""``populatie contracts cost-sharing …`` and ``populatie contracts shares …``.

Finance sets a contract's cost-sharing key (each setting a new version, audited under
``POPULATIE_USER``); anyone with the database reads each municipality's share of the
contract's ceiling, spent and forecast for a year.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.auth.audit import cli_audit
from populatie.configuration import load_config
from populatie.core.cost_sharing import KINDS
from populatie.core.money import format_euro
from populatie.cost_sharing.service import (
    CostSharingKey,
    key_history,
    parse_percentage,
    set_cost_sharing,
)
from populatie.cost_sharing.shares import ShareReport, contract_shares, shares_json
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))

_SHARE = re.compile(r"(GM\d{4})=(.+)")
_DUTCH = str.maketrans(",.", ".,")


def add_contract_commands(commands: Any) -> None:
    """Add the commands under ``populatie contracts``."""
    key = commands.add_parser(
        "cost-sharing",
        help="set a contract's cost-sharing key (kept in its history), or show the history",
    )
    key.add_argument("reference")
    key.add_argument("--key", choices=KINDS, help="the kind of key to set")
    key.add_argument(
        "--share",
        action="append",
        metavar="GMnnnn=PERCENT",
        help="with --key fixed: a municipality's percentage (repeatable; together 100)",
    )
    key.add_argument(
        "--municipality",
        action="append",
        metavar="GMnnnn",
        help="with another key: a municipality that shares the contract (repeatable)",
    )
    key.add_argument("--reason", help="why the key is set (kept in the history)")
    key.add_argument("--format", choices=["table", "json"], default="table")
    key.set_defaults(handler=_cost_sharing)

    shares = commands.add_parser(
        "shares", help="each municipality's share of a contract's ceiling, spent and forecast"
    )
    shares.add_argument("reference")
    shares.add_argument("--year", type=int, required=True)
    shares.add_argument("--to", type=int, metavar="MONTH", help="spending up to this month")
    shares.add_argument("--format", choices=["table", "json"], default="table")
    shares.set_defaults(handler=_shares)


def _basis_points(values: list[str] | None) -> dict[str, int]:
    points: dict[str, int] = {}
    for value in values or []:
        match = _SHARE.fullmatch(value.strip())
        if match is None:
            raise DataError(f"--share {value!r}: write GMnnnn=PERCENT, e.g. GM0518=48.25")
        if match[1] in points:
            raise DataError(f"--share: {match[1]} is named more than once")
        points[match[1]] = parse_percentage(match[2])
    return points


def _cost_sharing(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    if args.key is None:
        if args.share or args.municipality or args.reason:
            raise DataError("--key: say which kind of key to set")
        with session_scope(engine) as session:
            history = key_history(session, args.reference)
        _print_history(args.reference, history, args.format)
        return 0
    if not args.reason:
        raise DataError("--reason: say why the key is set (kept in the history)")
    with session_scope(engine) as session:
        view = set_cost_sharing(
            session,
            args.reference,
            args.key,
            basis_points=_basis_points(args.share) or None,
            municipalities=args.municipality,
            actor=settings.user,
            audit=cli_audit(session, settings.user),
            reason=args.reason,
        )
    console.print(
        f"contract {view.contract}: cost-sharing key {view.kind} over "
        f"{', '.join(view.municipalities)} (version {view.version})",
        highlight=False,
    )
    return 0


def key_text(key: CostSharingKey) -> str:
    """One line for a key: its kind and who shares (with the percentages of a fixed key)."""
    if key.basis_points is not None:
        parts = [f"{code} {bp / 100:.2f} %" for code, bp in key.basis_points.items()]
    else:
        parts = list(key.municipalities)
    return f"{key.kind}: {', '.join(parts)}"


def _print_history(reference: str, history: list[CostSharingKey], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps([k.as_json() for k in history], indent=2) + "\n")
        return
    if not history:
        console.print(f"contract {reference} has no cost-sharing key", highlight=False)
        return
    table = Table(title=f"Cost-sharing key of contract {reference}")
    for name in ("v", "when", "who", "why", "key"):
        table.add_column(name)
    for key in history:
        table.add_row(
            str(key.version),
            key.recorded_at.isoformat()[:16].replace("T", " "),
            key.recorded_by,
            key.reason,
            key_text(key),
        )
    console.print(table)


def _shares(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    config = load_config(settings.config_dir)
    if args.to is not None and not 1 <= args.to <= 12:
        raise DataError(f"--to {args.to} is not a month")
    with session_scope(engine) as session:
        report = contract_shares(session, args.reference, args.year, config, to_month=args.to)
    if args.format == "json":
        sys.stdout.write(json.dumps(shares_json(report), indent=2) + "\n")
        return 0
    _print_shares(report)
    return 0


def _euro(cents: int | None) -> str:
    return "—" if cents is None else format_euro(cents)


def _print_shares(report: ShareReport) -> None:
    table = Table(
        title=f"Shares of contract {report.contract}, {report.year} to "
        f"{report.year}-{report.to_month:02d} (key {report.key.kind}, version "
        f"{report.key.version})"
    )
    table.add_column("municipality")
    table.add_column(f"weight ({report.weight_unit})", justify="right")
    table.add_column("share", justify="right")
    for name in ("ceiling", "spent", "forecast"):
        table.add_column(name, justify="right")
    for line in report.lines:
        weight = (
            f"{line.weight:,.2f}" if isinstance(line.weight, float) else f"{line.weight:,}"
        ).translate(_DUTCH)
        table.add_row(
            line.municipality,
            weight,
            f"{float(line.fraction) * 100:.4f} %",
            _euro(line.ceiling_cents),
            _euro(line.spent_cents),
            _euro(line.forecast_cents),
        )
    table.add_row(
        "total",
        "",
        "100 %",
        _euro(report.ceiling_cents),
        _euro(report.spent_cents),
        _euro(report.forecast_cents),
    )
    console.print(table)
    console.print(f"forecast: {report.forecast_method}", highlight=False)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
