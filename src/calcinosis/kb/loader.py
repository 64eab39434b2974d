"""Load the knowledge base: files present -> each file valid -> cross-references -> compile.

Every problem found at any stage is collected, and all of them are reported together in
one :class:`~calcinosis.errors.KnowledgeBaseError`, each with its file and key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from calcinosis.errors import KnowledgeBaseError
from calcinosis.i18n import english_inline, french_forms, french_typography
from calcinosis.issues import Issue, IssueLevel, closest
from calcinosis.kb.model import Disease, Feature, FrequencySource, KnowledgeBase
from calcinosis.kb.schema import (
    CATEGORIES as CATEGORY_ORDER,
)
from calcinosis.kb.schema import (
    CategoryModelFile,
    CategorySpec,
    ConstantsFile,
    DiseaseFile,
    FeaturesFile,
    FollowupFile,
    FollowupItem,
    LeafletFile,
    LeafletVariantsFile,
    ManagementFile,
    ManifestFile,
    MustNotMissFile,
    PriorsFile,
    ReferenceSpec,
    StagingFile,
    TreatmentFile,
    WarningSign,
    WorkupFile,
)
from calcinosis.kb.vocabulary import Vocabulary

__all__ = ["default_kb_path", "load_kb"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_M = TypeVar("_M", bound=BaseModel)
_CACHE_FORMAT = 1

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


def _validate(model: type[_M], data: Any, location: str, out: _Collector) -> _M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            out.error(f"{location}:{loc}" if loc else location, err["msg"], code="kb.schema")
    return None


def _digest(root: Path) -> str:
    """Content hash of every knowledge file, of the code that validates and compiles them, and
    of the versions that shape the cache (so a schema change can never load a stale one)."""
    from calcinosis._version import __version__

    h = hashlib.sha256(f"{__version__}|{np.__version__.split('.')[0]}|{sys.version_info[:2]}".encode())
    code = Path(__file__).parent
    for module in ("schema.py", "loader.py", "model.py", "vocabulary.py"):
        h.update((code / module).read_bytes())
    for p in sorted(root.rglob("*.yaml")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:32]


def _cache_dir() -> Path:
    env = os.environ.get("CALCINOSIS_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "calcinosis"


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
    """The parsed knowledge files, read from YAML or from the cache (same keys: relative paths).

    Parsing YAML is 90% of the load time, so the cache holds the parsed documents as JSON;
    validation and compilation always run (about 20 ms), so a cache can never smuggle in
    an object the schemas would refuse, and JSON cannot execute code as a pickle could.
    """

    def __init__(self, root: Path, out: _Collector, cached: dict[str, Any] | None = None) -> None:
        self.root = root
        self.out = out
        self.from_cache = cached is not None
        self.parsed: dict[str, Any] = dict(cached or {})

    def read(self, rel: str) -> Any:
        if self.from_cache:
            return _typeset_french(self.parsed.get(rel))
        data = _read_yaml(self.root / rel, self.out)
        self.parsed[rel] = data
        return _typeset_french(data)

    def listing(self, folder: str) -> list[str]:
        if self.from_cache:
            return sorted(k for k in self.parsed if k.startswith(folder + "/"))
        return [f"{folder}/{p.name}" for p in sorted((self.root / folder).glob("*.yaml"))]


def _private_dir(folder: Path) -> bool:
    """Create the cache folder for this user only; refuse one that others could write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def _read_cache(path: Path) -> dict[str, Any] | None:
    """The cached documents, or None when absent, foreign, corrupt or of another format."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return None
        header, _, body = path.read_bytes().partition(b"\n")
        meta = json.loads(header)
        if not isinstance(meta, dict) or meta.get("format") != _CACHE_FORMAT:
            return None
        if meta.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        docs = json.loads(body)
    except (OSError, ValueError):
        return None
    return docs if isinstance(docs, dict) else None


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be cached")


def _write_cache(path: Path, docs: dict[str, Any]) -> None:
    try:
        body = json.dumps(docs, default=_json_default, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return
    header = json.dumps({"format": _CACHE_FORMAT, "sha256": hashlib.sha256(body).hexdigest()}).encode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".kb-", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # a read-only home only costs speed
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + b"\n" + body)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def load_kb(path: Path | str | None = None, *, cache: bool = True) -> KnowledgeBase:
    """Load, validate and compile a knowledge base.

    The parsed knowledge files are cached as JSON (in ``$CALCINOSIS_CACHE_DIR`` or
    ``~/.cache/calcinosis``, a folder for this user only) under a hash of every knowledge
    file and of the code that reads them, with a SHA-256 of the cached content checked on
    every load. A cache that is missing, corrupt, foreign or fails validation is ignored and
    rebuilt; it never stops a command and cannot run code.

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
    root = Path(path) if path is not None else default_kb_path()
    cache_file: Path | None = None
    if cache and root.is_dir() and _private_dir(_cache_dir()):
        cache_file = _cache_dir() / f"kb-{_digest(root)}.json"
        docs = _read_cache(cache_file)
        if docs is not None:
            try:
                return _load_uncached(root, docs)
            except Exception:
                pass
    documents = _Documents(root, _Collector())
    kb = _load_uncached(root, documents=documents)
    if cache_file is not None:
        _write_cache(cache_file, documents.parsed)
    return kb


