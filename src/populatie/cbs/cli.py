"""``populatie fetch-cbs`` and ``populatie fetch-boundaries``.

Offline or with the source down, each says in one line that the shipped data stays in use and
ends with exit code 3 (a fault of the environment, as the README's exit codes say); nothing is
written then, since the file is renamed into place only once every page has arrived.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from populatie import __version__
from populatie.auth.audit import record_cli_event
from populatie.cbs.boundaries import fetch_boundaries
from populatie.cbs.figures import fetch_figures
from populatie.cbs.http import SourceError
from populatie.cbs.sources import load_sources
from populatie.db import session_scope
from populatie.errors import ConfigurationError
from populatie.faults import EXIT_ENVIRONMENT
from populatie.geo.region import MUNICIPALITIES
from populatie.settings import Settings

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def make_client(timeout_seconds: float) -> httpx.Client:
    """The HTTP client of both commands; tests replace it with one on recorded answers."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=True,
        headers={"User-Agent": f"populatie/{__version__}", "Accept": "application/json"},
    )


def add_commands(subparsers: Any) -> None:
    figures = subparsers.add_parser(
        "fetch-cbs",
        help="fetch one year's CBS key figures (wijken en buurten) as a new vintage file",
    )
    boundaries = subparsers.add_parser(
        "fetch-boundaries",
        help="fetch one year's CBS district or neighbourhood boundaries from PDOK (EPSG:28992)",
    )
    for parser in (figures, boundaries):
        parser.add_argument(
            "--year", type=int, required=True, help="the table year, as in config/cbs.toml"
        )
        parser.add_argument("--level", choices=["district", "neighbourhood"], default="district")
        parser.add_argument(
            "--municipality",
            action="append",
            metavar="GMnnnn",
            help="only this municipality (repeatable; default: all ten)",
        )
        parser.add_argument("--data", type=Path, help="data folder (default: geodata/)")
    figures.set_defaults(handler=_fetch_figures)
    boundaries.set_defaults(handler=_fetch_boundaries)


def _municipalities(args: argparse.Namespace) -> list[str]:
    chosen: list[str] = args.municipality or sorted(MUNICIPALITIES)
    unknown = [code for code in chosen if code not in MUNICIPALITIES]
    if unknown:
        raise ConfigurationError(f"{', '.join(unknown)}: not one of the H10 municipalities")
    if len(set(chosen)) != len(chosen):
        raise ConfigurationError("--municipality: name each municipality once")
    return sorted(chosen)


def _progress(line: str) -> None:
    err_console.print(escape(line))


def _run(
    args: argparse.Namespace,
    engine: Engine,
    settings: Settings,
    action: str,
    fetch: Callable[..., Any],
) -> int:
    sources = load_sources(settings.config_dir)
    municipalities = _municipalities(args)
    folder: Path = args.data or settings.data_dir
    try:
        with make_client(sources.odata.timeout_seconds) as client:
            outcome = fetch(
                client,
                sources,
                year=args.year,
                level=args.level,
                municipalities=municipalities,
                folder=folder,
                now=datetime.now(UTC),
                progress=_progress,
            )
    except SourceError as error:
        err_console.print(
            f"[bold red]error[/]: {escape(str(error))}; nothing written, the data in "
            f"{escape(folder.name)}/ stays in use"
        )
        return EXIT_ENVIRONMENT
    with session_scope(engine) as session:
        record_cli_event(
            session,
            settings.user,
            action,
            f"file:{outcome.path.name}",
            {"year": args.year, "level": args.level, "municipalities": municipalities},
        )
    print(outcome.summary())
    return 0


def _fetch_figures(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    return _run(args, engine, settings, "data.fetch_cbs", fetch_figures)


def _fetch_boundaries(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    return _run(args, engine, settings, "data.fetch_boundaries", fetch_boundaries)
