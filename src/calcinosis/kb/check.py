"""``calcinosis kb check``: lint the knowledge base beyond what loading already enforces.

Loading guarantees schemas, known ids, frequency ranges and sources. The checks here look at
the whole: every feature used by some diagnosis or declared non-discriminating, every seed
fact held somewhere, priors that add up, and what is an estimate rather than a citation.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.loader import AGE_BANDS
from calcinosis.kb.model import Disease, KnowledgeBase

__all__ = ["check_kb", "find_seed_facts", "seed_fact_coverage"]

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
"""A feature that at least half the diagnoses of a category state (categories of 3 or more)
must be stated by every diagnosis of that category, or declared irrelevant with a reason: a
diagnosis that says nothing gets LR 1 and beats one that states a low frequency."""


SILENT_GAP_LEVEL = IssueLevel.ERROR


def silent_gaps(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(diagnosis, feature) pairs where the diagnosis is silent on a feature its category mostly states."""
    by_category: dict[str, list[Disease]] = {}
    for d in kb.diseases:
        by_category.setdefault(d.category, []).append(d)
    gaps = []
    for members in by_category.values():
        if len(members) < 3:
            continue
        counts: dict[str, int] = {}
        for d in members:
            for fid in d.findings:
                counts[fid] = counts.get(fid, 0) + 1
        common = sorted(f for f, n in counts.items() if n / len(members) >= SILENT_GAP_SHARE)
        for d in members:
            gaps += [(d.id, f) for f in common if f not in d.findings and f not in (d.irrelevant or {})]
    return gaps


def basis_counts(kb: KnowledgeBase) -> dict[str, int]:
    """How many frequencies are reported, derived, judgement (or not yet labelled)."""
    counts = {"reported": 0, "derived": 0, "judgement": 0, "none": 0}
    for d in kb.diseases:
        for f in d.findings.values():
            counts[f.basis or "none"] += 1
    return counts


def check_kb(kb: KnowledgeBase, *, seed_facts: Path | None = None) -> list[Issue]:
    """All lint findings for ``kb`` (errors fail ``calcinosis kb check``)."""
    issues: list[Issue] = []

    def add(level: IssueLevel, code: str, message: str, location: str = "") -> None:
        issues.append(Issue(level=level, code=code, message=message, location=location))

    used: set[str] = set()
    for d in kb.diseases:
        used.update(d.findings)
    for cat in kb.categories.values():
        used.update(cat.defaults)
    used.update(AGE_BANDS)  # derived for every diagnosis from its age frequencies
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
        n_est = sum(1 for f in d.findings.values() if f.estimate)
        if not d.seed_facts:
            add(
                IssueLevel.WARNING,
                "kb.no_seed_facts",
                f"{d.id} lists no seed facts",
                f"diseases/{d.id}.yaml",
            )
        for fid, f in d.findings.items():
            if f.estimate and not f.references and len(f.estimate) < 40:
                add(
                    IssueLevel.WARNING,
                    "kb.thin_estimate",
                    f"{d.id}: {fid} is an estimate with a one-line reason ({f.estimate!r}); give the reasoning or a source",
                    f"diseases/{d.id}.yaml",
                )
        if n_est == len(d.findings) and len(d.findings) > 0:
            add(
                IssueLevel.WARNING,
                "kb.all_estimates",
                f"{d.id}: all {n_est} frequencies are estimates",
                f"diseases/{d.id}.yaml",
            )
        if d.defining is None:
            add(
                IssueLevel.ERROR,
                "kb.defining_missing",
                f"{d.id} declares no defining features (defining: any_of, unreported_probability, basis, reasoning)",
                f"diseases/{d.id}.yaml",
            )
        for fid, f in d.findings.items():
            if f.basis is None:
                add(
                    IssueLevel.ERROR,
                    "kb.basis_missing",
                    f"{d.id}: the frequency of {fid} has no basis (reported, derived or judgement)",
                    f"diseases/{d.id}.yaml",
                )
    for did, fid in silent_gaps(kb):
        add(
            SILENT_GAP_LEVEL,
            "kb.silent_gap",
            f"{did}: most diagnoses of its category state {fid}; state it too, or declare it under irrelevant with the reason",
            f"diseases/{did}.yaml",
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
    return issues
