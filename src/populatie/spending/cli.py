"""``populatie import-spending`` and ``populatie demo-spending``."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from populatie.db import session_scope
from populatie.errors import SpendingImportError
from populatie.import_errors import show_import_errors
from populatie.settings import Settings
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.service import import_spending

console = Console(soft_wrap=True)
err_console = Console(stderr=True)

#: Files larger than this get a progress bar (about 5,000 rows).
PROGRESS_BYTES = 500_000
#: Errors printed on the terminal; ``--errors FILE`` writes all of them.


class _Bar:
    """The import's progress, as a rich progress bar on stderr."""

    def __init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.__exit__(kind, value, traceback)

    def phase(self, name: str, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(f"{name} rows", total=total)

    def advance(self, rows: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)


def add_commands(sub: Any) -> None:
    load = sub.add_parser("import-spending", help="import a spending CSV (all or nothing)")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--decimal-comma",
        action="store_true",
        help="amounts are written 1.234,56 (Dutch) instead of 1234.56",
    )
    load.add_argument(
        "--errors", type=Path, metavar="FILE", help="write every error to this CSV file"
    )
    load.set_defaults(handler=_import)

    demo = sub.add_parser("demo-spending", help="write a synthetic spending CSV to try things on")
    demo.add_argument("--year", type=int, required=True)
    demo.add_argument("--rows", type=int, default=20_000)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--out", type=Path, required=True)
    demo.add_argument(
        "--decimal-comma", action="store_true", help="write Dutch amounts, ';'-separated"
    )
    demo.add_argument(
        "--with-contracts",
        action="store_true",
        help="first register demo contracts for the lots that have none in force",
    )
    demo.set_defaults(handler=_demo)


def _import(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    path: Path = args.file
    if not path.is_file():
        err_console.print(f"[bold red]error[/]: no such file: {path}")
        return 2
    try:
        if path.stat().st_size > PROGRESS_BYTES:
            with _Bar() as bar:
                outcome = import_spending(
                    engine,
                    path,
                    decimal_comma=args.decimal_comma,
                    user=settings.user,
                    progress=bar,
                )
        else:
            outcome = import_spending(
                engine, path, decimal_comma=args.decimal_comma, user=settings.user
            )
    except SpendingImportError as exc:
        show_import_errors(exc, args.errors, err_console)
        raise
    console.print(outcome.summary(), highlight=False)
    return 0


def _demo(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    if args.with_contracts:
        with session_scope(engine) as session:
            made = register_demo_contracts(session, args.year, settings.user)
        if made:
            console.print(f"registered demo contracts (synthetic): {', '.join(made)}")
        else:
            console.print("every lot has a contract in force already; none registered")
    with session_scope(engine) as session:
        outcome = write_demo_spending(
            session, args.year, args.rows, args.seed, args.out, decimal_comma=args.decimal_comma
        )
    console.print(outcome.summary(), highlight=False)
    return 0
