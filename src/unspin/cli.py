"""The `unspin` command. Each sub-command lives in its own module under `unspin.commands`."""
from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unspin")
def main() -> None:
    """Detect, flag, restore and trace spun English text, offline."""


def _register() -> None:
    from .commands import core, index, scan, serve, spin_eval

    for module in (core, spin_eval, index, scan, serve):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
