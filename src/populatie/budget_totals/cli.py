"""``populatie budgets …``: set, index and read the budget totals (finance).

Amounts on the command line are euro (``41250000.00``), parsed as decimals and kept as cents;
every write is a new version in the history and an audit event, in one transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from populatie.auth.audit import CLI_ROLE
from populatie.budget_totals.service import (
    TotalsView,
    index_totals,
    list_totals,
    set_totals,
    totals_history,
)
from populatie.configuration import DOMAINS
from populatie.core.indexation import RULE, parse_pct
from populatie.core.money import format_euro, parse_cents
from populatie.db import session_scope
from populatie.errors import ConfigurationError, ConflictError
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    budgets = sub.add_parser("budgets", help="set, index and show the budget totals per year")
    commands = budgets.add_subparsers(dest="budgets_command", required=True)

    show = commands.add_parser("show", help="the budget totals of a year")
    show.add_argument("year", type=int)
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(handler=_show)

    put = commands.add_parser("set", help="set a municipality's totals (kept in the history)")
    put.add_argument("year", type=int)
    put.add_argument("municipality", metavar="GMnnnn")
    for domain in DOMAINS:
        put.add_argument(f"--{domain}", required=True, metavar="EURO")
    put.add_argument("--reason", required=True, help="why they change (kept in the history)")
    put.add_argument("--basis", default="", help="the decision they rest on, e.g. a council vote")
    put.set_defaults(handler=_set)

    index = commands.add_parser("index", help="make a year's totals from an earlier year's")
    index.add_argument("--from", dest="from_year", type=int, required=True, metavar="YEAR")
    index.add_argument("--to", dest="to_year", type=int, required=True, metavar="YEAR")
    index.add_argument("--pct", required=True, metavar="PERCENT", help="e.g. 3.2")
    index.add_argument(
        "--basis", required=True, help="the named indexation, e.g. 'OVA 2026 (CEP 2025)'"
    )
    index.add_argument(
        "--municipality",
        action="append",
        metavar="GMnnnn",
        help="only this municipality (repeatable; default: every one with totals in --from)",
    )
    index.set_defaults(handler=_index)

    history = commands.add_parser("history", help="every version of a municipality's totals")
    history.add_argument("year", type=int)
    history.add_argument("municipality", metavar="GMnnnn")
    history.add_argument("--format", choices=["table", "json"], default="table")
    history.set_defaults(handler=_history)


def _table(title: str, views: list[TotalsView], *, history: bool = False) -> Table:
    table = Table(title=title)
    table.add_column("v" if history else "municipality")
    for domain in DOMAINS:
        table.add_column(domain, justify="right")
    table.add_column("total", justify="right")
    for name in ("source", "when", "who", "why", "basis") if history else ("v", "source", "who"):
        table.add_column(name)
    for v in views:
        amounts = [format_euro(v.cents[d]) for d in DOMAINS] + [format_euro(sum(v.cents.values()))]
        if history:
            when = v.changed_at.isoformat()[:16].replace("T", " ")
            rest = [v.source, when, v.changed_by, v.reason, v.basis]
            table.add_row(str(v.version), *amounts, *rest)
        else:
            table.add_row(v.municipality, *amounts, str(v.version), v.source, v.changed_by)
    return table


def _show(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = list_totals(session, args.year)
    if not views:
        raise ConfigurationError(
            f"no budget totals for {args.year}: set them with `populatie budgets set "
            f"{args.year} GMnnnn …` or `populatie budgets index --from {args.year - 1} "
            f"--to {args.year} --pct PERCENT --basis …`"
        )
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
    else:
        console.print(_table(f"Budget totals {args.year}", views))
    return 0


@contextmanager
def _one_writer(what: str) -> Iterator[None]:
    """Two commands that write the same totals at once: the database's key lets one of them
    through, and the other ends with one line (exit 2) instead of a traceback."""
    try:
        yield
    except IntegrityError:
        raise ConflictError(
            f"{what} were written by another command at the same moment; nothing of this one "
            "was written: see `populatie budgets show`, and run it again if still needed"
        ) from None


def _set(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    cents = {d: parse_cents(getattr(args, d)) for d in DOMAINS}
    what = f"the budget totals of {args.municipality} in {args.year}"
    with _one_writer(what), session_scope(engine) as session:
        view = set_totals(
            session,
            args.year,
            args.municipality,
            cents,
            actor=settings.user,
            role=CLI_ROLE,
            reason=args.reason,
            basis=args.basis,
        )
    console.print(
        f"budget totals {view.year} {view.municipality} are now version {view.version}: "
        f"{format_euro(sum(view.cents.values()))}"
    )
    return 0


def _index(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    pct = parse_pct(args.pct)
    with _one_writer(f"the budget totals of {args.to_year}"), session_scope(engine) as session:
        made = index_totals(
            session,
            args.from_year,
            args.to_year,
            pct,
            args.basis,
            actor=settings.user,
            role=CLI_ROLE,
            municipalities=args.municipality,
        )
    console.print(
        f"budget totals {args.to_year} made for {len(made)} municipalities from "
        f"{args.from_year} by {pct} % ({args.basis}); rounding: {RULE}"
    )
    return 0


def _history(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = totals_history(session, args.year, args.municipality)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
    else:
        title = f"History of the budget totals {args.year} {args.municipality}"
        console.print(_table(title, views, history=True))
    return 0
