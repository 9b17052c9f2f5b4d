"""How ``populatie … --help`` reads: every option with a default says what it is.

argparse's own ``ArgumentDefaultsHelpFormatter`` prints ``(default: None)`` and
``(default: False)`` for options that have no default worth the name, repeats a default the help
already explains, and says nothing for an option without help text; this one says a default
wherever there is one and the help is silent about it.
"""

from __future__ import annotations

import argparse
import copy
from typing import Any

__all__ = ["DefaultsHelpFormatter", "Parser"]


def _has_default(action: argparse.Action) -> bool:
    default = action.default
    return bool(action.option_strings) and not (
        default is None or default is False or default == "" or default is argparse.SUPPRESS
    )


class DefaultsHelpFormatter(argparse.HelpFormatter):
    def _format_action(self, action: argparse.Action) -> str:
        if not action.help and _has_default(action):
            action = copy.copy(action)
            action.help = "default: %(default)s"
        return super()._format_action(action)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if not _has_default(action) or "default" in text:
            return action.help
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An argument parser whose help, and every subcommand's, shows the defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
