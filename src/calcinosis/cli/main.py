"""The ``calcinosis`` command: a thin layer of verb subcommands over the Python API.

Heavy imports happen inside each command so that ``calcinosis --help`` and a single
``diagnose`` start fast. Every expected failure (bad case file, bad knowledge base) is
printed as a clear message with exit code 2, never a traceback.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context

__all__ = ["app", "main"]

# Each command: its module and the function or sub-app it holds, in the order of --help. A
# command's module is imported and its options are built only when the command is used (or
# listed by --help): importing the fourteen modules and building all 37 commands took about
# 30 ms of every start, for one command run.
COMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("calcinosis.cli.diagnose", "diagnose"),
    "batch": ("calcinosis.cli.batch", "batch"),
    "evaluate": ("calcinosis.cli.evaluate", "evaluate"),
    "intake": ("calcinosis.cli.intake", "intake"),
    "intake-eval": ("calcinosis.cli.intake_eval", "intake_eval"),
    "manage": ("calcinosis.cli.manage", "manage"),
    "report": ("calcinosis.cli.report", "report"),
    "schema": ("calcinosis.cli.schema", "schema"),
    "serve": ("calcinosis.cli.serve", "serve"),
    "stage": ("calcinosis.cli.manage", "stage_app"),
    "kb": ("calcinosis.cli.kb", "app"),
    "image": ("calcinosis.cli.image", "app"),
    "registry": ("calcinosis.cli.registry", "app"),
    "fhir": ("calcinosis.cli.fhir", "app"),
    "phenopacket": ("calcinosis.cli.phenopacket", "app"),
}


class _LazyGroup(TyperGroup):
    """The root group: its commands (``COMMANDS``) are imported and built on first use, as
    Click's documentation does for lazily loaded subcommands."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name]
            self.commands[cmd_name] = _command(cmd_name, getattr(import_module(module), attr))
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] not in COMMANDS:  # a typo: Typer's 'did you mean' looks among the built commands
            for name in COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def _command(name: str, target: typer.Typer | Callable[..., Any]) -> Command:
    """The Click command of a Typer sub-app (a group) or of a command function, built as
    ``Typer.add_typer`` and ``Typer.command`` would build it inside the root app."""
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False)
    single.command(name)(target)
    return typer.main.get_command(single)


app = typer.Typer(
    name="calcinosis",
    help="Decision support for soft-tissue calcification: classification, calibrated differential, work-up. The decision is the clinician's.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback(invoke_without_command=True)
def _root(
    version: bool = typer.Option(False, "--version", help="Print the code and knowledge versions."),
) -> None:
    """Decision support for soft-tissue calcification."""
    if version:
        import yaml

        from calcinosis import __version__
        from calcinosis.kb.loader import default_kb_path

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        manifest = yaml.load((default_kb_path() / "MANIFEST.yaml").read_text(encoding="utf-8"), Loader=loader)
        typer.echo(f"calcinosis {__version__} (knowledge base {manifest['kb_version']})")
        raise typer.Exit(0)


# Commands whose arrays are large enough for the BLAS library's threads to pay: the others run
# with one (see _one_blas_thread).
BLAS_THREADED = frozenset({"batch"})
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _one_blas_thread(argv: list[str]) -> None:
    """One BLAS thread for a command that multiplies small arrays, unless the user chose a number.

    numpy's OpenBLAS starts a thread per core when numpy is imported, and the threads spin
    before they sleep: on the 2-core machine of issue #17 that was about 100 ms of CPU of a
    ``diagnose`` that uses 340 ms in all, for products of 54 rows that one thread does faster.
    The variables must be set before numpy is first imported, so here, before any command runs;
    ``batch``, whose cohort-sized products use the threads, keeps the library's default.
    """
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command in BLAS_THREADED:
        return
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")


def _no_pydantic_plugins() -> None:
    """Pydantic's plugin search skipped, unless the user set it: the first model it builds scans
    the entry points of every installed distribution for plugins this program never uses (about
    7 ms of a ``diagnose`` start of about 300 ms, issue #17). ``PYDANTIC_DISABLE_PLUGINS`` set by
    the user (a plugin wanted, or another value) is kept."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main() -> None:
    """Console-script entry point."""
    _one_blas_thread(sys.argv[1:])
    _no_pydantic_plugins()
    from calcinosis.errors import CalcinosisError

    try:
        app()
    except CalcinosisError as exc:
        from calcinosis.textsafe import plain  # only a failure prints untrusted text

        sys.stderr.write(f"error: {plain(exc)}\n")
        sys.exit(2)
    finally:
        # The command is over and the process ends. Python's shutdown would walk every object
        # with the cycle collector once more (40 to 50 ms, as long as loading the knowledge) to
        # free memory that the system takes back anyway: in the permanent generation they are
        # skipped. Everything is still released as the modules are cleared, and atexit
        # handlers and the flushing of stdout and stderr are unchanged.
        gc.freeze()
