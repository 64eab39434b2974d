"""Load the knowledge base: files present -> each file valid -> cross-references -> compile.

Every problem found at any stage is collected, and all of them are reported together in
one :class:`~calcinosis.errors.KnowledgeBaseError`, each with its file and key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import math
import os
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from calcinosis.cache import cache_dir, private_dir, read_cache_file, write_cache_file
from calcinosis.errors import KnowledgeBaseError
from calcinosis.i18n import english_inline, french_forms, french_typography
from calcinosis.issues import Issue, IssueLevel, closest
from calcinosis.kb.age import AGE_PREFIX, COARSE_AGE_FEATURES, AgeBand, age_band_errors, fill_age_bands
from calcinosis.kb.model import (
    DeferredParts,
    Disease,
    Feature,
    FormRow,
    FrequencySource,
    KnowledgeBase,
    LazyParts,
    NotAsked,
)
from calcinosis.kb.schema import (
    CATEGORIES as CATEGORY_ORDER,
)
from calcinosis.kb.schema import (
    WORKUP_FEATURE_CONDITIONS,
    AgeDistribution,
    CategoryModelFile,
    CategorySpec,
    ConstantsFile,
    DefiningFeatures,
    DiseaseFile,
    FeaturesFile,
    FindingSpec,
    ManifestFile,
    MustNotMissFile,
    PriorsFile,
    SelfReported,
    StagingFile,
    WorkupFile,
    WorkupStep,
    form_key,
    named_blocks,
)
from calcinosis.kb.vocabulary import Vocabulary

if TYPE_CHECKING:  # imported when the deferred knowledge is first validated (_validate_deferred)
    from calcinosis.kb.deferred_schema import FollowupItem, ReferenceSpec, WarningSign

__all__ = ["default_kb_path", "load_kb"]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, refusing a key written twice in one mapping: YAML keeps the last one
    silently, so a knowledge author's second entry for a diagnosis replaced the first without a
    word (a follow-up written again for five parasites). A merge key (``<<: *anchor``) and the
    keys that override what it brings are not duplicates."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_M = TypeVar("_M", bound=BaseModel)
# part of the key. 1: parsed documents, one JSON text; 2: typeset documents, core then deferred;
# 3: the names of the core documents, each core document on a line of its own, then the deferred
_CACHE_LAYOUT = 3
# the code whose output the cache holds (parsed, typeset documents), relative to the package
_CACHE_CODE = ("kb/schema.py", "kb/deferred_schema.py", "kb/loader.py", "kb/model.py", "kb/vocabulary.py", "i18n.py")
# knowledge a diagnosis does not read: from the cache, validated when first used (kb.model.LazyParts)
_DEFERRED_FOLDERS = ("references", "treatments")
_DEFERRED_FILES = ("management.yaml", "followup.yaml", "leaflet.yaml", "leaflet_by_condition.yaml")
_EXCLUSIVE_TOLERANCE = 0.02  # frequencies of an exclusive set add up to 1 within this (rounded estimates)

REQUIRED_FILES = (
    "MANIFEST.yaml",
    "constants.yaml",
    "vocabulary.yaml",
    "features.yaml",
    "priors.yaml",
    "categories.yaml",
    "units.yaml",
    "reference_ranges.yaml",
    "workup.yaml",
    "seed_facts.yaml",
    "staging.yaml",
    "followup.yaml",
    "management.yaml",
    "leaflet.yaml",
    "category_model.yaml",
    "leaflet_by_condition.yaml",
    "must_not_miss.yaml",
)
# namespace of a feature id -> vocabulary list whose terms it covers
NAMESPACE_LISTS = {
    "condition": "conditions",
    "exposure": "exposures",
    "finding": "findings",
    "site": "sites",
    "tissue": "tissues",
    "pattern": "patterns",
    "distribution": "distributions",
    "antibody": "antibodies",
    "gene": "genetics",
}


def default_kb_path() -> Path:
    """The knowledge base shipped inside the package."""
    return Path(str(resources.files("calcinosis") / "knowledge"))


class _Collector:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def error(self, location: str, message: str, *, code: str, suggestions: list[str] | None = None) -> None:
        self.issues.append(
            Issue(
                level=IssueLevel.ERROR,
                code=code,
                message=message,
                location=location,
                suggestions=suggestions or [],
            )
        )


def _read_yaml(path: Path, out: _Collector) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        out.error(path.name, f"not valid YAML: {exc}", code="kb.yaml")
    except OSError as exc:
        out.error(path.name, f"cannot be read: {exc}", code="kb.io")
    return None


class _Relations(NamedTuple):
    """What features.yaml says features are to one another, as the loader fills a diagnosis' row."""

    same: list[tuple[str, str]]  # same_state: one state reported two ways
    implied: list[tuple[str, str, str]]  # (a, b, why): every a is a b (features.yaml implies, a site within a site)
    exclusive: list[tuple[str, ...]]  # exclusive: one and only one of them describes a case
    opposite: list[tuple[str, str]]  # opposite_states: the raised and the low state of one test
    within: list[tuple[str, tuple[str, ...]]]  # a site and the sites directly within it, broadest first
    baseline: np.ndarray  # F: each feature's baseline, what shares a region among the sites within it


class _CachedJson(NamedTuple):
    """A core document as the cache holds it: its JSON text, validated as it is parsed."""

    text: bytes


def _validate(model: type[_M], data: Any, location: str, out: _Collector) -> _M | None:
    """``data`` validated by ``model``, or None with the errors collected.

    A cached document (:class:`_CachedJson`) goes to pydantic's JSON parser, which builds the
    models straight from the text: about twice as fast as ``json.loads`` then validating the
    Python objects, and the same models, since the text is the JSON of those very objects.
    """
    try:
        if isinstance(data, _CachedJson):
            return model.model_validate_json(data.text)
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            out.error(f"{location}:{loc}" if loc else location, err["msg"], code="kb.schema")
    return None


def _deferred(rel: str) -> bool:
    """Whether the knowledge file ``rel`` holds knowledge a diagnosis does not read (see LazyParts)."""
    return rel in _DEFERRED_FILES or rel.split("/", 1)[0] in _DEFERRED_FOLDERS


