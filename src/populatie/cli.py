"""The ``populatie`` command: load data, allocate, adopt, serve.

Every command migrates the database first, so a fresh clone needs no separate setup step, and
every command that writes does so in one transaction: it either completes or leaves nothing.
Domain errors end the program with their message and exit code 2, never a traceback; faults of
the environment (a read-only or full disk, a locked or unreachable database, an output path that
cannot be written: :mod:`populatie.faults`) with one line and exit code 3.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlmodel import Session

from populatie.allocations import render, service
from populatie.allocations.models import AllocationRun
from populatie.auth import cli as auth_cli
from populatie.auth.audit import record_cli_event
from populatie.budget_totals import cli as budget_totals_cli
from populatie.budget_totals.service import seed_totals
from populatie.cbs import cli as cbs_cli
from populatie.cli_help import Parser
from populatie.configuration import load_config
from populatie.contracts import cli as contracts_cli
from populatie.council_reports import cli as council_reports_cli
from populatie.db import get_engine, migrate, session_scope
from populatie.districts import cli as districts_cli
from populatie.districts.service import check_neighbourhoods, load_districts
from populatie.errors import PopulatieError
from populatie.faults import EXIT_ENVIRONMENT, environment_fault
from populatie.kpis import cli as kpis_cli
from populatie.planning import cli as planning_cli
from populatie.proposals import cli as proposals_cli
from populatie.proposals.service import Actor, settle_by_operator
from populatie.providers import cli as providers_cli
from populatie.reconciliation import cli as reconciliation_cli
from populatie.registry.service import sync_registry
from populatie.segments import cli as segments_cli
from populatie.settings import get_settings
from populatie.spending import cli as spending_cli

# Feature modules that bring their own subcommands: each has ``add_commands(subparsers)``, and
# sets ``handler(args, engine, settings) -> exit code`` on its parsers.
FEATURE_COMMANDS: list[ModuleType] = [auth_cli, districts_cli]
FEATURE_COMMANDS += [contracts_cli, spending_cli, reconciliation_cli]
FEATURE_COMMANDS.append(planning_cli)
FEATURE_COMMANDS += [providers_cli, segments_cli]
FEATURE_COMMANDS.append(budget_totals_cli)
FEATURE_COMMANDS.append(kpis_cli)
FEATURE_COMMANDS.append(cbs_cli)
FEATURE_COMMANDS.append(council_reports_cli)

WORKER_START_SECONDS = 120
LANG_HELP = "csv: nl as Dutch Excel opens it; en the English machine format (cents)"
console = Console(width=max(Console().width, 170))
err_console = Console(stderr=True)


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="populatie",
        description="Population-based youth-care budgets for the H10 region.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="bring the database schema to the newest revision")

    load = sub.add_parser("load", help="load the shipped CBS district data into the database")
    load.add_argument("--data", type=Path, help="data folder (default: geodata/)")

    allocate = sub.add_parser("allocate", help="compute the allocation for a budget year")
    allocate.add_argument("--year", type=int, required=True)
    allocate.add_argument(
        "--municipality",
        action="append",
        metavar="GMnnnn",
        help="only this municipality (repeatable; default: all ten)",
    )
    allocate.add_argument("--scenario", type=Path, help="TOML overriding models/base/damping")
    allocate.add_argument("--adopt", action="store_true", help="adopt the run at once")
    allocate.add_argument("--format", choices=["table", "json", "csv"], default="table")
    allocate.add_argument("--lang", choices=["nl", "en"], default="nl", help=LANG_HELP)

    adopt = sub.add_parser("adopt", help="adopt a stored run for its year and municipalities")
    adopt.add_argument("run_id")

    show = sub.add_parser("show", help="print a stored run")
    show.add_argument("run_id")
    show.add_argument("--format", choices=["table", "json", "csv"], default="table")
    show.add_argument("--lang", choices=["nl", "en"], default="nl", help=LANG_HELP)

    runs = sub.add_parser("runs", help="list stored runs; propose, approve or reject one")
    runs.add_argument("--year", type=int)
    proposals_cli.add_run_commands(runs)

    serve = sub.add_parser("serve", help="serve the API on this machine")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (they share sessions and secrets through the database)",
    )

    for feature in FEATURE_COMMANDS:
        feature.add_commands(sub)
    return parser


def _print_report(report: service.RunReport, fmt: str, lang: str) -> None:
    if fmt == "json":
        sys.stdout.write(render.render_json(report) + "\n")
    elif fmt == "csv":
        sys.stdout.write(
            render.render_csv_nl(report) if lang == "nl" else render.render_csv(report)
        )
    else:
        render.render_table(report, console)


def _audit_run(
    session: Session, user: str, action: str, run: AllocationRun, scenario: Path | None = None
) -> None:
    """The same event the API records for a run, in the command's own transaction."""
    detail: dict[str, object] = {"year": run.year, "municipalities": list(run.municipalities)}
    if action == "run.create":
        detail["scenario"] = scenario.name if scenario is not None else None
    if action == "run.adopt":
        # The operator's own path, without a second person: said so in the audit log, and a
        # proposal of the run that still waits is settled by it.
        detail["path"] = "operator"
        detail["settled_proposal"] = settle_by_operator(session, run, Actor.on_command_line(user))
    record_cli_event(session, user, action, f"run:{run.id}", detail)


