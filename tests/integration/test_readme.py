"""The README's commands work as written on the database ``make run`` makes.

The demo database is built once with the recipe lines of the Makefile's ``demo`` and
``demo-tokens`` targets, each run through ``run_cli`` on the embedded default, as a fresh clone
does. Then every command of the README's ```sh blocks runs in README order on it and must exit
0; these run in this process (a subprocess each would spend most of its time importing), with
the same environment. Run ids and token ids are the README's placeholders, filled in from
``populatie runs`` and ``populatie tokens list`` at the moment the command runs. The few lines
that are not run are listed in :data:`NOT_RUN`, each with its reason, and reported as skipped.
"""

from __future__ import annotations

import io
import re
import shlex
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from populatie import cli
from populatie.db import get_engine
from populatie.settings import get_settings
from tests.conftest import ROOT
from tests.integration.conftest import CONFIG, GEODATA, run_cli

README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
# A line of a ```sh block that starts with one of these is not run here, for this reason.
NOT_RUN = {
    "make": "make targets install into .venv; these tests already run in it",
    "source": "sets up a second shell; the tests call populatie directly",
    "curl": "needs the server `make run` starts",
    "populatie serve": "serves until stopped",
    "populatie fetch-cbs": "needs CBS open data on the internet; tests/unit/test_cbs_fetch.py "
    "runs it on recorded answers",
    "populatie fetch-boundaries": "needs PDOK on the internet; tests/unit/test_cbs_boundaries.py "
    "runs it on recorded answers",
}
RUN_LINE = re.compile(r"^([0-9a-f-]{36})\s", re.M)
TOKEN_LINE = re.compile(r"^\s*(\d+)\s", re.M)


@dataclass(frozen=True)
class Command:
    line: int
    words: list[str]

    @property
    def text(self) -> str:
        return shlex.join(self.words)


def readme_commands() -> list[Command]:
    """The commands of the ```sh blocks: continued lines joined, comments dropped."""
    commands: list[Command] = []
    in_block = False
    pending: list[str] = []
    start = 0
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if not in_block:
            in_block = line.strip() == "```sh"
            continue
        if line.strip() == "```" and not pending:
            in_block = False
            continue
        if not pending:
            start = number
        pending.append(line)
        text = "\n".join(pending)
        if text.endswith("\\"):
            continue
        try:
            words = shlex.split(text.replace("\\\n", " "), comments=True)
        except ValueError:  # a quoted string that goes on over the next line
            continue
        pending = []
        if words:
            commands.append(Command(start, words))
    assert not pending, f"README.md line {start}: unfinished command"
    return commands


def reason_not_run(command: Command) -> str | None:
    for prefix, reason in NOT_RUN.items():
        if command.text == prefix or command.text.startswith(prefix + " "):
            return reason
    return None


COMMANDS = readme_commands()
NOT_RUN_HERE = [(c, r) for c in COMMANDS if (r := reason_not_run(c)) is not None]


def _make_recipe(target: str) -> list[list[str]]:
    """The ``populatie`` lines of a Makefile target, with its variables filled in."""
    lines = MAKEFILE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe: list[list[str]] = []
    for line in lines[first + 1 :]:
        if not line.startswith("\t"):
            break
        text = line.strip().lstrip("-").replace("$(HOST)", "127.0.0.1").replace("$(PORT)", "8000")
        words = shlex.split(text)
        assert words[0] == "$(BIN)/populatie", line
        recipe.append(words[1:])
    return recipe


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make demo`` and ``make demo-tokens``, on the embedded database of a fresh folder."""
    folder = tmp_path_factory.mktemp("readme")
    for args in _make_recipe("demo") + _make_recipe("demo-tokens"):
        done = run_cli(folder, *args, database_url=None)
        assert done.returncode == 0, f"populatie {shlex.join(args)}:\n{done.stderr}"
    return folder


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def populatie(folder: Path, *args: str) -> Done:
    """``populatie ARGS`` in ``folder`` with run_cli's environment, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("POPULATIE_DATABASE_URL", raising=False)
        mp.setenv("POPULATIE_VAR_DIR", str(folder / "var"))
        mp.setenv("POPULATIE_DATA_DIR", str(GEODATA))
        mp.setenv("POPULATIE_CONFIG_DIR", str(CONFIG))
        mp.setenv("POPULATIE_USER", "tester")
        mp.setenv("COLUMNS", "200")
        mp.chdir(folder)
        get_settings.cache_clear()
        get_engine.cache_clear()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                cli.main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            get_engine(None).dispose()
            get_settings.cache_clear()
            get_engine.cache_clear()
    return Done(code, out.getvalue(), err.getvalue())


def _ids(folder: Path, *args: str, pattern: re.Pattern[str]) -> list[str]:
    done = populatie(folder, *args)
    assert done.returncode == 0, done.stderr
    return pattern.findall(done.stdout)


def _filled(folder: Path, words: list[str]) -> list[str]:
    """``words`` with the placeholders replaced: RUN_ID and RUN_B the newest run, RUN_A the
    one before it, TOKEN_ID the newest token."""
    values: dict[str, str] = {}
    if {"RUN_ID", "RUN_A", "RUN_B"} & set(words):
        runs = _ids(folder, "runs", pattern=RUN_LINE)
        values |= {"RUN_ID": runs[0], "RUN_B": runs[0], "RUN_A": runs[1]}
    if "TOKEN_ID" in words:
        values["TOKEN_ID"] = _ids(folder, "tokens", "list", pattern=TOKEN_LINE)[-1]
    return [values.get(word, word) for word in words]


def test_the_readme_has_commands_and_few_lines_not_run() -> None:
    assert len(COMMANDS) > 30
    # 12, and the two fetch commands, which need the internet (tested on recorded answers).
    assert len(NOT_RUN_HERE) <= 16, [c.text for c, _ in NOT_RUN_HERE]


@pytest.mark.parametrize(
    ("command", "reason"), NOT_RUN_HERE, ids=[f"README.md:{c.line}" for c, _ in NOT_RUN_HERE]
)
def test_lines_not_run(command: Command, reason: str) -> None:
    pytest.skip(f"`{command.text[:60]}`: {reason}")


def test_every_readme_command_works_on_the_demo_database(demo: Path) -> None:
    failed: list[str] = []
    for command in COMMANDS:
        if reason_not_run(command) is not None:
            continue
        words = command.words
        if words[0] != "populatie":
            failed.append(
                f"README.md line {command.line}: `{command.text}` is neither a populatie command "
                "nor a line NOT_RUN explains"
            )
            continue
        out: Path | None = None
        if ">" in words:
            at = words.index(">")
            out, words = demo / words[at + 1], words[:at]
        done = populatie(demo, *_filled(demo, words[1:]))
        if done.returncode != 0:
            failed.append(f"README.md line {command.line}: {command.text}\n{done.stderr[-2000:]}")
        elif out is not None:
            out.write_text(done.stdout, encoding="utf-8")
    assert not failed, "\n\n".join(failed)
    # What the README says `populatie runs` shows after its Den Haag-only adoption.
    runs = populatie(demo, "runs", "--year", "2026")
    assert "adopted (9 of 10; GM0518 superseded)" in runs.stdout, runs.stdout
