"""Every YAML file the package ships is free of a key written twice in one mapping.

YAML keeps the last of two equal keys silently. The knowledge loader refuses them in knowledge
files (:class:`calcinosis.kb.loader._Loader`); the messages and the intake lexicon are read at
start-up with the plain C loader, for speed, so this test is their check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import calcinosis
from calcinosis.kb.loader import _Loader

PACKAGE = Path(calcinosis.__file__).parent
FILES = sorted(PACKAGE.rglob("*.yaml"))


def test_the_package_ships_yaml_files() -> None:
    names = {p.name for p in FILES}
    assert {"messages.yaml", "intake.yaml", "followup.yaml"} <= names and len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_key_is_written_twice(path: Path) -> None:
    yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def test_the_strict_loader_names_a_key_written_twice() -> None:
    with pytest.raises(yaml.YAMLError, match=r"duplicate key 'c' \(first on line 3\)"):
        yaml.load("a: 1\nb:\n  c: 2\n  c: 3\n", Loader=_Loader)
    merged = yaml.load("x: &a {p: 1, q: 1}\ny:\n  <<: *a\n  q: 2\n", Loader=_Loader)
    assert merged["y"] == {"p": 1, "q": 2}
