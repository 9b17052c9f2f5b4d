"""``populatie runs propose|approve|reject|proposals|proposal``: adoption with four eyes.

::

    populatie runs propose RUN_ID --note "why this run"     # planner
    populatie runs approve RUN_ID [--note "…"]              # finance: adopts the run
    populatie runs reject RUN_ID --reason "why not"         # finance
    populatie runs proposals [--state proposed] [--year 2026] [--format table|json]
    populatie runs proposal RUN_ID [--format table|json]    # one proposal with every step

On the command line the actor is ``POPULATIE_USER``: the user who proposed a run cannot approve
or reject it under the same name. ``populatie adopt`` and ``allocate --adopt`` stay the
operator's own path (see the README), audited as such.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.proposals import service
from populatie.proposals.service import Actor, ProposalView
from populatie.settings import Settings

console = Console(width=max(Console().width, 150))


def add_run_commands(runs: argparse.ArgumentParser) -> None:
    """The proposal subcommands under ``populatie runs`` (which alone still lists the runs)."""
    commands = runs.add_subparsers(dest="runs_command", metavar="{propose,approve,reject,…}")

    propose = commands.add_parser("propose", help="propose a run for adoption (planner)")
    propose.add_argument("run_id")
    propose.add_argument("--note", required=True, help="why this run should be adopted")
    propose.set_defaults(handler=_propose)

    approve = commands.add_parser(
        "approve", help="approve a proposed run: it is adopted (finance; not the proposer)"
    )
    approve.add_argument("run_id")
    approve.add_argument("--note", default="", help="an optional remark")
    approve.set_defaults(handler=_approve)

    reject = commands.add_parser("reject", help="reject a proposed run (finance; not the proposer)")
    reject.add_argument("run_id")
    reject.add_argument("--reason", required=True, help="why (kept with the proposal)")
    reject.set_defaults(handler=_reject)

    listing = commands.add_parser("proposals", help="list proposals, newest first")
    listing.add_argument("--state", choices=["proposed", "approved", "rejected"])
    listing.add_argument("--year", type=int)
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list)

    one = commands.add_parser("proposal", help="one run's proposal with every step")
    one.add_argument("run_id")
    one.add_argument("--format", choices=["table", "json"], default="table")
    one.set_defaults(handler=_show)


def _when(view: ProposalView) -> str:
    return f"{view.proposed_at:%Y-%m-%d %H:%M}" if view.proposed_at else ""


def _propose(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = service.propose(
            session, args.run_id, Actor.on_command_line(settings.user), args.note
        )
    console.print(f"run {view.run_id} ({view.year}) proposed for adoption (round {view.round})")
    return 0


def _approve(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = service.approve(
            session, args.run_id, Actor.on_command_line(settings.user), args.note
        )
    console.print(
        f"run {view.run_id} approved and adopted for {view.year}: {', '.join(view.municipalities)}"
    )
    return 0


def _reject(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = service.reject(
            session, args.run_id, Actor.on_command_line(settings.user), args.reason
        )
    console.print(f"proposal of run {view.run_id} rejected: {view.reason}")
    return 0


def _list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        views = service.list_proposals(session, args.state, args.year)
    if args.format == "json":
        sys.stdout.write(json.dumps([v.as_json() for v in views], indent=2) + "\n")
        return 0
    table = Table(title="Proposals for adoption")
    for name in ("run", "year", "scenario", "state", "proposed", "by", "note", "decided by"):
        table.add_column(name)
    for v in views:
        decided = f"{v.decided_by}: {v.reason}" if v.reason else (v.decided_by or "")
        by = v.proposed_by or ""
        table.add_row(v.run_id, str(v.year), v.scenario, v.state, _when(v), by, v.note, decided)
    console.print(table if views else "no proposals")
    return 0


def _show(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = service.proposal_of(session, args.run_id)
    if args.format == "json":
        sys.stdout.write(json.dumps(view.as_json(), indent=2) + "\n")
        return 0
    console.print(f"run {view.run_id} ({view.year}, {view.run_status}): {view.state}")
    for step in view.history:
        text = f": {step.text}" if step.text else ""
        console.print(f"  {step.at:%Y-%m-%d %H:%M}  {step.step:<9} {step.actor}{text}")
    return 0