def _load_uncached(
    root: Path, cached: dict[str, Any] | None = None, *, documents: _Documents | None = None
) -> KnowledgeBase:
    docs = documents if documents is not None else _Documents(root, _Collector(), cached)
    out = docs.out
    if docs.from_cache:
        missing = [name for name in REQUIRED_FILES if name not in docs.parsed]
    else:
        missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    for name in missing:
        out.error(name, f"required knowledge file is missing from {root}", code="kb.missing")
    if not docs.from_cache and not (root / "diseases").is_dir():
        out.error("diseases/", "folder of diagnosis files is missing", code="kb.missing")
    if out.issues:
        raise KnowledgeBaseError(f"knowledge base at {root} is incomplete", issues=out.issues, path=root)

    raw = {name: docs.read(name) for name in REQUIRED_FILES}
    manifest = _validate(ManifestFile, raw["MANIFEST.yaml"], "MANIFEST.yaml", out)
    constants = _validate(ConstantsFile, raw["constants.yaml"], "constants.yaml", out)
    features_file = _validate(FeaturesFile, raw["features.yaml"], "features.yaml", out)
    priors = _validate(PriorsFile, raw["priors.yaml"], "priors.yaml", out)
    workup = _validate(WorkupFile, raw["workup.yaml"], "workup.yaml", out)
    staging = _validate(StagingFile, raw["staging.yaml"], "staging.yaml", out)
    followup = _validate(FollowupFile, raw["followup.yaml"], "followup.yaml", out)
    management = _validate(ManagementFile, raw["management.yaml"], "management.yaml", out)
    leaflet = _validate(LeafletFile, raw["leaflet.yaml"], "leaflet.yaml", out)
    category_model = _validate(CategoryModelFile, raw["category_model.yaml"], "category_model.yaml", out)
    leaflet_variants = _validate(
        LeafletVariantsFile, raw["leaflet_by_condition.yaml"], "leaflet_by_condition.yaml", out
    )
    must_not_miss = _validate(MustNotMissFile, raw["must_not_miss.yaml"], "must_not_miss.yaml", out)
    categories: dict[str, CategorySpec] = {}
    try:
        categories = TypeAdapter(dict[str, CategorySpec]).validate_python(raw["categories.yaml"])
    except ValidationError as exc:
        for err in exc.errors():
            out.error("categories.yaml:" + ".".join(map(str, err["loc"])), err["msg"], code="kb.schema")
    vocabulary: Vocabulary | None = None
    try:
        vocabulary = Vocabulary.from_data(raw["vocabulary.yaml"] or {})
    except ValueError as exc:
        out.error("vocabulary.yaml", str(exc), code="kb.schema")

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

    disease_files: list[DiseaseFile] = []
    for drel in docs.listing("diseases"):
        disease = _validate(DiseaseFile, docs.read(drel), drel, out)
        if disease is None:
            continue
        if disease.id != Path(drel).stem:
            out.error(
                drel,
                f"id {disease.id!r} differs from the file name",
                code="kb.id",
            )
        disease_files.append(disease)

    treatments: dict[str, TreatmentFile] = {}
    for trel in docs.listing("treatments"):
        treatment = _validate(TreatmentFile, docs.read(trel), trel, out)
        if treatment is None:
            continue
        if treatment.id != Path(trel).stem:
            out.error(trel, f"id {treatment.id!r} differs from the file name", code="kb.id")
        treatments[treatment.id] = treatment

    parts = (
        manifest,
        constants,
        features_file,
        priors,
        workup,
        vocabulary,
        staging,
        followup,
        management,
        leaflet,
        category_model,
        leaflet_variants,
        must_not_miss,
    )
    if out.issues or None in parts:
        raise KnowledgeBaseError(f"knowledge base at {root} is invalid", issues=out.issues, path=root)
    assert manifest and constants and features_file and priors and workup and vocabulary
    assert staging and followup and management and leaflet and category_model and leaflet_variants
    assert must_not_miss

    features = _build_features(features_file, vocabulary, out)
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
        references=references,
        units=raw["units.yaml"] or {},
        ranges=raw["reference_ranges.yaml"] or {},
        workup=workup,
        seed_fact_notes=raw["seed_facts.yaml"] or {},
        non_discriminating=features_file.non_discriminating,
        not_scored=features_file.not_scored,
        implies=features_file.implies,
        treatments=treatments,
        staging=staging,
        followup=followup,
        management=management,
        leaflet=leaflet,
        category_model=category_model,
        leaflet_variants=leaflet_variants,
        must_not_miss=must_not_miss,
        out=out,
    )
    if out.issues:
        raise KnowledgeBaseError(f"knowledge base at {root} is inconsistent", issues=out.issues, path=root)
    return kb


