"""``populatie council-report create|export|list``: freeze a municipality's figures for a
period, and write the stored report as PDF or XLSX (the same bytes every time)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from populatie.auth.audit import CLI_ROLE
from populatie.configuration import load_config
from populatie.council_reports.service import (
    create_report,
    export_report,
    file_name,
    get_report,
    list_reports,
)
from populatie.db import session_scope
from populatie.kpis.service import register_of
from populatie.settings import Settings

console = Console()


def add_commands(sub: Any) -> None:
    report = sub.add_parser(
        "council-report", help="council reports: frozen snapshots as PDF and XLSX (Dutch)"
    )
    actions = report.add_subparsers(dest="council_action", required=True)
    create = actions.add_parser("create", help="freeze a municipality's figures for a period")
    create.add_argument("--municipality", required=True, metavar="GMnnnn")
    create.add_argument("--year", type=int, required=True)
    create.add_argument("--to-month", type=int, default=12, help="up to this month, 1 to 12")
    create.set_defaults(handler=_create)
    export = actions.add_parser("export", help="write a stored report as PDF or XLSX")
    export.add_argument("report_id", type=int)
    export.add_argument("--format", choices=["pdf", "xlsx"], default="pdf")
    export.add_argument("--out", type=Path, help="the file (default: raadsrapportage-….pdf)")
    export.set_defaults(handler=_export)
    listing = actions.add_parser("list", help="the stored reports, newest first")
    listing.add_argument("--municipality", metavar="GMnnnn")
    listing.set_defaults(handler=_list)


def _create(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    config = load_config(settings.config_dir)
    outcome = create_report(
        engine,
        args.municipality,
        args.year,
        args.to_month,
        register_of(settings.config_dir),
        config,
        actor=settings.user,
        role=CLI_ROLE,
    )
    r = outcome.report
    said = "created" if outcome.created else "the same content was stored before; nothing changed"
    console.print(f"council report {r.id} ({said}): {r.municipality_code} {r.year} to "
                  f"{r.to_month:02d}, sha256 {r.content_hash}")  # fmt: skip
    return 0


def _export(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        report = get_report(session, args.report_id)
        session.expunge(report)
    content = export_report(report, args.format)
    out = args.out or Path(file_name(report, args.format))
    out.write_bytes(content)
    console.print(f"council report {report.id} written to {out} ({len(content)} bytes)")
    return 0


def _list(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        for r in list_reports(session, args.municipality):
            console.print(
                f"{r.id}  {r.municipality_code}  {r.year} to {r.to_month:02d}  "
                f"{r.created_at:%Y-%m-%d %H:%M}  {r.created_by}  {r.content_hash[:16]}"
            )
    return 0
