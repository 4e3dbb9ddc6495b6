"""Command-line conventions shared by every ``mockserver`` command: one-line errors, defaults in
``--help``, and environment variables standing in for options."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

ENVIRONMENT_PREFIX = "MOCKSERVER_"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes are one line naming the fix, and whose help shows defaults."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` only where a default means something and the help does not say it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        meaningless = action.default is None or action.default is False or action.default == [] or action.default is argparse.SUPPRESS
        if "default" in text or meaningless:
            return text
        return super()._get_help_string(action)


def port(text: str) -> int:
    """An argparse type: a TCP port, or 0 for one the system picks."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port: use 1-65535, or 0 for a free one")
    return number


def environment_name(action: argparse.Action) -> str:
    return ENVIRONMENT_PREFIX + action.dest.upper()


def read_environment(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> None:
    """Each option of ``parser`` may be given as $MOCKSERVER_<OPTION> (``--public-url`` is
    $MOCKSERVER_PUBLIC_URL); the command line wins. A bad value is an error naming the variable.
    A repeatable option takes a comma-separated list; a flag takes 1/true/yes or 0/false/no."""
    for action in parser._actions:
        if not action.option_strings or action.dest in skip or action.dest in ("help", "version"):
            continue
        name = environment_name(action)
        if action.help is not None and action.help is not argparse.SUPPRESS:
            action.help += f" [${name}]"
        if name not in os.environ:
            continue
        try:
            action.default = _from_text(action, os.environ[name])
        except (argparse.ArgumentTypeError, ValueError) as error:
            parser.exit(2, f"{parser.prog}: ${name}: {error}\n")


def _from_text(action: argparse.Action, text: str) -> object:
    if isinstance(action, argparse._StoreTrueAction):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"{text!r} is not one of 1/true/yes or 0/false/no")
    convert = action.type or str
    if isinstance(action, argparse._AppendAction):
        return [convert(part.strip()) for part in text.split(",") if part.strip()]  # type: ignore[operator]
    value = convert(text)  # type: ignore[operator]
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"{text!r} is not one of {', '.join(map(str, action.choices))}")
    return value


def fail(command: str, message: str) -> int:
    """A start-up mistake: one line on stderr, exit status 2."""
    print(f"{command}: {message}", file=sys.stderr)
    return 2
