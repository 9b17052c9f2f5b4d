"""``populatie estimate``, ``populatie sensitivity`` and ``populatie explain``.

::

    populatie estimate --domain specialist --from-spending 2024 [--municipality GM0518]
        [--indicator K ...] [--bootstrap 1000] [--seed 1] [--level 0.95]
        [--write-scenario config/scenarios/NAME.toml] [--format table|json]
    populatie sensitivity RUN_ID [--step 10] [--estimate ESTIMATE.json] [--format table|json]
    populatie explain RUN_A RUN_B [--domain DOMAIN] [--format table|json]

``estimate --format json`` prints the estimate in the form ``sensitivity --estimate`` reads.
Instead of imported spending, ``--spend-file`` takes a CSV of ``district,amount`` (euro); a
district it does not list is an error unless ``--missing zero``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from populatie.configuration import DOMAINS, load_config
from populatie.core import parse_cents
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.planning import render, service
from populatie.settings import Settings

console = Console(width=max(Console().width, 170))


def add_commands(subparsers: Any) -> None:
    estimate = subparsers.add_parser(
        "estimate", help="estimate a domain's rates from spending per district (NNLS)"
    )
    estimate.add_argument("--domain", choices=DOMAINS, required=True)
    source = estimate.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--from-spending", type=int, metavar="YEAR", help="imported spending of this year"
    )
    source.add_argument(
        "--spend-file", type=Path, help="CSV with columns district,amount (euro, 1234.56)"
    )
    estimate.add_argument(
        "--municipality",
        metavar="GMnnnn",
        help="fit this municipality's districts and model (default: every municipality with "
        "spending, with the default model's indicators)",
    )
    estimate.add_argument(
        "--indicator",
        action="append",
        metavar="NAME",
        help="an indicator to fit (repeatable; default: those the model rates in the domain)",
    )
    estimate.add_argument(
        "--missing",
        choices=["error", "zero"],
        default="error",
        help="a district the spend file does not list: an error, or spend 0",
    )
    estimate.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="DRAWS",
        help="resamples of the districts for the rate intervals",
    )
    estimate.add_argument("--seed", type=int, default=1, help="the same seed, the same intervals")
    estimate.add_argument(
        "--level", type=float, default=0.95, help="interval level, a fraction (0.95: 95 %%)"
    )
    estimate.add_argument(
        "--vif-threshold",
        type=float,
        default=10.0,
        help="flag an indicator whose variance inflation factor is above this",
    )
    estimate.add_argument(
        "--write-scenario",
        type=Path,
        metavar="FILE.toml",
        help="write the fitted rates as a scenario for `populatie allocate --scenario`",
    )
    estimate.add_argument("--format", choices=["table", "json"], default="table")
    estimate.set_defaults(handler=_estimate)

    sensitivity = subparsers.add_parser(
        "sensitivity", help="how each area's budget moves with each rate and count of a run"
    )
    sensitivity.add_argument("run_id")
    sensitivity.add_argument(
        "--step",
        type=float,
        default=10.0,
        metavar="PERCENT",
        help="how much higher each rate and each count is tried, in percent of its value "
        "(10: 10 %% higher)",
    )
    sensitivity.add_argument(
        "--estimate",
        type=Path,
        metavar="FILE.json",
        help="an estimate (`populatie estimate --format json`): also each area's range over "
        "its rate intervals",
    )
    sensitivity.add_argument("--format", choices=["table", "json"], default="table")
    sensitivity.set_defaults(handler=_sensitivity)

    explain = subparsers.add_parser(
        "explain", help="split every area's change between two runs into exact parts"
    )
    explain.add_argument("run_a")
    explain.add_argument("run_b")
    explain.add_argument(
        "--domain", choices=[*DOMAINS, "total"], default="total", help="default: all domains"
    )
    explain.add_argument("--format", choices=["table", "json"], default="table")
    explain.set_defaults(handler=_explain)


def _estimate(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    config = load_config(settings.config_dir)
    with session_scope(engine) as session:
        if args.spend_file is not None:
            spend = _read_spend_file(args.spend_file)
            without = 0
            source = f"spend file {args.spend_file.name}"
            missing = args.missing
        else:
            found = service.spend_per_district(
                session, args.from_spending, args.domain, args.municipality
            )
            spend, without = found.cents, found.without_district_cents
            source = f"spending {args.from_spending}"
            missing = "zero"  # nothing booked on a district is spend 0
        report = service.estimate(
            session,
            config,
            spend,
            domain=args.domain,
            municipality=args.municipality,
            indicators=args.indicator,
            draws=args.bootstrap,
            seed=args.seed,
            level=args.level,
            vif_threshold=args.vif_threshold,
            source=source,
            without_district_cents=without,
            missing=missing,
        )
    if args.format == "json":
        sys.stdout.write(render.render_json(report.as_json()) + "\n")
    else:
        render.render_estimate(report, console)
    if args.write_scenario is not None:
        path = service.write_scenario(report, config, args.write_scenario, settings.config_dir)
        (console if args.format == "table" else Console(stderr=True)).print(
            f"scenario written to {path}: run it with "
            f"`populatie allocate --year YEAR --scenario {path}`"
        )
    return 0


def _read_spend_file(path: Path) -> dict[str, int]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise DataError(f"spend file {path.name} does not exist") from None
    if not rows or not {"district", "amount"} <= set(rows[0]):
        raise DataError(f"{path.name} needs the columns district and amount")
    spend: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        try:
            cents = parse_cents(row["amount"])
        except DataError as exc:
            raise DataError(f"{path.name} line {line}: {exc.message}") from None
        spend[row["district"]] = spend.get(row["district"], 0) + cents
    return spend


def _sensitivity(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    estimate = service.load_estimate(args.estimate) if args.estimate else None
    with session_scope(engine) as session:
        report = service.sensitivity(
            session, args.run_id, step=args.step / 100.0, estimate=estimate
        )
    if args.format == "json":
        sys.stdout.write(render.render_json(report.as_json()) + "\n")
    else:
        render.render_sensitivity(report, console)
    return 0


def _explain(args: argparse.Namespace, engine: Engine, settings: Settings) -> int:
    with session_scope(engine) as session:
        report = service.explain(session, args.run_a, args.run_b)
    if args.format == "json":
        sys.stdout.write(render.render_json(report.as_json()) + "\n")
    else:
        render.render_explain(report, args.domain, console)
    return 0
