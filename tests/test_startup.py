"""Start-up of a command: the knowledge cache checked by file metadata, the knowledge a diagnosis
does not read validated on first use, nothing imported that ``diagnose --json`` does not need,
and YAML read by libyaml (issue #17)."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, load_kb, read_case
from calcinosis.cli.main import BLAS_THREAD_VARIABLES, _no_pydantic_plugins, _one_blas_thread, app
from calcinosis.kb import loader

from .conftest import DEV_CASES

DEFERRED = ("references", "treatments", "management", "followup", "leaflet", "leaflet_variants")


def _cache_files(root: Path) -> list[Path]:
    return sorted((root.parent / "cache").glob("kb-*.json"))


class _Reads:
    """Records every knowledge file read as text or bytes, and every YAML parse."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        self.yaml = 0
        real_text, real_bytes, real_yaml = Path.read_text, Path.read_bytes, loader._read_yaml

        def read_text(path: Path, *args: Any, **kwargs: Any) -> str:
            self.paths.append(path)
            return real_text(path, *args, **kwargs)

        def read_bytes(path: Path) -> bytes:
            self.paths.append(path)
            return real_bytes(path)

        def read_yaml(path: Path, out: Any) -> Any:
            self.yaml += 1
            return real_yaml(path, out)

        monkeypatch.setattr(Path, "read_text", read_text)
        monkeypatch.setattr(Path, "read_bytes", read_bytes)
        monkeypatch.setattr(loader, "_read_yaml", read_yaml)
        self.root = root.resolve()

    def knowledge_files_read(self) -> list[Path]:
        return [p for p in self.paths if self.root in p.resolve().parents]


