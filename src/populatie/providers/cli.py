"""``populatie providers add|list`` and ``populatie members add|end|list``: the provider and
membership register from the command line (finance). Every write is audited in its own
transaction, naming whoever ``POPULATIE_USER`` says."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.auth.audit import cli_audit
from populatie.db import session_scope
from populatie.providers.models import ROLES
from populatie.providers.service import (
    add_member,
    add_provider,
    end_member,
    list_members,
    list_providers,
)
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    providers = sub.add_parser("providers", help="register and list providers")
    commands = providers.add_subparsers(dest="providers_command", required=True)

    add = commands.add_parser(
        "add", help="register a provider, or record its new KvK number or AGB code"
    )
    add.add_argument("name", help="the provider's name, as invoices name it")
    add.add_argument("--kvk", metavar="8 DIGITS", help="Chamber of Commerce (KvK) number")
    add.add_argument("--agb", metavar="8 DIGITS", help="AGB code")
    add.add_argument("--reason", default="", help="why (kept in the history)")
    add.set_defaults(handler=_add_provider)

    listing = commands.add_parser("list", help="list providers (their current version)")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list_providers)

    members = sub.add_parser("members", help="add, end and list members of a partnership")
    mcommands = members.add_subparsers(dest="members_command", required=True)

    madd = mcommands.add_parser("add", help="make a registered provider a member from a date")
    madd.add_argument("partnership")
    madd.add_argument("provider")
    madd.add_argument("--role", choices=ROLES, required=True)
    madd.add_argument("--from", dest="valid_from", type=date.fromisoformat, required=True)
    madd.add_argument(
        "--to", dest="valid_to", type=date.fromisoformat, help="last day (default: open)"
    )
    madd.add_argument("--reason", default="", help="why (kept in the history)")
    madd.set_defaults(handler=_add_member)

    end = mcommands.add_parser("end", help="end a membership: its last day")
    end.add_argument("partnership")
    end.add_argument("provider")
    end.add_argument("--on", dest="ends_on", type=date.fromisoformat, required=True)
    end.add_argument("--reason", default="", help="why (kept in the history)")
    end.set_defaults(handler=_end_member)

    mlist = mcommands.add_parser("list", help="the members of a partnership")
    mlist.add_argument("partnership")
    mlist.add_argument("--on", type=date.fromisoformat, help="only those holding on this day")
    mlist.add_argument("--history", action="store_true", help="every version, oldest first")
    mlist.add_argument("--format", choices=["table", "json"], default="table")
    mlist.set_defaults(handler=_list_members)


def _add_provider(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = add_provider(
            session,
            args.name,
            args.kvk,
            args.agb,
            settings.user,
            cli_audit(session, settings.user),
            args.reason,
        )
    console.print(f"provider {view.name} registered (version {view.version})", highlight=False)
    return 0


def _list_providers(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = list_providers(session)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
        return 0
    table = Table(title="Providers")
    for name in ("name", "KvK", "AGB", "v", "recorded", "by"):
        table.add_column(name)
    for v in views:
        table.add_row(
            v.name,
            v.kvk_number or "—",
            v.agb_code or "—",
            str(v.version),
            f"{v.recorded_at:%Y-%m-%d %H:%M}",
            v.recorded_by,
        )
    console.print(table)
    return 0


def _add_member(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = add_member(
            session,
            args.partnership,
            args.provider,
            args.role,
            args.valid_from,
            args.valid_to,
            settings.user,
            cli_audit(session, settings.user),
            args.reason,
        )
    console.print(
        f"{view.provider} is {view.role} of {view.partnership} from {view.valid_from}"
        + (f" to {view.valid_to}" if view.valid_to else ""),
        highlight=False,
    )
    return 0


def _end_member(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = end_member(
            session,
            args.partnership,
            args.provider,
            args.ends_on,
            settings.user,
            cli_audit(session, settings.user),
            args.reason,
        )
    console.print(
        f"{view.provider} is {view.role} of {view.partnership} from {view.valid_from} to "
        f"{view.valid_to} (version {view.version})",
        highlight=False,
    )
    return 0


def _list_members(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = list_members(session, args.partnership, args.on, history=args.history)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
        return 0
    table = Table(title=f"Members of {args.partnership}" + (f" on {args.on}" if args.on else ""))
    for name in ("provider", "role", "from", "to", "v", "recorded", "by", "source"):
        table.add_column(name)
    for v in views:
        table.add_row(
            v.provider,
            v.role,
            str(v.valid_from),
            str(v.valid_to or "—"),
            str(v.version),
            f"{v.recorded_at:%Y-%m-%d %H:%M}",
            v.recorded_by,
            v.source or "—",
        )
    console.print(table)
    return 0
