"""``populatie kpis import|show|signals|funnel|register`` and ``populatie demo-kpis``.

The command line sees every figure (it runs as the finance department, like the other
commands); the suppression of small counts is for what a consortium sees through the API and
the pages.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.import_errors import show_import_errors
from populatie.kpis import views
from populatie.kpis.demo import DEMO_LABEL, write_demo_figures
from populatie.kpis.service import FigureImportError, import_figures, register_of
from populatie.settings import Settings

console = Console(width=max(Console().width, 150), soft_wrap=True)
err_console = Console(stderr=True)


def add_commands(sub: Any) -> None:
    kpis = sub.add_parser("kpis", help="KPIs per segment and partnership against their norms")
    commands = kpis.add_subparsers(dest="kpis_command", required=True)

    load = commands.add_parser("import", help="import aggregated figures (CSV or XLSX)")
    load.add_argument("file", type=Path)
    load.add_argument("--errors", type=Path, metavar="FILE", help="write every error to a CSV")
    load.set_defaults(handler=_import)

    register = commands.add_parser("register", help="list the KPI register (config/kpis.toml)")
    register.add_argument("--format", choices=["table", "json"], default="table")
    register.set_defaults(handler=_register)

    show = commands.add_parser("show", help="each KPI per partnership and segment vs its norm")
    show.add_argument("--partnership")
    show.add_argument("--segment")
    show.add_argument("--kpi")
    show.add_argument("--year", type=int)
    show.add_argument("--format", choices=["table", "json", "csv"], default="table")
    show.set_defaults(handler=_show)

    signals = commands.add_parser("signals", help="KPIs outside their norm two periods in a row")
    signals.add_argument("--segment")
    signals.add_argument("--year", type=int)
    signals.add_argument("--format", choices=["table", "json"], default="table")
    signals.set_defaults(handler=_signals)

    funnel = commands.add_parser("funnel", help="providers of a segment as a funnel plot")
    funnel.add_argument("--kpi", default="dropout")
    funnel.add_argument("--segment", default="B")
    funnel.add_argument("--period", help="2026-03 or 2026-Q1 (default: the latest)")
    funnel.add_argument("--category", default="")
    funnel.add_argument("--format", choices=["table", "json"], default="table")
    funnel.set_defaults(handler=_funnel)

    demo = sub.add_parser(
        "demo-kpis", help="write (and import) illustrative KPI figures to try things on"
    )
    demo.add_argument("--year", type=int, default=2025)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--out", type=Path, required=True, help="a .csv or .xlsx file")
    demo.add_argument("--no-import", action="store_true", help="only write the file")
    demo.set_defaults(handler=_demo)


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False) + "\n")


def _import(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    path: Path = args.file
    if not path.is_file():
        err_console.print(f"[bold red]error[/]: no such file: {path}")
        return 2
    try:
        outcome = import_figures(
            engine,
            path.read_bytes(),
            path.name,
            register_of(settings.config_dir),
            actor=settings.user,
            role="cli",
        )
    except FigureImportError as exc:
        show_import_errors(exc, args.errors, err_console)
        raise
    console.print(outcome.summary(), highlight=False)
    return 0


def _register(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    view = views.register_view(register_of(settings.config_dir))
    if args.format == "json":
        _json(view)
        return 0
    table = Table(title="KPI register")
    for name in ("code", "naam", "eenheid", "beter", "segmenten", "normen", "bron"):
        table.add_column(name, overflow="fold")
    for k in view.items:
        norms = ", ".join(
            f"{n.segment} {n.year}: {n.value}{' (illustratief)' if n.illustrative else ''}"
            for n in k.norms
            if n.year == max(m.year for m in k.norms)
        )
        table.add_row(k.code, k.name_nl, k.unit, k.direction, " ".join(k.segments), norms, k.source)
    console.print(table)
    return 0


def _show(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = views.overview(
            session,
            register_of(settings.config_dir),
            None,
            segment=args.segment,
            kpi=args.kpi,
            year=args.year,
            partnership=args.partnership,
        )
    if args.format == "json":
        _json(view)
        return 0
    if args.format == "csv":
        sys.stdout.write(views.export_csv(view).decode("utf-8"))
        return 0
    table = Table(title="KPIs against their norms (last period of each series)")
    for name in (
        "partnership",
        "segment",
        "kpi",
        "cat.",
        "period",
        "value",
        "norm",
        "trend",
        "signal",
    ):
        table.add_column(name)
    for s in view.series:
        last = s.points[-1]
        norm = "" if last.norm is None else f"{last.norm:g}{'*' if last.norm_illustrative else ''}"
        trend = "" if s.trend is None else f"{s.trend.change:+g}"
        table.add_row(
            s.partnership,
            s.segment,
            s.kpi,
            s.category,
            last.period,
            "" if last.value is None else f"{last.value:g}",
            norm,
            trend,
            "ja" if s.signals else "",
        )
    console.print(table)
    console.print("* illustratieve norm (niet gepubliceerd)")
    return 0


def _signals(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = views.signal_list(
            session, register_of(settings.config_dir), None, segment=args.segment, year=args.year
        )
    if args.format == "json":
        _json(view)
        return 0
    table = Table(title="Signals: outside the norm two periods in a row")
    for name in ("partnership", "segment", "kpi", "periods", "values", "norm"):
        table.add_column(name, overflow="fold")
    for s in view.signals:
        e = s.evidence
        table.add_row(
            s.partnership,
            s.segment,
            s.kpi + (f" {s.category}" if s.category else ""),
            ", ".join(e.periods),
            ", ".join(f"{v:g}" for v in e.values),
            ", ".join(f"{n:g}" for n in sorted(set(e.norms)))
            + (" (illustratief)" if e.norm_illustrative else ""),
        )
    console.print(table)
    return 0


def _funnel(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        view = views.funnel_view(
            session,
            register_of(settings.config_dir),
            None,
            kpi=args.kpi,
            segment=args.segment,
            period=args.period,
            category=args.category,
        )
    if args.format == "json":
        _json(view)
        return 0
    title = f"Funnel {view.kpi}, segment {view.segment}, {', '.join(view.periods) or 'no data'}"
    if view.target is not None:
        title += f": target {view.target:.4f}"
    table = Table(title=title)
    for name in ("provider", "events", "cases", "share", "95 %", "99.8 %", "position"):
        table.add_column(name)
    for p in view.providers:
        lim = p.limits
        table.add_row(
            p.provider,
            str(p.events),
            str(p.cases),
            "" if p.proportion is None else f"{p.proportion:.4f}",
            "" if lim is None else f"{lim.lower_95:.4f}–{lim.upper_95:.4f}",
            "" if lim is None else f"{lim.lower_998:.4f}–{lim.upper_998:.4f}",
            p.position or "",
        )
    console.print(table)
    console.print(view.method, highlight=False)
    return 0


def _demo(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    register = register_of(settings.config_dir)
    with session_scope(engine) as session:
        outcome = write_demo_figures(session, register, args.year, args.seed, args.out)
    console.print(outcome.summary(), highlight=False)
    if not args.no_import:
        imported = import_figures(
            engine,
            args.out.read_bytes(),
            args.out.name,
            register,
            actor=settings.user,
            role="cli",
        )
        console.print(imported.summary(), highlight=False)
    console.print(DEMO_LABEL, highlight=False)
    return 0