def _knowledge_files(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every ``*.yaml`` below ``root``: relative POSIX path and ``stat`` (of a link's target), sorted.

    Linked folders are not entered, as ``Path.rglob`` does not enter them.
    """
    found: list[tuple[str, os.stat_result]] = []
    stack = [("", str(root))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                elif entry.name.endswith(".yaml"):
                    found.append((rel, entry.stat()))
    found.sort(key=lambda item: item[0])
    return found


def _cache_key(root: Path) -> str | None:
    """Key of the cache for the knowledge at ``root``, from file metadata, or None when unreadable.

    It covers the path, size and modification time (ns) of every knowledge file and of the code
    whose output the cache holds (schemas, loader, vocabulary, French typesetting), the cache
    layout and the versions that shape the cache: a ``stat`` per file instead of hashing a
    megabyte on every start, as Python checks its bytecode cache by source size and mtime. An
    edit changes the modification time, so the edited knowledge is read and validated again.
    """
    from calcinosis._version import __version__

    parts = [
        f"layout {_CACHE_LAYOUT}",
        __version__,
        np.__version__.split(".")[0],
        ".".join(map(str, sys.version_info[:2])),
        str(root.resolve()),
    ]
    package = Path(__file__).resolve().parents[1]
    try:
        for rel in _CACHE_CODE:
            st = os.stat(package / rel)
            parts.append(f"code {rel} {st.st_size} {st.st_mtime_ns}")
        for rel, st in _knowledge_files(root):
            parts.append(f"{rel} {st.st_size} {st.st_mtime_ns}")
    except OSError:
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _derived_question_fr(namespace: str) -> str:
    """The French question of a derived feature without its own: a lab state is asked of the
    results ("Le bilan montre-t-il un FGF23 élevé ?"; "Existe-t-il un FGF23 élevé ?" read as
    asking whether such a thing exists), anything else whether it is there."""
    return "Le bilan montre-t-il {un_label}\u202f?" if namespace == "lab" else "Existe-t-il {un_label}\u202f?"


def _typeset_french(node: Any) -> Any:
    """Every French text of a knowledge file (keys ``fr`` and ``*_fr``) with French punctuation
    spacing (:func:`calcinosis.i18n.french_typography`): authors type ordinary spaces, readers
    get the no-break space before ``: ; ? !`` and a line never starts with one of them."""
    if isinstance(node, dict):
        return {
            k: french_typography(v)
            if isinstance(v, str) and (k == "fr" or str(k).endswith("_fr"))
            else _typeset_french(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_typeset_french(v) for v in node]
    return node


class _Documents:
    """The parsed and typeset knowledge files, read from YAML or from the cache (same keys:
    relative paths).

    Parsing YAML and typesetting the French are most of the load time, so the cache holds the
    typeset documents as JSON; the schemas validate every document the engine uses on every
    load, so a cache can never smuggle in an object the schemas would refuse, and JSON cannot
    execute code as a pickle could. The cache holds the JSON text of each document a diagnosis
    reads, validated straight from it (:meth:`document`), then one text of the others
    (references, treatments, management, follow-up, leaflets), parsed only when first used.
    """

    def __init__(
        self, root: Path, out: _Collector, cached: dict[str, bytes] | None = None, deferred: bytes | None = None
    ) -> None:
        self.root = root
        self.out = out
        self.from_cache = cached is not None
        self.texts: dict[str, bytes] = dict(cached or {})  # from the cache: each core document's JSON
        self.parsed: dict[str, Any] = {}
        self._deferred_text = deferred

    def has(self, rel: str) -> bool:
        """Whether the cache holds the core document ``rel``."""
        return rel in self.texts

    def deferred_only(self) -> _Documents:
        """The deferred documents of the cache alone, still unparsed."""
        return _Documents(self.root, _Collector(), {}, self._deferred_text)

    def _parse_deferred(self) -> None:
        """Add the deferred documents of the cache (their bytes were checksummed with the rest)."""
        if self._deferred_text is None:
            return
        found = json.loads(self._deferred_text)
        self._deferred_text = None
        if not isinstance(found, dict):
            raise ValueError("the cache's deferred documents are not a mapping")
        self.parsed.update(found)

    def read(self, rel: str) -> Any:
        """The document ``rel`` as Python data (None when absent)."""
        if self.from_cache:
            if _deferred(rel):
                self._parse_deferred()
            elif rel not in self.parsed and rel in self.texts:
                self.parsed[rel] = json.loads(self.texts[rel])
            return self.parsed.get(rel)
        if rel not in self.parsed:
            self.parsed[rel] = _typeset_french(_read_yaml(self.root / rel, self.out))
        return self.parsed[rel]

    def document(self, rel: str) -> Any:
        """The document ``rel`` for a schema: its cached JSON text, else its Python data."""
        text = self.texts.get(rel) if self.from_cache else None
        return _CachedJson(text) if text is not None else self.read(rel)

    def listing(self, folder: str) -> list[str]:
        if self.from_cache:
            if _deferred(folder + "/"):
                self._parse_deferred()
            return sorted(k for k in (*self.texts, *self.parsed) if k.startswith(folder + "/"))
        return [f"{folder}/{p.name}" for p in sorted((self.root / folder).glob("*.yaml"))]


def _read_cache(path: Path, key: str) -> tuple[dict[str, bytes], bytes] | None:
    """The JSON text of each cached core document and that of the deferred documents, or None
    when absent, foreign (a link, another owner, writable by others), corrupt, of another
    format or key. The texts are parsed by their schemas, which refuse a corrupt one."""
    body = read_cache_file(path, key)
    if body is None:
        return None
    lines = body.split(b"\n")
    try:
        names = json.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(names, list) or len(lines) != len(names) + 2 or not all(isinstance(n, str) for n in names):
        return None
    return dict(zip(names, lines[1:-1], strict=True)), lines[-1]


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be cached")


def _write_cache(path: Path, key: str, docs: dict[str, Any]) -> None:
    def dump(part: Any) -> bytes:
        return json.dumps(part, default=_json_default, ensure_ascii=False, allow_nan=False).encode("utf-8")

    core = [k for k in docs if not _deferred(k)]
    try:  # JSON escapes every newline inside a text, so each part is one line
        lines = [dump(core), *(dump(docs[k]) for k in core), dump({k: v for k, v in docs.items() if _deferred(k)})]
    except (TypeError, ValueError):
        return
    write_cache_file(path, key, b"\n".join(lines))


def load_kb(path: Path | str | None = None, *, cache: bool = True) -> KnowledgeBase:
    """Load, validate and compile a knowledge base.

    The parsed and typeset knowledge files are cached as JSON (in ``$CALCINOSIS_CACHE_DIR`` or
    ``~/.cache/calcinosis``, a folder for this user only), under a key made of the path, size
    and modification time of every knowledge file and of the code that reads them, with a
    SHA-256 of the cached content checked on every load. A cache that is missing, corrupt,
    foreign or fails validation is ignored and rebuilt; it never stops a command and cannot
    run code. From the cache, the knowledge a diagnosis does not read (references, treatments,
    management, follow-up, leaflets) is validated when first used rather than on every start;
    from the YAML files, everything is validated and cross-checked before this returns.

    Parameters
    ----------
    path
        Folder holding the knowledge files; the bundled knowledge base when omitted.
    cache
        Use and fill the cache (default True).

    Returns
    -------
    KnowledgeBase
        Immutable and compiled; pass it to :func:`calcinosis.diagnose`.

    Raises
    ------
    KnowledgeBaseError
        With every problem found (missing files, schema errors, unknown ids).
    """
    with _collector_paused():
        return _load(Path(path) if path is not None else default_kb_path(), cache)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the knowledge base is built.

    Nearly every object a load allocates (parsed documents, validated models, the compiled
    tables) lives on, yet every 700 allocations made the collector walk the young objects and,
    as they piled up, all of them: 30 to 50 ms of CPU on top of a load that takes 35 ms without
    it. Reference counting still frees what is dropped, and the collector resumes afterwards
    (left off if the caller had turned it off).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(root: Path, cache: bool) -> KnowledgeBase:
    cache_file: Path | None = None
    key: str | None = None
    if cache and root.is_dir() and private_dir(cache_dir()):
        key = _cache_key(root)
        if key is not None:
            cache_file = cache_dir() / f"kb-{key[:32]}.json"
            found = _read_cache(cache_file, key)
            if found is not None:
                try:
                    return _load_uncached(root, _Documents(root, _Collector(), *found), cache_file=cache_file)
                except Exception:
                    pass
    documents = _Documents(root, _Collector())
    kb = _load_uncached(root, documents)
    if cache_file is not None and key is not None:
        _write_cache(cache_file, key, documents.parsed)
    return kb


def _categories(data: Any, out: _Collector) -> dict[str, CategorySpec]:
    try:
        if isinstance(data, _CachedJson):
            return _categories_adapter().validate_json(data.text)
        return _categories_adapter().validate_python(data)
    except ValidationError as exc:
        for err in exc.errors():
            out.error("categories.yaml:" + ".".join(map(str, err["loc"])), err["msg"], code="kb.schema")
    return {}


@cache
def _categories_adapter() -> TypeAdapter[dict[str, CategorySpec]]:
    """Built once (building a validator takes longer than using it)."""
    return TypeAdapter(dict[str, CategorySpec])


def _load_uncached(root: Path, docs: _Documents, *, cache_file: Path | None = None) -> KnowledgeBase:
    out = docs.out
    if docs.from_cache:  # the deferred documents are looked at when first used
        missing = [name for name in REQUIRED_FILES if not _deferred(name) and not docs.has(name)]
    else:
        missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    for name in missing:
        out.error(name, f"required knowledge file is missing from {root}", code="kb.missing")
    if not docs.from_cache and not (root / "diseases").is_dir():
        out.error("diseases/", "folder of diagnosis files is missing", code="kb.missing")
    if out.issues:
        raise KnowledgeBaseError(f"knowledge base at {root} is incomplete", issues=out.issues, path=root)

    doc = docs.document
    manifest = _validate(ManifestFile, doc("MANIFEST.yaml"), "MANIFEST.yaml", out)
    constants = _validate(ConstantsFile, doc("constants.yaml"), "constants.yaml", out)
    features_file = _validate(FeaturesFile, doc("features.yaml"), "features.yaml", out)
    priors = _validate(PriorsFile, doc("priors.yaml"), "priors.yaml", out)
    workup = _validate(WorkupFile, doc("workup.yaml"), "workup.yaml", out)
    staging = _validate(StagingFile, doc("staging.yaml"), "staging.yaml", out)
    category_model = _validate(CategoryModelFile, doc("category_model.yaml"), "category_model.yaml", out)
    must_not_miss = _validate(MustNotMissFile, doc("must_not_miss.yaml"), "must_not_miss.yaml", out)
    categories = _categories(doc("categories.yaml"), out)
    vocabulary: Vocabulary | None = None
    try:
        vocabulary = Vocabulary.from_data(docs.read("vocabulary.yaml") or {})
    except ValueError as exc:
        out.error("vocabulary.yaml", str(exc), code="kb.schema")

    disease_files: list[DiseaseFile] = []
    for drel in docs.listing("diseases"):
        disease = _validate(DiseaseFile, doc(drel), drel, out)
        if disease is None:
            continue
        if disease.id != Path(drel).stem:
            out.error(
                drel,
                f"id {disease.id!r} differs from the file name",
                code="kb.id",
            )
        disease_files.append(disease)

    # from the YAML files everything is validated now; from the cache, the rest when first used
    groups = features_file.groups if features_file is not None else {}
    deferred = None if docs.from_cache else _validate_deferred(docs, out, groups)
    parts = (manifest, constants, features_file, priors, workup, vocabulary, staging, category_model, must_not_miss)
    if out.issues or None in parts:
        raise KnowledgeBaseError(f"knowledge base at {root} is invalid", issues=out.issues, path=root)
    assert manifest and constants and features_file and priors and workup and vocabulary
    assert staging and category_model and must_not_miss

    features = _build_features(features_file, vocabulary, out)
    check = _Checks(
        out,
        features,
        {d.id for d in disease_files},
        None if deferred is None else deferred.references,
        forms={form_key(d.id, f.id) for d in disease_files for f in d.forms},
    )
    kb = _compile(
        root=root,
        manifest=manifest,
        constants=constants,
        vocabulary=vocabulary,
        features=features,
        feature_refs=features_file.references,
        disease_files=disease_files,
        priors=priors,
        categories=categories,
        units=docs.read("units.yaml") or {},
        ranges=docs.read("reference_ranges.yaml") or {},
        workup=workup,
        seed_fact_notes=docs.read("seed_facts.yaml") or {},
        non_discriminating=features_file.non_discriminating,
        not_scored=features_file.not_scored,
        not_asked=features_file.not_asked,
        self_reported=features_file.self_reported,
        not_asked_with={
            f: NotAsked(tuple(rule.when_any), tuple(rule.when_absent), tuple(rule.and_any))
            for f, rule in features_file.not_asked_with.items()
        },
        implies=features_file.implies,
        explained_by={f: tuple(rule.by) for f, rule in features_file.explained_by.items()},
        same_state=features_file.same_state,
        exclusive=features_file.exclusive,
        opposite_states=features_file.opposite_states,
        staging=staging,
        category_model=category_model,
        must_not_miss=must_not_miss,
        age_bands=features_file.age_bands,
        deferred=_lazy_parts(root, docs, check, deferred, cache_file, groups),
        check=check,
    )
    if out.issues:
        raise KnowledgeBaseError(f"knowledge base at {root} is inconsistent", issues=out.issues, path=root)
    return kb


GROUP_PREFIX = "group:"
"""A ``when`` or ``unless`` list of the follow-up and the leaflets may name a dependency group
of features.yaml (``group:renal``) for all its features (:func:`_with_groups`)."""


def _with_groups(
    node: Any, groups: Mapping[str, Sequence[str]], key: str = "", keys: tuple[str, ...] = ("when", "unless")
) -> Any:
    """``node`` (a follow-up or leaflet document as read) with each ``group:<name>`` of a ``when``
    or ``unless`` list replaced by that group's features (features.yaml groups), a new structure.

    A calciphylaxis' kidney disease was a list written twice, in followup.yaml and
    leaflet_by_condition.yaml, and without the raised urea of the renal group that the
    calciphylaxis' own work-up reads: a patient with a raised urea alone had the work-up of a
    kidney disease and the follow-up of a non-uraemic calciphylaxis, without nephrology (a code
    review). An unknown group is left as written, for the feature check to name. ``keys``: the
    lists read so (management.yaml's statements name theirs ``features`` and ``none_present``:
    a calciphylaxis' team with nephrology only with a kidney disease, as its follow-up)."""
    if isinstance(node, dict):
        return {k: _with_groups(v, groups, str(k), keys) for k, v in node.items()}
    if isinstance(node, list):
        if key in keys:
            expanded: list[Any] = []
            for item in node:
                named = item[len(GROUP_PREFIX) :] if isinstance(item, str) and item.startswith(GROUP_PREFIX) else None
                expanded.extend(groups[named] if named is not None and named in groups else [item])
            return list(dict.fromkeys(expanded)) if all(isinstance(i, str) for i in expanded) else expanded
        return [_with_groups(v, groups, keys=keys) for v in node]
    return node


def _validate_deferred(docs: _Documents, out: _Collector, groups: Mapping[str, Sequence[str]]) -> DeferredParts | None:
    """The references, treatments, management, follow-up and leaflets, validated; None if any
    fails. ``groups``: features.yaml's dependency groups, that a follow-up or leaflet condition
    may name (:func:`_with_groups`)."""
    from calcinosis.kb.deferred_schema import (
        FollowupFile,
        LeafletFile,
        LeafletVariantsFile,
        ManagementFile,
        ReferenceSpec,
        TreatmentFile,
    )

    followup = _validate(FollowupFile, _with_groups(docs.read("followup.yaml"), groups), "followup.yaml", out)
    management = _validate(
        ManagementFile,
        _with_groups(docs.read("management.yaml"), groups, keys=("features", "none_present")),
        "management.yaml",
        out,
    )
    leaflet = _validate(LeafletFile, _with_groups(docs.read("leaflet.yaml"), groups), "leaflet.yaml", out)
    leaflet_variants = _validate(
        LeafletVariantsFile,
        _with_groups(docs.read("leaflet_by_condition.yaml"), groups),
        "leaflet_by_condition.yaml",
        out,
    )
    references: dict[str, ReferenceSpec] = {}
    for ref_rel in docs.listing("references"):
        for i, item in enumerate(docs.read(ref_rel) or []):
            ref = _validate(ReferenceSpec, item, f"{ref_rel}[{i}]", out)
            if ref is None:
                continue
            if ref.id in references:
                out.error(
                    ref_rel,
                    f"reference id {ref.id!r} defined twice",
                    code="kb.duplicate",
                )
            references[ref.id] = ref

    treatments: dict[str, TreatmentFile] = {}
    for trel in docs.listing("treatments"):
        treatment = _validate(TreatmentFile, docs.read(trel), trel, out)
        if treatment is None:
            continue
        if treatment.id != Path(trel).stem:
            out.error(trel, f"id {treatment.id!r} differs from the file name", code="kb.id")
        treatments[treatment.id] = treatment
    if followup is None or management is None or leaflet is None or leaflet_variants is None:
        return None
    return DeferredParts(
        references=references,
        treatments=treatments,
        followup=followup,
        management=management,
        leaflet=leaflet,
        leaflet_variants=leaflet_variants,
    )


def _lazy_parts(
    root: Path,
    docs: _Documents,
    check: _Checks,
    parts: DeferredParts | None,
    cache_file: Path | None,
    groups: Mapping[str, Sequence[str]],
) -> LazyParts:
    """The deferred knowledge: built already (from YAML: checked with the rest by ``_compile``),
    or validated and cross-checked on first use (from the cache). Should the cached documents
    fail (only a cache altered behind its checksum can), the cache is deleted and the YAML
    files are read instead, so a bad cache is still ignored and rebuilt."""
    if parts is not None:
        return LazyParts(parts=parts)
    pending = docs.deferred_only()  # not the core documents: the knowledge base holds what it needs of them

    def build() -> DeferredParts:
        out = _Collector()
        try:
            found = _validate_deferred(pending, out, groups)
        except Exception:  # a cache altered behind its checksum: read the YAML files instead
            found = None
        if found is not None and not out.issues:
            _check_deferred(found, _Checks(out, check.features, check.diagnoses, found.references, forms=check.forms))
        if found is None or out.issues:
            if cache_file is not None:
                with contextlib.suppress(OSError):
                    os.unlink(cache_file)
            out = _Collector()
            found = _validate_deferred(_Documents(root, out), out, groups)
            if found is not None and not out.issues:
                _check_deferred(
                    found, _Checks(out, check.features, check.diagnoses, found.references, forms=check.forms)
                )
        if found is None or out.issues:
            raise KnowledgeBaseError(f"knowledge base at {root} is invalid", issues=out.issues, path=root)
        return found

    return LazyParts(build)


class _Checks:
    """Cross-reference checks; the reference checks are skipped when ``references`` is None
    (knowledge read from the cache, which holds only knowledge that passed them)."""

    def __init__(
        self,
        out: _Collector,
        features: Collection[str],
        diagnoses: Collection[str],
        references: Mapping[str, ReferenceSpec] | None,
        *,
        forms: Collection[str] = (),
    ) -> None:
        self.out = out
        self.features = features
        self.diagnoses = diagnoses
        self.references = references
        self.forms = forms  # 'diagnosis/form' for every form of a diagnosis

    def known(self, location: str, ids: Any, pool: Collection[str], what: str) -> None:
        for item in ids:
            if item not in pool:
                self.out.error(
                    location,
                    f"unknown {what} {item!r}",
                    code=f"kb.unknown_{what}",
                    suggestions=closest(item, pool),
                )

    def refs(self, location: str, ids: Any) -> None:
        if self.references is not None:
            self.known(location, ids, self.references, "reference")

    def feats(self, location: str, ids: Any) -> None:
        self.known(location, ids, self.features, "feature")

    def diags(self, location: str, ids: Any) -> None:
        self.known(location, ids, self.diagnoses, "diagnosis")

    def form_keys(self, location: str, ids: Any) -> None:
        self.known(location, ids, self.forms, "form")


def _check_in_play(loc: str, ids: list[str], check: _Checks) -> None:
    """Diagnoses, or forms of one ('diagnosis/form'), that a follow-up or leaflet text is written for."""
    check.form_keys(loc, [i for i in ids if "/" in i])
    check.diags(loc, [i for i in ids if "/" not in i])


def _check_why(loc: str, step: WorkupStep, check: _Checks) -> None:
    """The diagnoses and references of a work-up step's ``why_for`` sentences."""
    for i, why in enumerate(step.why_for):
        check.diags(f"{loc}.why_for[{i}]", why.diagnoses)
        check.refs(f"{loc}.why_for[{i}]", why.references)


def _check_deferred(parts: DeferredParts, check: _Checks) -> None:
    """Cross-references of the treatments, follow-up, leaflets and management statements."""
    for tid, t in parts.treatments.items():
        loc = f"treatments/{tid}.yaml"
        check.refs(f"{loc}:references", t.references)
        for i, dose in enumerate(t.dose_for):
            check.diags(f"{loc}:dose_for[{i}]", dose.diagnoses)
            check.feats(f"{loc}:dose_for[{i}]", dose.features)
            check.refs(f"{loc}:dose_for[{i}]", dose.references)
        for i, ind in enumerate(t.indications):
            check.diags(f"{loc}:indications[{i}]", [*ind.diagnoses, *ind.unless_leading])
            check.form_keys(f"{loc}:indications[{i}]", ind.forms)
            check.feats(f"{loc}:indications[{i}]", [*ind.features, *ind.unless, *ind.unless_absent])
        for i, caution in enumerate(t.cautions):
            check.feats(f"{loc}:cautions[{i}]", [*caution.when, *caution.unless, *caution.and_any])
            check.diags(f"{loc}:cautions[{i}]", [*caution.diagnoses, *caution.while_in_play])
            check.refs(f"{loc}:cautions[{i}]", caution.references)
        check.refs(f"{loc}:evidence", [e.reference for e in t.evidence])
        for i, e in enumerate(t.evidence):
            check.diags(f"{loc}:evidence[{i}]", e.diagnoses)
    followup = parts.followup
    check.refs("followup.yaml:references", followup.references)
    items: list[FollowupItem | WarningSign] = [*followup.schedule, *followup.warning_signs]
    items += [i for group in followup.by_category.values() for i in group]
    items += [i for group in followup.by_emergency.values() for i in group]
    check.form_keys("followup.yaml:by_form", followup.by_form)
    check.diags("followup.yaml:by_diagnosis", followup.by_diagnosis)
    for where, own in (("by_form", followup.by_form), ("by_diagnosis", followup.by_diagnosis)):
        for plan in own.values():
            items += [*plan.schedule, *plan.warning_signs]
            check.refs(f"followup.yaml:{where}", plan.references)
    for where, single in (("in_an_organ", followup.in_an_organ), ("in_the_organs", followup.in_the_organs)):
        if single is not None:
            items += [*single.schedule, *single.warning_signs]
            check.refs(f"followup.yaml:{where}", single.references)
    for item in items:
        check.refs(f"followup.yaml:{item.id}", item.references)
        check.feats(f"followup.yaml:{item.id}", [*item.when, *item.unless])
        _check_in_play(f"followup.yaml:{item.id}", item.in_play, check)
        for i, every in enumerate(getattr(item, "every_for", [])):
            _check_in_play(f"followup.yaml:{item.id}.every_for[{i}]", every.in_play, check)
            check.refs(f"followup.yaml:{item.id}.every_for[{i}]", every.references)
        for name, slot in getattr(item, "slots", {}).items():
            for option in [*slot.options, *([slot.otherwise] if slot.otherwise is not None else [])]:
                check.feats(f"followup.yaml:{item.id}.slots.{name}", [*option.when, *option.unless])
                _check_in_play(f"followup.yaml:{item.id}.slots.{name}", option.in_play, check)
        diagnosis = getattr(item, "diagnosis", None)  # a warning sign of one diagnosis
        if diagnosis is not None:
            check.diags(f"followup.yaml:{item.id}", [diagnosis])
    check.refs("leaflet.yaml:references", parts.leaflet.references)
    # a diagnosis' and a form's ('diagnosis/form': a leaflet names the form its leading diagnosis
    # is read in, and opened on « Non-uraemic calciphylaxis (no kidney failure) »: a code review)
    _check_in_play("leaflet.yaml:plain_names", list(parts.leaflet.plain_names), check)
    for missing in sorted((set(check.diagnoses) | set(check.forms)) - set(parts.leaflet.plain_names)):
        check.out.error(
            "leaflet.yaml:plain_names",
            f"{'form' if '/' in missing else 'diagnosis'} {missing!r} has no plain name: a leaflet would"
            " open on its clinician label",
            code="kb.missing_plain_name",
        )
    for key, words in parts.leaflet.in_play.items():
        where = f"leaflet.yaml:in_play.{key}"
        check.refs(where, words.references)
        check.feats(f"{where}.known_by", words.known_by)
        _check_in_play(where, [key], check)
    for section in parts.leaflet.sections:
        for i, line in enumerate(section.lines):
            where = f"leaflet.yaml:sections.{section.id}.lines[{i}]"
            check.refs(where, line.references)
            check.feats(where, [*line.when, *line.unless])
            _check_in_play(where, line.in_play, check)
    check.refs("leaflet_by_condition.yaml:references", parts.leaflet_variants.references)
    section_ids = {sec.id for sec in parts.leaflet.sections}
    for i, variant in enumerate(parts.leaflet_variants.variants):
        where = f"leaflet_by_condition.yaml:variants[{i}]"
        check.refs(where, variant.references)
        check.diags(where, variant.diagnoses)
        check.form_keys(where, variant.forms)
        check.feats(where, [*variant.when, *variant.unless])
        check.known(where, [variant.section], section_ids, "leaflet section")
    check.refs("management.yaml:references", parts.management.references)
    check.feats("management.yaml:infection_signs", parts.management.infection_signs)
    check.feats("management.yaml:debrided", parts.management.debrided)
    check.feats("management.yaml:necrosis", parts.management.necrosis)
    for rule in parts.management.no_procedures_in:
        check.diags("management.yaml:no_procedures_in", [rule.diagnosis])
        check.refs(f"management.yaml:no_procedures_in.{rule.diagnosis}", rule.references)
    check.feats("management.yaml:symptoms", parts.management.symptoms)
    check.feats("management.yaml:widespread", parts.management.widespread)
    first = parts.management.histology_first
    if first is not None:
        check.diags("management.yaml:histology_first", first.diagnoses)
        check.refs("management.yaml:histology_first", first.references)
        check.known("management.yaml:histology_first.by", [first.by], set(parts.treatments), "treatment")
    check.feats("management.yaml:one_lesion_targets", parts.management.one_lesion_targets)
    check.feats("management.yaml:tested_first", parts.management.tested_first)
    check.refs("management.yaml:symptoms_references", parts.management.symptoms_references)
    for statement in parts.management.statements:
        where = f"management.yaml:{statement.id}"
        check.refs(where, statement.references)
        check.diags(where, [*statement.when.diagnoses, *statement.when.leading, *statement.when.unless_leading])
        check.form_keys(where, [*statement.when.forms, *statement.when.unless_forms])
        check.feats(
            where,
            [
                *statement.when.features,
                *statement.when.unless_absent,
                *statement.when.absent,
                *statement.when.none_present,
            ],
        )


def _english_question(template: str, label: str, plural_fr: bool) -> str:
    """The namespace's English question for ``label``, with 'Are there' for a plural noun
    ('Are there palpable nodules?', not 'Is there')."""
    text = template.format(label=english_inline(label))
    if not template.startswith("Is there {label}"):  # 'Is there a history of burns?' stays singular
        return text
    head = label.split("(")[0].strip().split()[-1].lower() if label.strip() else ""
    plural = plural_fr or (head.endswith("s") and not head.endswith(("ss", "is", "us")))
    return text.replace("Is there ", "Are there ", 1) if plural else text


def _build_features(spec: FeaturesFile, vocab: Vocabulary, out: _Collector) -> dict[str, Feature]:
    features: dict[str, Feature] = {}
    for namespace, list_name in NAMESPACE_LISTS.items():
        ns = spec.namespaces.get(namespace)
        if ns is None:
            out.error("features.yaml:namespaces", f"namespace {namespace!r} is missing", code="kb.schema")
            continue
        for term in vocab.lists[list_name].values():
            fid = f"{namespace}:{term.id}"
            group = f"site:{vocab.site_root(term.id)}" if namespace == "site" else fid
            own = spec.questions.get(fid)
            features[fid] = Feature(
                id=fid,
                namespace=namespace,
                term=term.id,
                baseline=ns.baseline,
                group=group,
                en=term.en,
                fr=term.fr,
                question_en=own.en if own else _english_question(ns.question.en, term.en, term.plural),
                question_fr=own.fr if own else ns.question.fr.format(**french_forms(term.fr, term.gender, term.plural)),
                gender=term.gender,
                plural=term.plural,
            )
    for fid, d in spec.derived.items():
        namespace, _, derived_term = fid.partition(":")
        own = spec.questions.get(fid)
        if (d.baseline is None) != (fid in spec.age_bands):
            out.error(
                f"features.yaml:derived.{fid}",
                "an age band's baseline is derived, never stated"
                if fid in spec.age_bands
                else "a baseline frequency is needed (only the age bands have none)",
                code="kb.schema",
            )
        features[fid] = Feature(
            id=fid,
            namespace=namespace,
            term=derived_term,
            baseline=math.nan if d.baseline is None else d.baseline,  # an age band's: fill_age_bands
            group=fid,
            en=d.en,
            fr=d.fr,
            question_en=own.en if own else d.question_en or f"{d.en}?",
            question_fr=own.fr
            if own
            else d.question_fr or _derived_question_fr(namespace).format(**french_forms(d.fr, d.gender, d.plural)),
            gender=d.gender,
            plural=d.plural,
            absent_en=d.absent_en,
            absent_fr=d.absent_fr,
        )
    for fid in spec.questions:
        if fid not in features:
            out.error(
                "features.yaml:questions",
                f"unknown feature {fid!r}",
                code="kb.unknown_feature",
                suggestions=closest(fid, features),
            )
    for fid, value in spec.baselines.items():
        if fid not in features:
            out.error(
                "features.yaml:baselines",
                f"unknown feature {fid!r}",
                code="kb.unknown_feature",
                suggestions=closest(fid, features),
            )
            continue
        if not 0 < value < 1:
            out.error(
                f"features.yaml:baselines.{fid}",
                f"baseline {value} outside (0, 1)",
                code="kb.range",
            )
            continue
        f = features[fid]
        features[fid] = Feature(**{**f.__dict__, "baseline": value})
    seen: dict[str, str] = {}
    for group, members in spec.groups.items():
        for fid in members:
            if fid not in features:
                out.error(
                    f"features.yaml:groups.{group}",
                    f"unknown feature {fid!r}",
                    code="kb.unknown_feature",
                    suggestions=closest(fid, features),
                )
                continue
            if fid in seen:
                out.error(
                    f"features.yaml:groups.{group}",
                    f"{fid!r} is already in group {seen[fid]!r}",
                    code="kb.duplicate",
                )
            seen[fid] = group
            f = features[fid]
            features[fid] = Feature(**{**f.__dict__, "group": group})
    return features


STATED_NAMESPACES = ("condition:", "exposure:", "finding:")
"""What a case states in its lists (history, exposures, findings): what can make a must-not-miss known."""
PRESENTATION_NAMESPACES = ("finding", "site", "tissue", "pattern", "distribution", "imaging", "course", "patient")


def apply_presentation_floor(
    freq: np.ndarray, feature_ids: tuple[str, ...], floor: float, baseline: np.ndarray
) -> np.ndarray:
    """Presentation frequencies kept within [floor, 1 - floor] (constants.yaml presentation_floor),
    but never moved past the feature's baseline.

    The floor keeps an atypical presentation from ruling a diagnosis out; it must not turn a
    rare feature into evidence for every diagnosis. A site rarer than the floor among all causes
    (the penis and the vulva 0.003, an eyelid 0.005, the ear and the axilla 0.01) raised to
    the floor gave each diagnosis whose file is silent on it (its frequency is the baseline) a
    likelihood ratio of 0.02/0.003 = 6.7, and a diagnosis stating the site rare the same: a
    silent file won (issue #11, fault 3). Here each column's floor is the lower of the floor
    and the baseline (and its ceiling the higher of 1 - floor and the baseline), so a silent
    file gives likelihood ratio 1 and a frequency stated above the baseline keeps its own.
    """
    cols = np.array(
        [fid.split(":", 1)[0] in PRESENTATION_NAMESPACES and not fid.startswith(AGE_PREFIX) for fid in feature_ids]
    )  # the age bands are floored and normalised together (kb/age.py, fill_age_bands)
    out = freq.copy()
    low = np.minimum(floor, baseline[cols])
    high = np.maximum(1 - floor, baseline[cols])
    out[:, cols] = np.clip(out[:, cols], low[None, :], high[None, :])
    return out


def _age_bands(
    spec: Mapping[str, tuple[float, float | None]], limits: tuple[float, float, float], out: _Collector
) -> tuple[AgeBand, ...]:
    """The age bands of features.yaml, youngest first, checked against the case format's
    infant / child / older limits (kb.age_bands)."""
    bands = tuple(AgeBand(fid, low, math.inf if high is None else high) for fid, (low, high) in spec.items())
    for problem in age_band_errors(bands, list(limits)):
        out.error("features.yaml:age_bands", problem, code="kb.age_bands")
    return bands


def _settled_by_absence(implies: Mapping[str, list[str]], same_state: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Each feature with the features whose reported absence says it is absent too: what it
    implies, through implies' chains (features.yaml implies: a dialysis implies a kidney failure,
    so no kidney failure means no dialysis), and the condition a lab state it implies is reported
    as (same_state: an eGFR below 15 implies one below 60, the state a chronic kidney disease
    names, so a case denying the disease is not asked 'eGFR below 15?': a clinical review).

    Only from the lab to the condition: a lab state is a stage of the condition, while the
    condition also covers milder ones (a chronic kidney disease with an eGFR of 60 or more, a
    graft working well), so an eGFR of 60 or more does not deny a kidney transplant; nor a
    feature's own other form (a chronic kidney disease denied still leaves 'eGFR below 60?', as
    a reduced kidney function is often not yet known as a disease: judgement). For the questions
    only: a denial settles no measurement the work-up asks."""
    condition_of = {lab: condition for condition, lab in same_state.items()}
    out: dict[str, tuple[str, ...]] = {}
    for start in implies:
        seen: dict[str, None] = {}
        todo = list(implies[start])
        while todo:
            f = todo.pop(0)
            if f == start or f in seen:
                continue
            seen[f] = None
            todo.extend(implies.get(f, ()))
            if f in condition_of:
                todo.append(condition_of[f])
        out[start] = tuple(seen)
    return out


def _compile(
    *,
    root: Path,
    manifest: ManifestFile,
    constants: ConstantsFile,
    vocabulary: Vocabulary,
    features: Mapping[str, Feature],
    feature_refs: list[str],
    disease_files: list[DiseaseFile],
    priors: PriorsFile,
    categories: Mapping[str, CategorySpec],
    units: Any,
    ranges: Any,
    workup: WorkupFile,
    seed_fact_notes: Any,
    non_discriminating: Mapping[str, str],
    not_scored: Mapping[str, str],
    not_asked: Mapping[str, str],
    self_reported: SelfReported | None,
    not_asked_with: Mapping[str, NotAsked],
    implies: Mapping[str, list[str]],
    explained_by: Mapping[str, tuple[str, ...]],
    same_state: Mapping[str, str],
    exclusive: Mapping[str, list[str]],
    opposite_states: Mapping[str, str],
    staging: StagingFile,
    category_model: CategoryModelFile,
    must_not_miss: MustNotMissFile,
    age_bands: Mapping[str, tuple[float, float | None]],
    deferred: LazyParts,
    check: _Checks,
) -> KnowledgeBase:
    out = check.out
    coarse_limits = (
        constants.thresholds["infant_age_years"],
        constants.thresholds["child_age_years"],
        constants.thresholds["older_age_years"],
    )
    bands = _age_bands(age_bands, coarse_limits, out)
    floor = constants.frequency_floor.value
    ceiling = constants.frequency_ceiling.value
    feature_ids = tuple(features)
    fpos = {fid: i for i, fid in enumerate(feature_ids)}
    known_diagnoses = set(priors.priors)
    diseases_sorted = sorted(disease_files, key=lambda d: d.id)
    for d in diseases_sorted:
        if d.id not in known_diagnoses:
            out.error(f"diseases/{d.id}.yaml", "diagnosis has no prior in priors.yaml", code="kb.prior")
    for did in known_diagnoses - {d.id for d in diseases_sorted}:
        out.error("priors.yaml", f"prior for {did!r} but no diseases/{did}.yaml", code="kb.missing")

    check_refs, check_features, check_diagnoses, check_known = check.refs, check.feats, check.diags, check.known
    check_refs("features.yaml:references", feature_refs)
    check_features("features.yaml:non_discriminating", non_discriminating)
    check_features("features.yaml:not_scored", not_scored)
    check_features("features.yaml:not_asked", not_asked)
    check_features("features.yaml:self_reported", self_reported.features if self_reported else [])
    check_features(
        "features.yaml:not_asked_with",
        [
            *not_asked_with,
            *(f for rule in not_asked_with.values() for f in (*rule.when_any, *rule.when_absent, *rule.and_any)),
        ],
    )
    check_features("features.yaml:implies", [*implies, *(f for fs in implies.values() for f in fs)])
    check_features("features.yaml:explained_by", [*explained_by, *(f for fs in explained_by.values() for f in fs)])
    check_features("features.yaml:same_state", [*same_state, *same_state.values()])
    check_features("features.yaml:exclusive", [f for fs in exclusive.values() for f in fs])
    check_features("features.yaml:opposite_states", [*opposite_states, *opposite_states.values()])
    for high, low in opposite_states.items():
        if high in features and low in features and features[high].baseline + features[low].baseline >= 1:
            out.error(
                "features.yaml:opposite_states",
                f"the baselines of {high} and {low} add up to 1 or more: they are two of the three states of one "
                "reading (low, normal, high), so they leave a normal reading something",
                code="kb.exclusive_sum",
            )
    for name, members in exclusive.items():
        total = sum(features[f].baseline for f in members if f in features)
        if abs(total - 1) > _EXCLUSIVE_TOLERANCE:
            out.error(
                f"features.yaml:exclusive.{name}",
                f"the baselines of {', '.join(members)} add up to {total:.3g}: one and only one of them describes "
                "a case, so they add up to 1",
                code="kb.exclusive_sum",
            )
    baseline = np.array([features[fid].baseline for fid in feature_ids], dtype=np.float64)
    # what a diagnosis' findings say of features they leave out: same states, implied ones, the rest of a set
    relations = _Relations(
        [(a, b) for a, b in same_state.items() if a in fpos and b in fpos],
        [(a, b, "features.yaml implies") for a, bs in implies.items() for b in bs if a in fpos and b in fpos]
        + [  # a lesion of the thigh is one of the lower limb: what a case reader sets too (evidence.py)
            (f"site:{site}", f"site:{above}", "vocabulary.yaml sites")
            for site in vocabulary.lists["sites"]
            for above in vocabulary.site_ancestors(site)
            if f"site:{site}" in fpos and f"site:{above}" in fpos
        ],
        [tuple(fs) for fs in exclusive.values() if all(f in fpos for f in fs)],
        [(a, b) for a, b in opposite_states.items() if a in fpos and b in fpos],
        _sites_within(vocabulary, fpos),
        baseline,
    )
    check_refs("constants.yaml:thresholds_reference", constants.thresholds_reference)
    check_refs("priors.yaml:references", priors.references)
    for did, dprior in priors.priors.items():
        check_refs(f"priors.yaml:priors.{did}", dprior.references)
    check_refs("workup.yaml:references", workup.references)

    check_features("workup.yaml:lesion_features", workup.lesion_features)
    check_features("workup.yaml:in_reach_findings", workup.in_reach_findings)
    check_features("workup.yaml:out_of_reach_tissues", [f"tissue:{t}" for t in workup.out_of_reach_tissues])
    check_features("workup.yaml:cavity_sites", [f"site:{t}" for t in workup.cavity_sites])
    check_features("workup.yaml:organ_tissues", [f"tissue:{t}" for t in workup.organ_tissues])
    for step in workup.steps:
        check_refs(f"workup.yaml:{step.id}", step.references)
        _check_why(f"workup.yaml:{step.id}", step, check)
        check_features(f"workup.yaml:{step.id}", step.answers)
        check_features(f"workup.yaml:{step.id}.when", _when_features(step))
        check_diagnoses(f"workup.yaml:{step.id}.when", _when_diagnoses(step))
        if step.first:  # read only for a diagnosis' own steps, when it leads (a code review)
            out.error(
                f"workup.yaml:{step.id}.first",
                "first is for a diagnosis' own steps; the general steps keep their order",
                code="kb.first_on_general_step",
            )
    for name, cat in categories.items():
        check_refs(f"categories.yaml:{name}.references", cat.references)
        check_features(f"categories.yaml:{name}.defaults", cat.defaults)

    if deferred.built:  # read from the YAML files: checked now; from the cache: on first use
        _check_deferred(deferred.get(), check)
    check_diagnoses("staging.yaml:relevant_when", staging.relevant_when.diagnoses)
    check_features("staging.yaml:relevant_when", staging.relevant_when.features)
    check_refs("staging.yaml:porter", staging.porter.references)
    check_refs("staging.yaml:ceap", staging.ceap.references)
    for st in staging.porter.stages:
        check_features(f"staging.yaml:porter.stage{st.stage}", [c.feature for c in st.criteria])
    for cl in staging.ceap.classes:
        check_features(f"staging.yaml:ceap.{cl.class_}", [c.feature for c in cl.criteria])
    check_features("staging.yaml:ceap.symptomatic_features", staging.ceap.symptomatic_features)

    check_refs("category_model.yaml:references", category_model.references)
    for cname, cprior in category_model.priors.items():
        check_refs(f"category_model.yaml:priors.{cname}", cprior.references)
    for rule in category_model.rules:
        where = f"category_model.yaml:rules.{rule.id}"
        check_refs(where, rule.references)
        check_features(where, [*rule.any_of, *rule.with_any_of, *rule.normal_when_measured])
        check_known(where, [f"exposure:{k}" for k in rule.window_days], rule.any_of, "windowed exposure")
    check_refs("must_not_miss.yaml:references", must_not_miss.references)
    check_diagnoses("must_not_miss.yaml:diagnoses", must_not_miss.diagnoses)
    check_diagnoses("must_not_miss.yaml:followed_until_excluded", must_not_miss.followed_until_excluded)
    check_known("must_not_miss.yaml:patient_signs", must_not_miss.patient_signs, must_not_miss.diagnoses, "diagnosis")
    check_known("must_not_miss.yaml:while_unshown", must_not_miss.while_unshown, must_not_miss.diagnoses, "diagnosis")
    check_known(
        "must_not_miss.yaml:while_unshown_with",
        must_not_miss.while_unshown_with,
        must_not_miss.while_unshown,
        "diagnosis",
    )
    for did, alert in must_not_miss.while_unshown_with.items():
        check_features(f"must_not_miss.yaml:while_unshown_with.{did}", alert.when)
        check_features(f"must_not_miss.yaml:while_unshown_with.{did}.with_any", alert.with_any)
    check_known("must_not_miss.yaml:workup", must_not_miss.workup, must_not_miss.diagnoses, "diagnosis")
    check_known("must_not_miss.yaml:for_patients", must_not_miss.for_patients, must_not_miss.diagnoses, "diagnosis")
    for did, written in must_not_miss.for_patients.items():
        for k, for_some in enumerate(written):
            where = f"must_not_miss.yaml:for_patients.{did}[{k}]"
            check_features(where, for_some.features)
            if not all(f.startswith("patient:") for f in for_some.features):
                out.error(
                    where,
                    "an alert for some patients is chosen by the patient's features (patient:*)",
                    code="kb.for_patients",
                )
    check_known("must_not_miss.yaml:while_known", must_not_miss.while_known, must_not_miss.diagnoses, "diagnosis")
    for did, known in must_not_miss.while_known.items():
        check_features(f"must_not_miss.yaml:while_known.{did}", known.features)
        if not all(f.startswith(STATED_NAMESPACES) for f in known.features):
            out.error(
                f"must_not_miss.yaml:while_known.{did}",
                f"only what a case states in its lists can make a diagnosis known ({', '.join(STATED_NAMESPACES)})",
                code="kb.while_known",
            )
        if not all("{known}" in known.get(lang) for lang in ("en", "fr")):
            out.error(f"must_not_miss.yaml:while_known.{did}", "each text says {known}", code="kb.while_known")
    files_by_id = {d.id: d for d in diseases_sorted}
    for did, step_ids in must_not_miss.workup.items():
        if did in files_by_id:  # its own steps only: a step of another diagnosis is asked for that one
            own_steps = [w.id for w in files_by_id[did].workup]
            check_known(f"must_not_miss.yaml:workup.{did}", step_ids, own_steps, "workup_step")

    n_d = len(diseases_sorted)
    freq = np.tile(baseline, (n_d, 1))
    sources: dict[tuple[int, int], FrequencySource] = {}
    diseases: list[Disease] = []
    for di, d in enumerate(diseases_sorted):
        loc = f"diseases/{d.id}.yaml"
        check_refs(f"{loc}:references", d.references)
        category = categories.get(d.category)
        if category is not None:
            for fid, default in category.defaults.items():
                if fid in fpos:
                    freq[di, fpos[fid]] = default.frequency
                    sources[(di, fpos[fid])] = FrequencySource(
                        frequency=default.frequency,
                        origin="category",
                        references=tuple(default.references or category.references),
                        estimate=default.estimate,
                        note=None,
                    )
        findings = _put_findings(
            d.findings, f"{loc}:findings", freq[di], di, sources, fpos, features, check, (floor, ceiling)
        )
        _related_frequencies(findings, relations, freq[di], di, sources, fpos, f"{loc}:findings", check)
        for step in d.workup:
            check_refs(f"{loc}:workup.{step.id}", step.references)
            _check_why(f"{loc}:workup.{step.id}", step, check)
            check_features(f"{loc}:workup.{step.id}", step.answers)
            check_features(f"{loc}:workup.{step.id}.when", _when_features(step))
            check_diagnoses(f"{loc}:workup.{step.id}.when", _when_diagnoses(step))
        check_features(f"{loc}:irrelevant", d.irrelevant)
        _check_blocks(loc, d.defining, d.setting, check)
        if d.vitamin_d is not None:
            check_refs(f"{loc}:vitamin_d", d.vitamin_d.references)
        _check_age(loc, d.age, findings, check, [b.low for b in bands])
        diseases.append(
            Disease(
                id=d.id,
                category=d.category,
                group=d.group,
                names=d.names,
                synonyms=tuple(d.synonyms),
                definition=d.definition,
                codes=d.codes,
                references=tuple(d.references),
                findings=findings,
                workup=tuple(d.workup),
                seed_facts=tuple(d.seed_facts),
                prior_spec=priors.priors.get(d.id),
                last_reviewed=d.last_reviewed.isoformat(),
                defining=d.defining,
                irrelevant=dict(d.irrelevant),
                age=d.age,
                setting=d.setting,
                main_form=d.main_form,
                forms=tuple(d.forms),
                managed_as=d.managed_as,
                vitamin_d=d.vitamin_d,
            )
        )
    forms, form_freq = _form_rows(
        diseases_sorted, freq, sources, fpos, features, check, (floor, ceiling), relations, [b.low for b in bands]
    )
    if forms:
        freq = np.concatenate([freq, form_freq])
    freq = np.clip(freq, floor, ceiling)
    prior = np.array([d.prior for d in diseases], dtype=np.float64)
    prior = prior / prior.sum() if prior.sum() > 0 else prior
    # each row's share of its diagnosis' prior (exactly the prior for a diagnosis without forms)
    row_prior = np.concatenate(
        [prior * np.array([d.main_share for d in diseases]), [prior[r.disease] * r.form.share for r in forms]]
    )
    if not out.issues:  # the bands are sound and every age feature exists
        fill_age_bands(
            freq,
            baseline,
            fpos,
            sources,
            bands=bands,
            ages=[*(d.age for d in diseases_sorted), *(r.form.age or diseases_sorted[r.disease].age for r in forms)],
            prior=row_prior,
            coarse_limits=coarse_limits,
            floor=constants.presentation_floor.value,
            atypical=constants.age_atypical_share.value,
            hard_floor=floor,
        )
        features = {  # the age bands' derived baselines, for every text that shows a baseline
            **features,
            **{b.feature: replace(features[b.feature], baseline=float(baseline[fpos[b.feature]])) for b in bands},
        }
    freq = apply_presentation_floor(freq, feature_ids, constants.presentation_floor.value, baseline)
    category_names = tuple(CATEGORY_ORDER)
    cpos = {c: i for i, c in enumerate(category_names)}
    disease_category = np.array([cpos[d.category] for d in diseases], dtype=np.int64)
    within = prior.copy()
    for c in range(len(category_names)):
        members = disease_category == c
        if within[members].sum() > 0:
            within[members] = within[members] / within[members].sum()
    group_names = tuple(sorted({f.group for f in features.values()}))
    gpos = {g: i for i, g in enumerate(group_names)}
    return KnowledgeBase(
        root=root,
        version=manifest.kb_version,
        manifest=manifest,
        constants=constants,
        vocabulary=vocabulary,
        features=dict(features),
        feature_ids=feature_ids,
        diseases=tuple(diseases),
        categories=dict(categories),
        units=units,
        reference_ranges=ranges,
        workup=workup,
        seed_fact_notes=seed_fact_notes,
        non_discriminating=dict(non_discriminating),
        not_scored=np.array([fid in not_scored for fid in feature_ids], dtype=bool),
        implies={k: tuple(v) for k, v in implies.items()},
        explained_by=dict(explained_by),
        not_asked_with=not_asked_with,
        settled_by_absence=_settled_by_absence(implies, same_state),
        self_reported=frozenset(self_reported.features) if self_reported else frozenset(),
        self_report_min_age=self_reported.min_age_years if self_reported else 0.0,
        exclusive=frozenset(f for fs in relations.exclusive for f in fs),
        opposite_states=dict(relations.opposite),
        staging=staging,
        age_bands=bands,
        frequency=freq,
        log_present=np.log(freq),
        log_absent=_log_absent(freq, baseline, [(fpos[a], fpos[b]) for a, b in relations.opposite]),
        baseline=baseline,
        log_prior=np.log(np.maximum(prior, math.ulp(1.0))),
        group_index=np.array([gpos[features[fid].group] for fid in feature_ids], dtype=np.int64),
        group_names=group_names,
        category_model=category_model,
        must_not_miss=dict(must_not_miss.diagnoses),
        must_not_miss_threshold=must_not_miss.threshold,
        must_not_miss_workup={d: tuple(ids) for d, ids in must_not_miss.workup.items()},
        must_not_miss_signs=dict(must_not_miss.patient_signs),
        followed_until_excluded=frozenset(must_not_miss.followed_until_excluded),
        must_not_miss_unshown=dict(must_not_miss.while_unshown),
        must_not_miss_known=dict(must_not_miss.while_known),
        must_not_miss_unshown_with=dict(must_not_miss.while_unshown_with),
        must_not_miss_for_patients={d: tuple(alerts) for d, alerts in must_not_miss.for_patients.items()},
        category_names=category_names,
        disease_category=disease_category,
        log_category_prior=np.log(np.array([category_model.priors[c].value for c in category_names])),
        log_prior_within=np.log(np.maximum(within, math.ulp(1.0))),
        askable=np.array(
            [not fid.startswith(("patient:", "distribution:")) and fid not in not_asked for fid in feature_ids],
            dtype=bool,
        ),
        _feature_pos=fpos,
        _disease_pos={d.id: i for i, d in enumerate(diseases)},
        _sources=sources,
        _deferred=deferred,
        forms=tuple(forms),
    )


def _put_findings(
    entries: list[FindingSpec],
    where: str,
    row: np.ndarray,
    row_index: int,
    sources: dict[tuple[int, int], FrequencySource],
    fpos: Mapping[str, int],
    features: Mapping[str, Feature],
    check: _Checks,
    bounds: tuple[float, float],
) -> dict[str, FindingSpec]:
    """Check a diagnosis' (or a form's) findings and put their frequencies into its ``row``."""
    out = check.out
    floor, ceiling = bounds
    findings: dict[str, FindingSpec] = {}
    for i, f in enumerate(entries):
        floc = f"{where}[{i}]"
        if f.feature not in fpos:
            out.error(
                floc,
                f"unknown feature {f.feature!r}",
                code="kb.unknown_feature",
                suggestions=closest(f.feature, features),
            )
            continue
        if f.feature in findings:
            out.error(floc, f"feature {f.feature!r} listed twice", code="kb.duplicate")
        if not floor <= f.frequency <= ceiling:
            out.error(floc, f"frequency {f.frequency} outside [{floor}, {ceiling}]", code="kb.range")
        if not f.references and not f.estimate:
            out.error(floc, "needs references or an estimate with its reasoning", code="kb.unsourced")
        check.refs(floc, f.references)
        findings[f.feature] = f
        row[fpos[f.feature]] = f.frequency
        sources[(row_index, fpos[f.feature])] = FrequencySource(
            frequency=f.frequency,
            origin="diagnosis",
            references=tuple(f.references),
            estimate=f.estimate,
            note=f.note,
        )
    return findings


def _related_frequencies(
    findings: Mapping[str, FindingSpec],
    relations: _Relations,
    row: np.ndarray,
    row_index: int,
    sources: dict[tuple[int, int], FrequencySource],
    fpos: Mapping[str, int],
    loc: str,
    check: _Checks,
) -> None:
    """The frequencies a diagnosis' (or a form's) findings imply for features they leave out.

    Same state (``relations[0]``, features.yaml same_state: a CKD history and an eGFR below
    60): where the findings state one of the pair and not the other, the other takes its
    frequency. Implied (``relations[1]``, features.yaml implies: every painless swelling is a
    swelling, every patient on dialysis has kidney disease): the implied feature is at least as
    frequent as the one implying it; where the findings state one of the two and not the other,
    the other is brought in line when its default (category or baseline) would break the order:
    a swelling takes the frequency of the painless swellings stated (0.8 in pilomatricoma, where
    a swelling counted as nothing), and a painless swelling cannot be commoner than the
    swellings stated (0.02 in phleboliths, where the baseline 0.1 stood). Two stated
    frequencies out of order are an error.

    A site within another (``relations.implied`` too, vocabulary.yaml parents: the thigh in the
    lower limb) keeps the same order. Where a region is known for the diagnosis (stated, or
    raised to a stated site within it) and a site within it is not, the site takes the region's
    frequency times its share of the region among calcinosis patients at large
    (``relations.within``, the baselines' ratio): a file stating the lower limb in 0.08 and
    nothing of the thigh gives it 0.08 × 0.12 / 0.45, so that a thigh lesion, scored alone (its
    region is implied), counts as the lower limb would.

    Exclusive (``relations.exclusive``, features.yaml exclusive: the extent of the deposits, the
    duration): one and only one describes a case, so a diagnosis' frequencies of them add up to
    1; where the findings state some, the others share what those leave, in proportion to their
    defaults (pilomatricoma, a single nodule in 0.93, left the baselines 0.3, 0.2 and 0.15 to the
    other three extents: 1.58 in all). Stated frequencies adding up to more than 1, or all
    stated and not to 1, are an error.

    Opposite states (``relations.opposite``, features.yaml opposite_states: a raised and a low
    calcium): a reading of the test is low, normal or high, and the engine reads a low one as the
    low state alone (engine/evidence.py PAIRED_TESTS: "not high" is implied, not scored). Where
    the findings state one and not the other, the other takes its share of what the stated one
    leaves, with a normal reading, in proportion to their baselines: (1 - stated) x its baseline
    / (1 - the stated one's baseline). Primary hyperparathyroidism, a raised calcium in 0.865 and
    nothing of a low one, gave a low calcium its baseline (LR 1) while a normal calcium weighed
    0.14 against it: a hypocalcaemia now weighs as a normal calcium does. Both stated and adding
    up to more than 1 is an error.
    """
    same, implied, exclusive, opposite, within, baseline = relations
    stated_here = set(findings)  # the states this row states, itself or as the same state reported another way

    def take(silent: str, spec: FindingSpec, why: str) -> None:
        stated_here.add(silent)
        row[fpos[silent]] = spec.frequency
        sources[(row_index, fpos[silent])] = FrequencySource(
            frequency=spec.frequency,
            origin="diagnosis",
            references=tuple(spec.references),
            estimate=f"{why}, whose frequency this states",
            note=None,
        )

    for a, b in same:
        for said, silent in ((a, b), (b, a)):
            if said in findings and silent not in findings:
                take(silent, findings[said], f"the same state as {said} (features.yaml same_state)")
    for a, b, why in implied:  # after the same states: an implied feature may have just taken one
        if a in findings and b in findings:
            if findings[b].frequency < findings[a].frequency:
                check.out.error(
                    loc,
                    f"{b} has frequency {findings[b].frequency} but {a}, which implies it "
                    f"({why}), has {findings[a].frequency}: expected at least {findings[a].frequency}",
                    code="kb.implied_below",
                )
        elif a in findings and row[fpos[b]] < findings[a].frequency:
            take(b, findings[a], f"at least as often as {a}, which implies it ({why})")
        elif b in findings and row[fpos[a]] > findings[b].frequency:
            take(a, findings[b], f"no more often than {b}, which it implies ({why})")
    for region, inside in within:  # after the implied ones: a region may have just taken a site's frequency
        known = region in findings or (
            (found := sources.get((row_index, fpos[region]))) is not None and found.origin == "diagnosis"
        )
        left_out = [f for f in inside if f not in findings]
        if not known or not left_out:
            continue
        whole = float(row[fpos[region]])
        for site in left_out:
            value = min(whole, whole * float(baseline[fpos[site]]) / float(baseline[fpos[region]]))
            row[fpos[site]] = value
            sources[(row_index, fpos[site])] = FrequencySource(
                frequency=round(value, 4),
                origin="diagnosis",
                references=(),
                estimate=(
                    f"its share of {region} ({whole:.3g}) as among calcinosis patients at large (the ratio of "
                    "their baselines; vocabulary.yaml sites)"
                ),
                note=None,
            )
    for high, low in opposite:  # after the same states: a known hypercalcaemia has just given a raised calcium
        for said, silent in ((high, low), (low, high)):
            if said not in stated_here or silent in stated_here:
                continue
            s, p = float(row[fpos[said]]), fpos[silent]
            b_stated, b_silent = float(baseline[fpos[said]]), float(baseline[p])
            value = (1 - s) * b_silent / (1 - b_stated)
            row[p] = value
            spec = findings.get(said)
            sources[(row_index, p)] = FrequencySource(
                frequency=round(value, 4),
                origin="diagnosis",
                references=tuple(spec.references) if spec is not None else (),
                estimate=(
                    f"what {said} ({s:.3g}) leaves to the other two states of the reading, normal and "
                    f"{'low' if silent == low else 'raised'}, shared in proportion to their baselines "
                    "(features.yaml opposite_states)"
                ),
                note=None,
            )
        if high in findings and low in findings and findings[high].frequency + findings[low].frequency > 1:
            check.out.error(
                loc,
                f"{high} {findings[high].frequency} and {low} {findings[low].frequency} add up to more than 1: "
                "a reading is low, normal or high (features.yaml opposite_states)",
                code="kb.exclusive_sum",
            )
    for members in exclusive:
        given = [f for f in members if f in findings]
        if not given:
            continue
        stated = sum(findings[f].frequency for f in given)
        rest = [f for f in members if f not in findings]
        if stated > 1 + _EXCLUSIVE_TOLERANCE or (not rest and abs(stated - 1) > _EXCLUSIVE_TOLERANCE):
            check.out.error(
                loc,
                f"{', '.join(f'{f} {findings[f].frequency}' for f in given)} add up to {stated:.3g}: one and only one "
                f"of {', '.join(members)} describes a case (features.yaml exclusive), expected "
                + ("at most 1" if rest else "1"),
                code="kb.exclusive_sum",
            )
            continue
        left = max(0.0, 1 - stated)
        defaults = {f: float(row[fpos[f]]) for f in rest}
        share = sum(defaults.values())
        references = tuple(dict.fromkeys(r for f in given for r in findings[f].references))
        for silent in rest:
            value = left * defaults[silent] / share if share > 0 else left / len(rest)
            row[fpos[silent]] = value
            sources[(row_index, fpos[silent])] = FrequencySource(
                frequency=round(value, 4),
                origin="diagnosis",
                references=references,
                estimate=(
                    f"what {', '.join(given)} leave ({left:.3g}) of a set of which one and only one describes a case "
                    f"(features.yaml exclusive), shared by the others in proportion to their defaults"
                ),
                note=None,
            )


def _log_absent(freq: np.ndarray, baseline: np.ndarray, opposite: Sequence[tuple[int, int]]) -> np.ndarray:
    """log P(absent) of every row and feature, the low state of a test read given its raised one.

    A normal reading sets both states of its test absent (engine/evidence.py), and scoring them
    as two independent absences counted one reading twice: hypervitaminosis D, a raised
    25-hydroxyvitamin D in 0.83 and a low one in 0.06, gained 1.44 from "not low" on top of
    the 0.17 of "not raised", where the reading says "normal" once, (1 - 0.83 - 0.06) / (1 -
    0.02 - 0.35) = 0.17. The low state's absence is therefore scored given the raised one's, as
    P(not low | not raised) = (1 - high - low) / (1 - high), for the diagnosis and for the
    baseline alike (its column here keeps log(1 - baseline) added back, which tables.py and the
    batch kernel take off again): the two absences of a normal reading multiply to P(normal |
    diagnosis) / P(normal | other causes). A censored reading that denies only the low state
    ("above" a value within the range) reads it so too; the difference is the small chance of a
    raised state it leaves open."""
    out: np.ndarray = np.log1p(-freq)
    for high, low in opposite:
        normal = np.maximum(1 - freq[:, high] - freq[:, low], 1e-6)
        base_normal = max(1 - baseline[high] - baseline[low], 1e-6)
        conditional = np.log(normal) - np.log1p(-freq[:, high])
        base_conditional = math.log(base_normal) - math.log1p(-baseline[high])
        out[:, low] = conditional - base_conditional + math.log1p(-baseline[low])
    return out


def _sites_within(vocabulary: Vocabulary, fpos: Mapping[str, int]) -> list[tuple[str, tuple[str, ...]]]:
    """Each site with the sites directly within it (the thigh in the lower limb), the broadest
    first, so that a region filled from its own region passes it on."""
    sites = vocabulary.lists["sites"]
    below: dict[str, list[str]] = {}
    for site, term in sites.items():
        if term.parent is not None and f"site:{site}" in fpos and f"site:{term.parent}" in fpos:
            below.setdefault(term.parent, []).append(f"site:{site}")
    order = sorted(below, key=lambda s: len(vocabulary.site_ancestors(s)))
    return [(f"site:{site}", tuple(below[site])) for site in order]


def _when_items(step: WorkupStep, *keys: str) -> list[str]:
    """The items a work-up step's conditions ``keys`` name, its parts' too (a list that is not a
    list names none)."""
    whens = [step.when, *(part.when for part in step.parts)]
    return [str(item) for when in whens for key in keys if isinstance(items := when.get(key), list) for item in items]


def _when_diagnoses(step: WorkupStep) -> list[str]:
    """The diagnoses a work-up step's conditions name (a misspelt one would hold nothing, or everything)."""
    return _when_items(step, "diagnosis_in_top", "diagnosis_in_top_none", "leading_none")


def _when_features(step: WorkupStep) -> list[str]:
    """The features a work-up step's conditions name."""
    return _when_items(step, *WORKUP_FEATURE_CONDITIONS)


def _check_blocks(
    loc: str, defining: DefiningFeatures | None, setting: DefiningFeatures | None, check: _Checks
) -> None:
    """The features and references of a diagnosis' (or a form's) defining blocks, and that the two are apart."""
    for name, block in named_blocks(defining, setting):
        check.feats(f"{loc}:{name}", block.any_of)
        check.refs(f"{loc}:{name}", block.references)
    if defining is not None and setting is not None and (shared := set(defining.any_of) & set(setting.any_of)):
        check.out.error(
            f"{loc}:setting",
            f"{', '.join(sorted(shared))} is in both defining and setting: the two blocks are independent, "
            "a feature belongs to one",
            code="kb.setting_overlap",
        )
    if defining is not None and defining.widens:
        check.out.error(
            f"{loc}:defining",
            "widens is for a setting block: it widens the defining block",
            code="kb.widens_on_defining",
        )
    if setting is not None and setting.widens and defining is None:
        check.out.error(
            f"{loc}:setting",
            "a setting block that widens the defining block needs a defining block",
            code="kb.widens_without_defining",
        )
    if defining is not None and defining.confirms:
        check.out.error(
            f"{loc}:defining",
            "confirms is for a setting block: a defining feature reported already confirms its diagnosis",
            code="kb.confirms_on_defining",
        )


def _check_age(
    loc: str, age: AgeDistribution | None, findings: Mapping[str, FindingSpec], check: _Checks, edges: Sequence[float]
) -> None:
    """An age distribution's references, an age that defines it at an edge of the bands, and no
    coarse age frequency stated beside it."""
    if age is None:
        return
    check.refs(f"{loc}:age", age.references)
    if age.defined_from is not None and age.defined_from not in edges:
        check.out.error(
            f"{loc}:age",
            f"defined_from {age.defined_from:g} is not an edge of the age bands ({', '.join(f'{e:g}' for e in edges)})",
            code="kb.age_defined_from",
        )
    for fid in COARSE_AGE_FEATURES:
        if fid in findings:
            check.out.error(
                f"{loc}:findings",
                f"{fid} is stated with an age distribution (age): the distribution gives it, state one or the other",
                code="kb.age_twice",
            )


def _form_rows(
    diseases: list[DiseaseFile],
    freq: np.ndarray,
    sources: dict[tuple[int, int], FrequencySource],
    fpos: Mapping[str, int],
    features: Mapping[str, Feature],
    check: _Checks,
    bounds: tuple[float, float],
    relations: _Relations,
    edges: Sequence[float],
) -> tuple[list[FormRow], np.ndarray]:
    """The rows of the diagnoses' forms, after the D rows of ``freq``: each a copy of its
    diagnosis' row (and of its frequencies' sources) with the form's findings put in."""
    forms: list[FormRow] = []
    rows: list[np.ndarray] = []
    for di, d in enumerate(diseases):
        inherited = [(j, src) for (r, j), src in sources.items() if r == di] if d.forms else []
        for k, form in enumerate(d.forms):
            loc = f"diseases/{d.id}.yaml:forms[{k}]"
            row_index = len(diseases) + len(forms)
            row = freq[di].copy()
            sources.update({(row_index, j): src for j, src in inherited})
            check.refs(f"{loc}:references", form.references)
            findings = _put_findings(
                form.findings, f"{loc}.findings", row, row_index, sources, fpos, features, check, bounds
            )
            _related_frequencies(findings, relations, row, row_index, sources, fpos, f"{loc}.findings", check)
            _check_blocks(loc, form.defining, form.setting, check)
            _check_age(loc, form.age, findings, check, edges)
            forms.append(FormRow(disease=di, form=form, row=row_index, key=form_key(d.id, form.id)))
            rows.append(row)
    return forms, np.array(rows).reshape(len(rows), freq.shape[1])
