"""The command line builds a command only when it is used (issue #17): importing every command
module and building all their options took about 30 ms of each start. What a user sees must not
change: the same commands in the same order, the same help, and a typo still gets its 'did you
mean'."""

from __future__ import annotations

import importlib

import pytest
import typer
from typer.testing import CliRunner

from calcinosis.cli.main import COMMANDS, app

runner = CliRunner()

# every command and sub-app the command line offers, in the order of --help
EXPECTED = (
    "diagnose",
    "batch",
    "evaluate",
    "intake",
    "intake-eval",
    "manage",
    "report",
    "schema",
    "serve",
    "stage",
    "kb",
    "image",
    "registry",
    "fhir",
    "phenopacket",
)


def _listed(help_text: str) -> list[str]:
    """The command names of a --help page, in order."""
    names = []
    for line in help_text.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0] in EXPECTED and cells[0] not in names:
            names.append(cells[0])
    return names


def test_help_lists_every_command_in_order() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert tuple(COMMANDS) == EXPECTED
    assert _listed(result.stdout) == list(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_each_command_is_built_from_its_module(name: str) -> None:
    """Each entry names a function or sub-app that exists, and its help is the command's own."""
    module, attr = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    assert isinstance(target, typer.Typer) or callable(target)
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"calcinosis {name}" in result.stdout


def test_sub_apps_keep_their_commands() -> None:
    result = runner.invoke(app, ["stage", "--help"])
    assert result.exit_code == 0 and "cvi" in result.stdout
    result = runner.invoke(app, ["kb", "--help"])
    assert result.exit_code == 0 and "check" in result.stdout and "show" in result.stdout


@pytest.mark.parametrize(("typo", "meant"), [("diagnos", "diagnose"), ("registri", "registry")])
def test_a_typo_gets_did_you_mean(typo: str, meant: str) -> None:
    result = runner.invoke(app, [typo])
    assert result.exit_code == 2
    assert f"No such command '{typo}'" in result.output and f"Did you mean '{meant}'" in result.output


def test_a_sub_command_typo_still_names_the_sub_app() -> None:
    result = runner.invoke(app, ["kb", "chek"])
    assert result.exit_code == 2 and "No such command 'chek'" in result.output
