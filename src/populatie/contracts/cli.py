"""``populatie contracts …``: register, change and read contracts (finance)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.contracts.models import FUNDING_FORMS, INSTALMENT_FREQUENCIES, UNITS
from populatie.contracts.service import (
    ContractChange,
    ContractInput,
    ContractView,
    change_contract,
    contract_history,
    create_contract,
    get_contract,
    list_contracts,
    parse_indexation,
)
from populatie.contracts.tariffs import TariffInput, list_tariffs, set_tariff
from populatie.core.money import format_euro, parse_cents
from populatie.cost_sharing.cli import add_contract_commands, key_text
from populatie.cost_sharing.service import current_key
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))


def _ceilings(values: list[str] | None) -> dict[int, int]:
    ceilings: dict[int, int] = {}
    for value in values or []:
        year, _, amount = value.partition("=")
        if not year.strip().isdigit() or not amount:
            raise DataError(f"--ceiling {value!r}: write YEAR=EURO, e.g. 2025=41250000.00")
        ceilings[int(year)] = parse_cents(amount)
    return ceilings


def _terms(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--lot", required=required, metavar="GMnnnn/N", help="e.g. GM0518/1")
    parser.add_argument("--partnership", help="default: the partnership the lot went to")
    parser.add_argument("--start", type=date.fromisoformat, required=required, metavar="DATE")
    parser.add_argument("--end", type=date.fromisoformat, required=required, metavar="DATE")
    parser.add_argument(
        "--extendable-to",
        type=date.fromisoformat,
        metavar="DATE",
        help="the end date if every option to extend is exercised",
    )
    parser.add_argument("--funding-form", choices=FUNDING_FORMS, required=required)
    parser.add_argument(
        "--ceiling",
        action="append",
        metavar="YEAR=EURO",
        help="the ceiling of one year (repeatable), e.g. 2025=41250000.00",
    )
    parser.add_argument(
        "--indexation",
        metavar="PERCENT",
        help="yearly indexation of the ceiling and the tariffs, e.g. 2.5",
    )
    parser.add_argument("--segment", help="the segment the contract buys, e.g. B")
    parser.add_argument(
        "--product",
        action="append",
        metavar="CODE",
        help="an iJw product code the contract covers (repeatable; none: every product of the "
        "segment), e.g. 45A12",
    )
    parser.add_argument(
        "--municipality",
        action="append",
        metavar="GMnnnn",
        help="a municipality the contract covers (repeatable; none: the lot's)",
    )
    parser.add_argument(
        "--start-percent",
        type=int,
        metavar="X",
        help="per trajectory: the percentage paid at the start; the rest at completion",
    )
    parser.add_argument(
        "--instalments",
        choices=INSTALMENT_FREQUENCIES,
        help="task-based: how the yearly sum (the ceiling) is paid (default monthly)",
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contracts = sub.add_parser("contracts", help="register, change and list contracts")
    commands = contracts.add_subparsers(dest="contracts_command", required=True)

    listing = commands.add_parser("list", help="list contracts")
    listing.add_argument("--year", type=int, help="only contracts in force in this year")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list)

    add = commands.add_parser("add", help="register a contract")
    add.add_argument("--reference", required=True)
    _terms(add, required=True)
    add.add_argument("--reason", default="registered")
    add.set_defaults(handler=_add)

    change = commands.add_parser("change", help="change a contract (kept in its history)")
    change.add_argument("reference")
    _terms(change, required=False)
    change.add_argument(
        "--partnership-from",
        type=date.fromisoformat,
        metavar="DATE",
        help="with --partnership: the first day the new partnership holds the contract (the "
        "first of a month); earlier spending stays with the partnership before",
    )
    change.add_argument("--reason", required=True, help="why it changes (kept in the history)")
    change.set_defaults(handler=_change)

    tariffs = commands.add_parser("tariffs", help="set and list a contract's tariffs")
    tariff_commands = tariffs.add_subparsers(dest="tariffs_command", required=True)
    set_cmd = tariff_commands.add_parser("set", help="set the tariff of a product and year")
    set_cmd.add_argument("reference")
    set_cmd.add_argument("--product", required=True, metavar="CODE", help="e.g. 45A12")
    set_cmd.add_argument("--year", type=int, required=True)
    set_cmd.add_argument("--unit", choices=UNITS, required=True)
    set_cmd.add_argument("--tariff", required=True, metavar="EURO", help="per unit, e.g. 85.33")
    set_cmd.add_argument("--reason", required=True, help="why (kept in the history)")
    set_cmd.set_defaults(handler=_tariff_set)
    tariff_list = tariff_commands.add_parser("list", help="the tariffs of a contract")
    tariff_list.add_argument("reference")
    tariff_list.add_argument("--year", type=int)
    tariff_list.add_argument("--history", action="store_true", help="every version")
    tariff_list.add_argument("--format", choices=["table", "json"], default="table")
    tariff_list.set_defaults(handler=_tariff_list)

    history = commands.add_parser("history", help="every version of a contract")
    history.add_argument("reference")
    history.add_argument("--format", choices=["table", "json"], default="table")
    history.set_defaults(handler=_history)

    show = commands.add_parser(
        "show", help="one contract: its terms, milestones and cost-sharing key"
    )
    show.add_argument("reference")
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(handler=_show)

    add_contract_commands(commands)


def _table(views: list[ContractView], year: int | None) -> Table:
    table = Table(title="Contracts" + (f" in force in {year}" if year else ""))
    for name in ("reference", "lot", "area", "partnership", "period", "options to", "form"):
        table.add_column(name)
    table.add_column(f"ceiling {year}" if year else "ceilings", justify="right")
    table.add_column("index", justify="right")
    table.add_column("v", justify="right")
    for v in views:
        if year:
            ceiling = v.ceiling_for(year)
            ceilings = format_euro(ceiling) if ceiling is not None else "—"
        else:
            ceilings = "\n".join(
                f"{y}: {format_euro(c)}" for y, c in sorted(v.ceilings_cents.items())
            )
        table.add_row(
            v.reference,
            v.lot,
            v.area,
            v.partnership,
            f"{v.starts_on} – {v.ends_on}",
            str(v.extendable_to or "—"),
            v.funding_form,
            ceilings or "—",
            f"{v.indexation_basis_points / 100:.2f} %",
            str(v.version),
        )
    return table


def _list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = list_contracts(session, args.year)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
    else:
        console.print(_table(views, args.year))
    return 0


def _add(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    data = ContractInput(
        reference=args.reference,
        lot=args.lot,
        partnership=args.partnership,
        starts_on=args.start,
        ends_on=args.end,
        extendable_to=args.extendable_to,
        funding_form=args.funding_form,
        ceilings_cents=_ceilings(args.ceiling),
        indexation_basis_points=parse_indexation(args.indexation) if args.indexation else 0,
        segment=args.segment,
        product_codes=tuple(args.product or ()),
        municipalities=tuple(args.municipality or ()),
        start_percent=args.start_percent,
        instalments=args.instalments,
    )
    with session_scope(engine) as session:
        view = create_contract(session, data, settings.user, args.reason)
    console.print(f"contract {view.reference} registered on lot {view.lot} (version 1)")
    return 0


def _change(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    change = ContractChange(
        lot=args.lot,
        partnership=args.partnership,
        partnership_from=args.partnership_from,
        starts_on=args.start,
        ends_on=args.end,
        extendable_to=args.extendable_to,
        funding_form=args.funding_form,
        ceilings_cents=_ceilings(args.ceiling) or None,
        indexation_basis_points=parse_indexation(args.indexation) if args.indexation else None,
        segment=args.segment,
        product_codes=tuple(args.product) if args.product else None,
        municipalities=tuple(args.municipality) if args.municipality else None,
        start_percent=args.start_percent,
        instalments=args.instalments,
    )
    with session_scope(engine) as session:
        view = change_contract(session, args.reference, change, settings.user, args.reason)
    console.print(f"contract {view.reference} is now at version {view.version}")
    return 0


def _history(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        versions = contract_history(session, args.reference)
    rows: list[dict[str, Any]] = [
        {
            "version": v.version,
            "changed_at": v.changed_at.isoformat(),
            "changed_by": v.changed_by,
            "reason": v.reason,
            "changes": v.changes,
            "state": v.state,
        }
        for v in versions
    ]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    table = Table(title=f"History of contract {args.reference}")
    for name in ("v", "when", "who", "why", "what changed"):
        table.add_column(name)
    for row in rows:
        changes = row["changes"] or {"(registered)": ["", ""]}
        table.add_row(
            str(row["version"]),
            row["changed_at"][:16].replace("T", " "),
            row["changed_by"],
            row["reason"],
            "\n".join(
                f"{k}: {old} → {new}" if old != "" else k for k, (old, new) in changes.items()
            ),
        )
    console.print(table)
    return 0


def _show(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        get_contract(session, args.reference)  # raises on an unknown reference
        view = next(v for v in list_contracts(session) if v.reference == args.reference)
        key = current_key(session, args.reference)
    milestones = view.milestones
    if args.format == "json":
        payload = {
            **view.as_json(),
            "milestones": [m.as_json() for m in milestones],
            "cost_sharing": key.as_json() if key is not None else None,
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    console.print(_table([view], None))
    if milestones:
        table = Table(title=f"Milestones of contract {view.reference}")
        for name in ("year", "milestone", "what", "source"):
            table.add_column(name)
        for m in milestones:
            table.add_row(str(m.year), m.name_nl, m.description_en, m.source)
        console.print(table)
    else:
        console.print("no milestones apply to this contract", highlight=False)
    console.print(
        f"cost-sharing key: {key_text(key)} (version {key.version})"
        if key is not None
        else "cost-sharing key: none set",
        highlight=False,
    )
    return 0


def _tariff_set(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    data = TariffInput(
        product_code=args.product,
        year=args.year,
        unit=args.unit,
        tariff_cents=parse_cents(args.tariff),
    )
    with session_scope(engine) as session:
        contract = get_contract(session, args.reference)
        view = set_tariff(session, contract, data, settings.user, args.reason)
    console.print(
        f"contract {view.contract}: {view.product_code} {view.year} is "
        f"{format_euro(view.tariff_cents)} per {view.unit} (version {view.version})"
    )
    return 0


def _tariff_list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        contract = get_contract(session, args.reference)
        views = list_tariffs(session, contract, year=args.year, history=args.history)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
        return 0
    table = Table(title=f"Tariffs of contract {args.reference}")
    for name in ("product", "year", "unit", "tariff", "v", "when", "who", "why"):
        table.add_column(name, justify="right" if name in ("tariff", "v") else "left")
    for v in views:
        table.add_row(
            v.product_code,
            str(v.year),
            v.unit,
            format_euro(v.tariff_cents),
            str(v.version),
            v.recorded_at.isoformat()[:16].replace("T", " "),
            v.recorded_by,
            v.reason,
        )
    console.print(table)
    return 0
