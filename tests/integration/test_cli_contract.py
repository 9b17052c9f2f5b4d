"""The command line's contract: repeated options refused by name, defaults shown in --help."""

from __future__ import annotations

import argparse
from argparse import SUPPRESS
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from populatie.cli import _parser, run
from tests.integration.conftest import run_cli


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-contract")
    loaded = run_cli(folder, "load")
    assert loaded.returncode == 0, loaded.stderr
    return folder


def test_allocate_refuses_a_municipality_given_twice(cli_db: Path) -> None:
    done = run_cli(
        cli_db, "allocate", "--year", "2026", "--municipality", "GM0518",
        "--municipality", "GM0503", "--municipality", "GM0518",
    )  # fmt: skip
    assert done.returncode == 2
    assert "--municipality" in done.stderr
    assert "GM0518 given more than once" in done.stderr
    assert "Traceback" not in done.stderr
    runs = run_cli(cli_db, "runs")
    assert runs.returncode == 0, runs.stderr
    assert runs.stdout.strip() == ""  # nothing was stored


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as done:
        run([*command, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # one line, whatever the wrapping


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[list[str], Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield [name], sub
                for names, deeper in _subcommands(sub):
                    yield [name, *names], deeper


def test_every_option_with_a_default_shows_it(capsys: pytest.CaptureFixture[str]) -> None:
    checked = 0
    for command, parser in _subcommands(_parser()):
        text = _help(capsys, *command)
        for action in parser._actions:
            if not action.option_strings or action.default in (None, False, "", SUPPRESS):
                continue
            assert f"default: {action.default}" in text or "default:" in (action.help or ""), (
                command,
                action.option_strings,
            )
            checked += 1
    assert checked >= 15


def test_help_names_units_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    step = _help(capsys, "sensitivity")
    assert "--step PERCENT" in step
    assert "in percent of its value (10: 10 % higher) (default: 10.0)" in step
    assert "(default: 1000)" in _help(capsys, "estimate")
    assert "default: table" in _help(capsys, "allocate")
    assert "default: 8000" in _help(capsys, "serve")
    assert "(default: None)" not in _help(capsys, "reconcile")
    assert "(default: False)" not in _help(capsys, "allocate")