def _english_question(template: str, label: str, plural_fr: bool) -> str:
    """The namespace's English question for ``label``, with 'Are there' for a plural noun
    ('Are there palpable nodules?', not 'Is there')."""
    text = template.format(label=english_inline(label))
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
        features[fid] = Feature(
            id=fid,
            namespace=namespace,
            term=derived_term,
            baseline=d.baseline,
            group=fid,
            en=d.en,
            fr=d.fr,
            question_en=own.en if own else d.question_en or f"{d.en}?",
            question_fr=own.fr
            if own
            else d.question_fr or "Existe-t-il {un_label}\u202f?".format(**french_forms(d.fr, d.gender, d.plural)),
            gender=d.gender,
            plural=d.plural,
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


PRESENTATION_NAMESPACES = ("finding", "site", "tissue", "pattern", "distribution", "imaging", "course", "patient")
AGE_BANDS = ("patient:age_under_1", "patient:age_1_to_17", "patient:age_18_to_59", "patient:age_60_plus")


def apply_presentation_floor(freq: np.ndarray, feature_ids: tuple[str, ...], floor: float) -> np.ndarray:
    """Presentation frequencies kept within [floor, 1 - floor] (constants.yaml presentation_floor)."""
    cols = np.array(
        [fid.split(":", 1)[0] in PRESENTATION_NAMESPACES and fid not in AGE_BANDS for fid in feature_ids]
    )  # the age bands are floored and normalised together in _age_bands
    out = freq.copy()
    out[:, cols] = np.clip(out[:, cols], floor, 1 - floor)
    return out


def _age_bands(
    freq: np.ndarray,
    baseline: np.ndarray,
    fpos: Mapping[str, int],
    sources: dict[tuple[int, int], FrequencySource],
    floor: float,
) -> None:
    """Fill the four age-band columns from each diagnosis' infant / child / 60+ frequencies.

    Bands are exclusive (under 1, 1-17, 18-59, 60+), so an age is counted once. What the
    diagnosis does not state (e.g. a 60+ share for a childhood disease that only states its
    under-18 share) is shared in the proportions of the baseline bands; each band is at least
    ``floor`` (atypical ages occur) and the four sum to 1.
    """
    inf, child, old = (fpos["patient:infant"], fpos["patient:child"], fpos["patient:older"])
    cols = [fpos[b] for b in AGE_BANDS]
    base = np.array(
        [baseline[inf], baseline[child] - baseline[inf], 1 - baseline[child] - baseline[old], baseline[old]]
    )
    baseline[cols] = base

    def split(mass: float, idx: list[int]) -> list[float]:
        """Share ``mass`` among the bands ``idx`` in the proportions of the baseline bands."""
        weights = base[idx]
        return list(mass * weights / weights.sum())

    table = np.tile(base, (freq.shape[0], 1))
    for d in range(freq.shape[0]):
        has_i, has_c, has_o = ((d, c) in sources for c in (inf, child, old))
        p_c = freq[d, child] if has_c else None
        p_o = freq[d, old] if has_o else None
        if p_c is None and p_o is None:
            if has_i:  # only the infant share is stated
                table[d] = [freq[d, inf], *split(1 - freq[d, inf], [1, 2, 3])]
            continue
        if p_c is None:  # 60+ stated: the rest among the younger bands
            assert p_o is not None
            under = split(1 - p_o, [0, 1, 2])
            if has_i:
                under = [min(freq[d, inf], 1 - p_o), *split(max(1 - p_o - freq[d, inf], 0), [1, 2])]
            table[d] = [*under, p_o]
            continue
        p_i = freq[d, inf] if has_i else split(p_c, [0, 1])[0]
        if p_o is None:  # under-18 stated: the rest among adults and 60+
            table[d] = [p_i, p_c - p_i, *split(1 - p_c, [2, 3])]
        else:
            table[d] = [p_i, p_c - p_i, 1 - p_c - p_o, p_o]
    table = np.maximum(table, floor)
    table /= table.sum(axis=1, keepdims=True)
    freq[:, cols] = table
    for d in range(freq.shape[0]):
        stated = [(d, c) in sources for c in (inf, child, old)]
        if not any(stated):
            continue
        how = (
            "derived: exclusive age bands (under 1, 1-17, 18-59, 60+) from the age frequencies this diagnosis "
            "states, the unstated rest shared in the proportions of the other causes, each band at least "
            f"{floor:g}, normalised to 1"
        )
        refs = tuple(r for c in (inf, child, old) if (d, c) in sources for r in sources[(d, c)].references)
        for j, c in enumerate(cols):
            sources[(d, c)] = FrequencySource(
                frequency=float(table[d, j]), origin="diagnosis", references=refs, estimate=how, note=None
            )


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
    references: Mapping[str, ReferenceSpec],
    units: Any,
    ranges: Any,
    workup: WorkupFile,
    seed_fact_notes: Any,
    non_discriminating: Mapping[str, str],
    not_scored: Mapping[str, str],
    implies: Mapping[str, list[str]],
    treatments: Mapping[str, TreatmentFile],
    staging: StagingFile,
    followup: FollowupFile,
    management: ManagementFile,
    leaflet: LeafletFile,
    category_model: CategoryModelFile,
    leaflet_variants: LeafletVariantsFile,
    must_not_miss: MustNotMissFile,
    out: _Collector,
) -> KnowledgeBase:
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

    known_ids = {d.id for d in diseases_sorted}

    def check_known(location: str, ids: Any, pool: Collection[str], what: str) -> None:
        for item in ids:
            if item not in pool:
                out.error(
                    location,
                    f"unknown {what} {item!r}",
                    code=f"kb.unknown_{what}",
                    suggestions=closest(item, pool),
                )

    def check_refs(location: str, ids: Any) -> None:
        check_known(location, ids, references, "reference")

    def check_features(location: str, ids: Any) -> None:
        check_known(location, ids, features, "feature")

    def check_diagnoses(location: str, ids: Any) -> None:
        check_known(location, ids, known_ids, "diagnosis")

    check_refs("features.yaml:references", feature_refs)
    check_features("features.yaml:non_discriminating", non_discriminating)
    check_features("features.yaml:not_scored", not_scored)
    check_features("features.yaml:implies", [*implies, *(f for fs in implies.values() for f in fs)])
    check_refs("constants.yaml:thresholds_reference", constants.thresholds_reference)
    check_refs("priors.yaml:references", priors.references)
    check_refs("workup.yaml:references", workup.references)

    for step in workup.steps:
        check_refs(f"workup.yaml:{step.id}", step.references)
        check_features(f"workup.yaml:{step.id}", step.answers)
    for name, cat in categories.items():
        check_refs(f"categories.yaml:{name}.references", cat.references)
        check_features(f"categories.yaml:{name}.defaults", cat.defaults)

    for tid, t in treatments.items():
        loc = f"treatments/{tid}.yaml"
        check_refs(f"{loc}:references", t.references)
        for i, ind in enumerate(t.indications):
            check_diagnoses(f"{loc}:indications[{i}]", ind.diagnoses)
            check_features(f"{loc}:indications[{i}]", ind.features)
        for i, caution in enumerate(t.cautions):
            check_features(f"{loc}:cautions[{i}]", caution.when)
            check_refs(f"{loc}:cautions[{i}]", caution.references)
        check_refs(f"{loc}:evidence", [e.reference for e in t.evidence])
        for i, e in enumerate(t.evidence):
            check_diagnoses(f"{loc}:evidence[{i}]", e.diagnoses)
    check_diagnoses("staging.yaml:relevant_when", staging.relevant_when.diagnoses)
    check_features("staging.yaml:relevant_when", staging.relevant_when.features)
    check_refs("staging.yaml:porter", staging.porter.references)
    check_refs("staging.yaml:ceap", staging.ceap.references)
    for st in staging.porter.stages:
        check_features(f"staging.yaml:porter.stage{st.stage}", [c.feature for c in st.criteria])
    for cl in staging.ceap.classes:
        check_features(f"staging.yaml:ceap.{cl.class_}", [c.feature for c in cl.criteria])
    check_features("staging.yaml:ceap.symptomatic_features", staging.ceap.symptomatic_features)
    check_refs("followup.yaml:references", followup.references)
    items: list[FollowupItem | WarningSign] = [*followup.schedule, *followup.warning_signs]
    items += [i for group in followup.by_category.values() for i in group]
    for item in items:
        check_refs(f"followup.yaml:{item.id}", item.references)

    check_refs("category_model.yaml:references", category_model.references)
    for cname, cprior in category_model.priors.items():
        check_refs(f"category_model.yaml:priors.{cname}", cprior.references)
    for rule in category_model.rules:
        where = f"category_model.yaml:rules.{rule.id}"
        check_refs(where, rule.references)
        check_features(where, [*rule.any_of, *rule.with_any_of, *rule.normal_when_measured])
        check_known(where, [f"exposure:{k}" for k in rule.window_days], rule.any_of, "windowed exposure")
    check_refs("leaflet.yaml:references", leaflet.references)
    check_refs("leaflet_by_condition.yaml:references", leaflet_variants.references)
    check_refs("must_not_miss.yaml:references", must_not_miss.references)
    check_diagnoses("must_not_miss.yaml:diagnoses", must_not_miss.diagnoses)
    section_ids = {sec.id for sec in leaflet.sections}
    for i, variant in enumerate(leaflet_variants.variants):
        where = f"leaflet_by_condition.yaml:variants[{i}]"
        check_refs(where, variant.references)
        check_diagnoses(where, variant.diagnoses)
        check_known(where, [variant.section], section_ids, "leaflet section")
    check_refs("management.yaml:references", management.references)
    for statement in management.statements:
        where = f"management.yaml:{statement.id}"
        check_refs(where, statement.references)
        check_diagnoses(where, statement.when.diagnoses)
        check_features(where, statement.when.features)

    n_d = len(diseases_sorted)
    baseline = np.array([features[fid].baseline for fid in feature_ids], dtype=np.float64)
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
        findings: dict[str, Any] = {}
        for i, f in enumerate(d.findings):
            floc = f"{loc}:findings[{i}]"
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
            check_refs(floc, f.references)
            findings[f.feature] = f
            freq[di, fpos[f.feature]] = f.frequency
            sources[(di, fpos[f.feature])] = FrequencySource(
                frequency=f.frequency,
                origin="diagnosis",
                references=tuple(f.references),
                estimate=f.estimate,
                note=f.note,
            )
        for step in d.workup:
            check_refs(f"{loc}:workup.{step.id}", step.references)
            check_features(f"{loc}:workup.{step.id}", step.answers)
        check_features(f"{loc}:irrelevant", d.irrelevant)
        if d.defining is not None:
            check_features(f"{loc}:defining", d.defining.any_of)
            check_refs(f"{loc}:defining", d.defining.references)
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
                prior=float(priors.priors.get(d.id, 1e-4)),
                last_reviewed=d.last_reviewed.isoformat(),
                defining=d.defining,
                irrelevant=dict(d.irrelevant),
            )
        )
    freq = np.clip(freq, floor, ceiling)
    _age_bands(freq, baseline, fpos, sources, constants.presentation_floor.value)
    freq = apply_presentation_floor(freq, feature_ids, constants.presentation_floor.value)
    prior = np.array([d.prior for d in diseases], dtype=np.float64)
    prior = prior / prior.sum() if prior.sum() > 0 else prior
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
        references=dict(references),
        units=units,
        reference_ranges=ranges,
        workup=workup,
        seed_fact_notes=seed_fact_notes,
        non_discriminating=dict(non_discriminating),
        not_scored=np.array([fid in not_scored for fid in feature_ids], dtype=bool),
        implies={k: tuple(v) for k, v in implies.items()},
        treatments=dict(treatments),
        staging=staging,
        followup=followup,
        management=management,
        leaflet=leaflet,
        frequency=freq,
        log_present=np.log(freq),
        log_absent=np.log1p(-freq),
        baseline=baseline,
        log_prior=np.log(np.maximum(prior, math.ulp(1.0))),
        group_index=np.array([gpos[features[fid].group] for fid in feature_ids], dtype=np.int64),
        group_names=group_names,
        category_model=category_model,
        leaflet_variants=leaflet_variants,
        must_not_miss=dict(must_not_miss.diagnoses),
        must_not_miss_threshold=must_not_miss.threshold,
        category_names=category_names,
        disease_category=disease_category,
        log_category_prior=np.log(np.array([category_model.priors[c].value for c in category_names])),
        log_prior_within=np.log(np.maximum(within, math.ulp(1.0))),
        askable=np.array([not fid.startswith(("patient:", "distribution:")) for fid in feature_ids], dtype=bool),
        _feature_pos=fpos,
        _disease_pos={d.id: i for i, d in enumerate(diseases)},
        _sources=sources,
    )