# ---- the cache is checked by metadata ----------------------------------------------------------
def test_a_warm_start_reads_no_knowledge_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the cache, no knowledge file is opened, parsed or hashed: a stat of each is enough."""
    first = load_kb(root)
    reads = _Reads(root, monkeypatch)
    again = load_kb(root)
    assert reads.yaml == 0 and reads.knowledge_files_read() == []
    assert again.version == first.version and (again.frequency == first.frequency).all()


def test_a_touched_file_is_read_and_validated_again(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new modification time is a new key: the YAML files are read again and a second cache written."""
    load_kb(root)
    priors = root / "priors.yaml"
    st = priors.stat()
    os.utime(priors, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    reads = _Reads(root, monkeypatch)
    load_kb(root)
    assert reads.yaml > 0
    assert len(_cache_files(root)) == 2


def test_the_key_is_metadata_not_content(root: Path) -> None:
    """Same size and same modification time: the cache answers (as Python's bytecode cache does for
    a source file), which is what spares hashing a megabyte of knowledge on every start."""
    first = load_kb(root)
    manifest = root / "MANIFEST.yaml"
    text, st = manifest.read_text(encoding="utf-8"), manifest.stat()
    other = "9" * len(first.version)
    assert f'"{first.version}"' in text
    manifest.write_text(text.replace(f'"{first.version}"', f'"{other}"'), encoding="utf-8")
    os.utime(manifest, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert manifest.stat().st_size == st.st_size
    assert load_kb(root).version == first.version  # the metadata did not change
    assert load_kb(root, cache=False).version == other  # the file did


def test_the_code_that_fills_the_cache_is_in_the_key(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Touching the loader, the schemas or the French typesetting makes a new key."""
    package = tmp_path / "package"
    for rel in loader._CACHE_CODE:
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(loader.__file__).parents[1] / rel, package / rel)
    monkeypatch.setattr(loader, "__file__", str(package / "kb" / "loader.py"))
    key = loader._cache_key(root)
    assert key is not None and key == loader._cache_key(root)
    for rel in loader._CACHE_CODE:
        st = (package / rel).stat()
        os.utime(package / rel, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        changed = loader._cache_key(root)
        assert changed != key, rel
        key = changed


def test_an_added_knowledge_file_makes_a_new_key(root: Path) -> None:
    """A file appearing (or going) changes the key, not only an edited one."""
    key = loader._cache_key(root)
    (root / "treatments" / "zz_extra.yaml").write_text("{}\n", encoding="utf-8")
    assert loader._cache_key(root) != key


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_the_knowledge_loads(enabled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cycle collector is paused while the knowledge is built (it walked every new object again
    and again, for nothing: they all live on), then left as the caller had it."""
    during: list[bool] = []
    real = loader._load

    def probe(*args: Any) -> KnowledgeBase:
        during.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(loader, "_load", probe)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        load_kb()
        assert during == [False]
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# ---- what a diagnosis does not read is validated when first used ---------------------------------
def test_the_deferred_knowledge_is_validated_on_first_use(root: Path) -> None:
    """From the cache, references, treatments, management, follow-up and leaflets wait for their
    first use, and are then exactly those the YAML files give."""
    from_yaml = load_kb(root, cache=False)
    assert from_yaml._deferred.built
    load_kb(root)
    cached = load_kb(root)
    assert not cached._deferred.built
    for name in DEFERRED:
        assert getattr(cached, name) == getattr(from_yaml, name), name
    assert cached._deferred.built


def test_the_deferred_knowledge_is_built_once_across_threads(root: Path) -> None:
    """The web app serves from threads: the first uses race, one build wins, all see the same object."""
    load_kb(root)
    cached = load_kb(root)
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda _: id(cached.treatments), range(32)))
    assert len(set(seen)) == 1


def test_a_pickled_knowledge_base_carries_the_deferred_knowledge(root: Path) -> None:
    """A worker process gets plain data: the deferred parts are built and pickled with the rest."""
    load_kb(root)
    cached = load_kb(root)
    copy = pickle.loads(pickle.dumps(cached))
    assert copy._deferred.built and copy.treatments == load_kb(root, cache=False).treatments


def _rewrite(path: Path, edit: Any) -> None:
    """Change a cache file's body and fix its checksum, as only a deliberate edit would."""
    header, _, body = path.read_bytes().partition(b"\n")
    body = edit(body)
    meta = json.loads(header)
    meta["sha256"] = hashlib.sha256(body).hexdigest()
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def test_a_deferred_part_altered_behind_the_checksum_is_read_from_yaml(root: Path) -> None:
    """Deferred documents that fail the schemas: the cache is dropped and the YAML files answer."""
    load_kb(root)
    (path,) = _cache_files(root)
    # the deferred documents are the last line of the body
    _rewrite(path, lambda body: body.rpartition(b"\n")[0] + b"\n" + json.dumps({"followup.yaml": 1}).encode())
    cached = load_kb(root)
    assert cached.treatments == load_kb(root, cache=False).treatments
    assert not path.exists()  # a bad cache is not used twice
    load_kb(root)
    assert path.exists()  # and is rebuilt


def test_a_core_part_altered_behind_the_checksum_is_ignored_and_rebuilt(root: Path) -> None:
    """A diagnosis document the schemas refuse: the cache is ignored and the YAML files answer."""
    load_kb(root)
    (path,) = _cache_files(root)
    _rewrite(path, lambda body: body.replace(b'"frequency": 0.8', b'"frequency": "often"', 1))
    again = load_kb(root)
    assert (again.frequency == load_kb(root, cache=False).frequency).all()


def test_a_cache_of_another_key_is_refused(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache file whose header names another key (a truncated-name clash) is not used."""
    load_kb(root)
    (path,) = _cache_files(root)
    header, _, body = path.read_bytes().partition(b"\n")
    meta = json.loads(header)
    meta["key"] = "0" * 64
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)
    reads = _Reads(root, monkeypatch)
    load_kb(root)
    assert reads.yaml > 0


def test_a_link_planted_as_the_cache_is_not_followed(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is opened without following links; the link is replaced by a real file."""
    load_kb(root)
    (path,) = _cache_files(root)
    elsewhere = tmp_path / "elsewhere.json"
    shutil.move(path, elsewhere)
    path.symlink_to(elsewhere)
    reads = _Reads(root, monkeypatch)
    load_kb(root)
    assert reads.yaml > 0
    assert path.is_file() and not path.is_symlink()


# ---- the start-up path of diagnose --json ----------------------------------------------------------
_FOOTPRINT = """
import contextlib, gc, io, json, os, sys
sys.argv = ["calcinosis", "diagnose", sys.argv[1], "--json"]
from calcinosis.cli.main import main
numpy_before_main = "numpy" in sys.modules  # the BLAS variables must be set before numpy loads
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        main()
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
from calcinosis.kb import schema
models = ["TreatmentFile", "ManagementFile", "FollowupFile", "LeafletFile", "LeafletVariantsFile", "ReferenceSpec"]
print(json.dumps({
    "case_id": json.loads(out.getvalue())["case_id"],
    "modules": sorted(sys.modules),
    "built": [m for m in models if getattr(schema, m).__pydantic_complete__],
    "frozen": gc.get_freeze_count(),
    "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    "numpy_before_main": numpy_before_main,
}))
"""
NOT_ON_THE_PATH = (
    "calcinosis.interop",  # the FHIR reader: only for a document that names a resourceType
    "calcinosis.management",  # the venous staging a diagnosis carries is the engine's
    "calcinosis.kb.deferred_schema",  # the models of the knowledge a diagnosis does not read
    "calcinosis.reports.render",
    "calcinosis.reports.summary",
    "calcinosis.imaging",
    "calcinosis.web",
    "calcinosis.registry",
    "calcinosis.evaluation",
    "calcinosis.batch",
    "calcinosis.engine.batch",
    "dask",
    "distributed",
    "pyarrow",
    "sqlalchemy",
    "fastapi",
    "jinja2",
    "weasyprint",
    "pydicom",
    "scipy",
    "rich",
    "babel.dates",  # imported with Babel's whole locale data, which numbers do not need (number_symbols)
    # the other commands: imported and built only when used (calcinosis.cli.main.COMMANDS)
    "calcinosis.cli.batch",
    "calcinosis.cli.evaluate",
    "calcinosis.cli.image",
    "calcinosis.cli.intake",
    "calcinosis.cli.intake_eval",
    "calcinosis.cli.kb",
    "calcinosis.cli.manage",
    "calcinosis.cli.phenopacket",
    "calcinosis.cli.registry",
    "calcinosis.cli.render",
    "calcinosis.cli.report",
    "calcinosis.cli.schema",
    "calcinosis.cli.serve",
    # calcinosis.textsafe is on the path: to_json escapes the direction and invisible characters
    # of untrusted strings (two small patterns)
)


def test_diagnose_json_imports_and_builds_only_what_it_uses(tmp_path: Path) -> None:
    """A warm ``diagnose --json``: no management, reports, imaging, web, registry, interop or Dask
    module and no other command's module is imported, and no validator of the knowledge
    it does not read is built."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    env["CALCINOSIS_CACHE_DIR"] = str(tmp_path / "cache")
    case = str(DEV_CASES[0])
    for _ in range(2):  # the first run fills the cache (from YAML, everything is validated)
        run = subprocess.run(
            [sys.executable, "-c", _FOOTPRINT, case], capture_output=True, text=True, env=env, check=False
        )
        assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["case_id"] == "dev-001-jdm-legs"
    loaded = [m for m in found["modules"] if any(m == p or m.startswith(p + ".") for p in NOT_ON_THE_PATH)]
    assert loaded == []
    assert found["built"] == []
    # and the objects are left to the system at exit, not walked by the cycle collector once more
    assert found["frozen"] > 10_000
    assert found["blas_threads"] == "1"  # no BLAS thread pool spinning for 54-row products
    assert found["numpy_before_main"] is False  # ... set before numpy read them


@pytest.mark.parametrize(
    ("argv", "before", "after"),
    [
        (["diagnose", "case.yaml", "--json"], None, "1"),
        (["--version"], None, "1"),
        (["batch", "cohort.parquet", "--out", "r.parquet"], None, None),  # cohort-sized products keep the threads
        (["diagnose", "case.yaml"], "4", "4"),  # the user's choice stands
    ],
)
def test_one_blas_thread_unless_batch_or_chosen(
    argv: list[str], before: str | None, after: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    if before is not None:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", before)
    _one_blas_thread(argv)
    assert os.environ.get("OPENBLAS_NUM_THREADS") == after
    assert os.environ.get("OMP_NUM_THREADS") == (None if argv[0] == "batch" else "1")


@pytest.mark.parametrize(("before", "after"), [(None, "__all__"), ("logfire", "logfire")])
def test_no_pydantic_plugin_search_unless_the_user_set_one(
    before: str | None, after: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #17: the CLI skips pydantic's scan of every installed distribution for plugins it
    never uses; a user's own setting stands."""
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    if before is not None:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", before)
    _no_pydantic_plugins()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == after


def test_a_fhir_bundle_still_goes_through_the_fhir_reader(tmp_path: Path) -> None:
    """The reader is skipped only for plain cases: a document naming a resourceType is read as FHIR."""
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": "x"}), encoding="utf-8")
    result = CliRunner().invoke(app, ["diagnose", str(bundle), "--json"])
    assert result.exit_code == 2 and "entr" in result.stderr.lower()


def test_yaml_is_read_by_libyaml(kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages, knowledge, case files and --version never use the pure-Python YAML reader."""
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    from calcinosis.i18n import messages

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the pure-Python YAML reader was used")

    monkeypatch.setattr(yaml.reader.Reader, "__init__", refuse)
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(tmp_path / "cache"))
    messages.cache_clear()
    try:
        assert messages()["disclaimer"]["en"]
        assert load_kb(cache=False).version == kb.version
        assert read_case(DEV_CASES[0], kb).id == "dev-001-jdm-legs"
        result = CliRunner().invoke(app, ["--version"])
        assert result.exit_code == 0 and kb.version in result.stdout
    finally:
        messages.cache_clear()