def run(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "allocate" and (twice := service.repeated(args.municipality or [])):
        parser.error(f"argument --municipality: {', '.join(twice)} given more than once")
    settings = get_settings()
    if args.command == "serve":
        import uvicorn

        from populatie.app import create_app

        if args.workers < 1:
            parser.error("argument --workers: at least 1")
        migrate(get_engine())
        console.print(f"Serving populatie on http://{args.host}:{args.port} (API under /api)")
        if args.workers == 1:
            uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info")
        else:  # each worker process builds its own app, from the same settings
            uvicorn.run(
                "populatie.app:create_app",
                factory=True,
                workers=args.workers,
                # a worker imports the geodata libraries before it answers: on a busy machine
                # that takes longer than uvicorn's 5 s, which would restart it again and again
                timeout_worker_healthcheck=WORKER_START_SECONDS,
                host=args.host,
                port=args.port,
                log_level="info",
            )
        return 0
    engine = get_engine()
    migrate(engine)
    if args.command == "migrate":
        console.print("database schema is up to date")
        return 0
    if args.command == "load":
        config = load_config(settings.config_dir)
        with session_scope(engine) as session:
            outcome = load_districts(session, args.data or settings.data_dir, settings.user)
            if config.allocation_unit == "neighbourhood":
                outcome.report.extend(
                    check_neighbourhoods(session, args.data or settings.data_dir, config)
                )
            sync_registry(session, config)
            seeded = seed_totals(session, config, settings.user)
            record_cli_event(
                session,
                settings.user,
                "data.load",
                f"data_load:{outcome.content_hash[:12]}",
                {
                    "geodata_written": outcome.loaded,
                    "content_hash": outcome.content_hash,
                    "districts": outcome.districts,
                    "figures": outcome.figures,
                    "registry": "synchronised with config",
                    "budget_totals_seeded": [f"{y}/{m}" for y, m in seeded],
                },
            )
        console.print(outcome.summary())
        for line in outcome.report:
            console.print(f"  - {line}")
        if seeded:
            console.print(f"  - budget totals seeded from config/budgets.toml: {len(seeded)}")
        return 0
    if args.command == "allocate":
        config = load_config(settings.config_dir, args.scenario)
        with session_scope(engine) as session:
            sync_registry(session, config)
            new_run = service.create_run(
                session, config, args.year, args.municipality, settings.user
            )
            _audit_run(session, settings.user, "run.create", new_run, args.scenario)
            if args.adopt:
                adopted = service.adopt(session, new_run.id, settings.user)
                _audit_run(session, settings.user, "run.adopt", adopted)
        with session_scope(engine) as session:
            _print_report(service.run_report(session, new_run.id), args.format, args.lang)
        return 0
    if args.command == "adopt":
        with session_scope(engine) as session:
            adopted = service.adopt(session, args.run_id, settings.user)
            _audit_run(session, settings.user, "run.adopt", adopted)
        console.print(
            f"run {adopted.id} adopted for {adopted.year}: {', '.join(adopted.municipalities)}"
        )
        return 0
    if args.command == "show":
        with session_scope(engine) as session:
            _print_report(service.run_report(session, args.run_id), args.format, args.lang)
        return 0
    if args.command == "runs" and getattr(args, "handler", None) is None:
        with session_scope(engine) as session:
            for r in service.list_runs(session, args.year):
                status = service.run_standing(session, r).label
                console.print(
                    f"{r.id}  {r.year}  {status:<10}  {r.scenario:<12} "
                    f"{r.created_at:%Y-%m-%d %H:%M}  {r.created_by}  {','.join(r.municipalities)}"
                )
        return 0
    handler = getattr(args, "handler", None)
    if handler is not None:
        result: int = handler(args, engine, settings)
        return result
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`populatie show … | head`): the recipe of the Python docs
        # (signal, "Note on SIGPIPE"): point stdout at devnull so that the flush at exit
        # cannot fail again, and end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except PopulatieError as exc:
        err_console.print(f"[bold red]error[/]: {exc.message}", highlight=False)
        code = 2
    except Exception as exc:
        fault = environment_fault(exc)
        if fault is None:
            raise
        where = ""
        if fault.in_database:
            url = make_url(get_settings().effective_database_url)
            where = f"; database {url.render_as_string(hide_password=True)}"
        err_console.print(
            f"[bold red]error[/]: {escape(fault.detail + where)}", highlight=False, soft_wrap=True
        )
        code = EXIT_ENVIRONMENT
    sys.exit(code)


if __name__ == "__main__":
    main()
