"""Cold start, round 2 (issue #17): the knowledge read from the cache is the knowledge read from
the YAML files, object for object and type for type, now that the cached documents are
validated straight from their JSON text; the engine's result models are built when first used,
and still serialise as before."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from calcinosis import KnowledgeBase, diagnose, load_kb, read_case
from calcinosis.kb.model import LazyParts

from .conftest import DEV_CASES

DEFERRED = ("references", "treatments", "management", "followup", "leaflet", "leaflet_variants")


def _differences(a: Any, b: Any, where: str = "kb") -> Iterator[str]:
    """Where ``a`` and ``b`` differ in value or in type, down to every model field, array and item.

    Stricter than ``==``: ``1 == 1.0`` and a model equals nothing but a model of its class, but a
    float read as an int would print differently, so the types are compared as well."""
    if type(a) is not type(b):
        yield f"{where}: {type(a).__name__} != {type(b).__name__}"
    elif isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
            yield f"{where}: arrays differ"
    elif isinstance(a, BaseModel):
        if a.model_fields_set != b.model_fields_set:
            yield f"{where}: fields set {sorted(a.model_fields_set)} != {sorted(b.model_fields_set)}"
        for name in type(a).model_fields:
            yield from _differences(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, LazyParts):
        yield from _differences(a.get(), b.get(), where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            yield from _differences(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        if list(a) != list(b):
            yield f"{where}: keys differ"
        for k in a:
            if k in b:
                yield from _differences(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        if len(a) != len(b):
            yield f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from _differences(x, y, f"{where}[{i}]")
    elif a != b:
        yield f"{where}: {a!r} != {b!r}"


def _from_cache(root: Path) -> KnowledgeBase:
    load_kb(root)  # fills the cache
    cached = load_kb(root)
    assert not cached._deferred.built  # read from the cache indeed
    return cached


def test_the_knowledge_from_the_cache_is_the_knowledge_from_yaml(root: Path) -> None:
    """Every field, model, array and item alike, the deferred knowledge included."""
    from_yaml = load_kb(root, cache=False)
    cached = _from_cache(root)
    assert list(_differences(from_yaml, cached)) == []


def test_the_comparison_sees_a_changed_type() -> None:
    """The check above fails on what ``==`` lets pass: a float that became an int."""
    assert list(_differences({"a": [1.0]}, {"a": [1.0]})) == []
    assert list(_differences({"a": [1.0]}, {"a": [1]})) == ["kb['a'][0]: float != int"]
    assert list(_differences(np.zeros(2), np.zeros(2, dtype=np.float32))) == ["kb: arrays differ"]


def test_each_core_document_is_a_line_of_the_cache(root: Path) -> None:
    """The names of the core documents, then each one's JSON text, then the deferred ones."""
    load_kb(root)
    (path,) = sorted((root.parent / "cache").glob("kb-*.json"))
    _header, *lines = path.read_bytes().split(b"\n")
    names = json.loads(lines[0])
    assert "features.yaml" in names and any(n.startswith("diseases/") for n in names)
    assert not any(n.startswith(("references/", "treatments/")) or n == "management.yaml" for n in names)
    assert len(lines) == len(names) + 2
    assert set(json.loads(lines[-1])) >= {"management.yaml", "followup.yaml", "leaflet.yaml"}


def test_a_cache_whose_lines_do_not_match_its_names_is_ignored(root: Path) -> None:
    """A body cut short (one line fewer than its names announce) is not read: the YAML files answer."""
    import hashlib

    load_kb(root)
    (path,) = sorted((root.parent / "cache").glob("kb-*.json"))
    header, _, body = path.read_bytes().partition(b"\n")
    lines = body.split(b"\n")
    del lines[1]
    body = b"\n".join(lines)
    meta = json.loads(header)
    meta["sha256"] = hashlib.sha256(body).hexdigest()
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)
    again = load_kb(root)
    assert again._deferred.built  # read from the YAML files
    assert list(_differences(again, load_kb(root, cache=False))) == []


def test_built_results_serialise_as_validated_ones(kb: KnowledgeBase) -> None:
    """The result models are built on first use (``defer_build``): a report the engine builds
    without validation dumps to the same JSON as its validated copy."""
    report = diagnose(read_case(DEV_CASES[0], kb), kb)
    again = type(report).model_validate(report.model_dump(by_alias=True))
    assert again.model_dump_json(by_alias=True) == report.model_dump_json(by_alias=True)


_UNBUILT = """
import sys
from calcinosis.engine import diagnose, results
from calcinosis.case import labs
from calcinosis.management import results as management
models = [results.DiagnosisReport, results.Contribution, labs.LabPanel, management.ManagementReport]
print(sum(m.__pydantic_complete__ for m in models))
"""


def test_importing_the_engine_builds_no_result_model() -> None:
    """Importing the engine defines the result classes but builds none of their validators."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([sys.executable, "-c", _UNBUILT], capture_output=True, text=True, env=env, check=True)
    assert run.stdout.strip() == "0"
