"""Turn a case into feature observations: present, absent, or (by default) unreported.

This is where "missing means not reported, never absent" is enforced: a feature is absent
only when the case says so (the ``absent`` list, a negative test, a measured normal value,
a reported site list that leaves the site out, a reported distribution or age). The rules
are listed in docs/authoring-knowledge.md, "Features".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from calcinosis.case.labs import LabPanel, LabReading, LabSummary, lab_label, number, with_unit
from calcinosis.case.model import Case
from calcinosis.engine.tables import tables
from calcinosis.i18n import inline, lower_first, message
from calcinosis.issues import Issue, IssueLevel
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "ABSENCE_ONLY_FROM_ASSAY",
    "ABSENT_IF",
    "DERANGED_FEATURES",
    "DISTRIBUTION_ORDER",
    "OPPOSITE",
    "PAIRED_TESTS",
    "Evidence",
    "Observation",
    "age_features",
    "collect_evidence",
    "duration_spans",
]

Flag = TypeVar("Flag", bool, np.ndarray)  # one case's flag, or a cohort's column of them

# lab feature -> (tests in order of preference, status that makes it present)
LAB_FEATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "lab:calcium_high": (("ionized_calcium", "corrected_calcium", "calcium"), "high"),
    "lab:calcium_low": (("ionized_calcium", "corrected_calcium", "calcium"), "low"),
    "lab:phosphate_high": (("phosphate",), "high"),
    "lab:phosphate_low": (("phosphate",), "low"),
    "lab:pth_high": (("pth",), "high"),
    "lab:pth_low": (("pth",), "low"),
    "lab:vitamin_d_25oh_high": (("vitamin_d_25oh",), "high"),
    "lab:vitamin_d_25oh_low": (("vitamin_d_25oh",), "low"),
    "lab:vitamin_d_1_25_high": (("vitamin_d_1_25",), "high"),
    "lab:alkaline_phosphatase_high": (("alkaline_phosphatase",), "high"),
    "lab:ck_high": (("ck",), "high"),
    "lab:fgf23_high": (("fgf23",), "high"),
    "lab:crp_high": (("crp",), "high"),
    "lab:esr_high": (("esr",), "high"),
    "lab:uric_acid_high": (("uric_acid",), "high"),
    "lab:ferritin_high": (("ferritin",), "high"),
    "lab:transferrin_saturation_high": (("transferrin_saturation",), "high"),
    "lab:eosinophilia": (("eosinophils",), "high"),
    "lab:pthrp_high": (("pthrp",), "high"),
    "lab:ace_high": (("ace",), "high"),
    "lab:inr_high": (("inr",), "high"),
    "lab:magnesium_low": (("magnesium",), "low"),
    "lab:urine_calcium_high": (("urine_calcium_24h",), "high"),
    "lab:tmp_gfr_high": (("tmp_gfr",), "high"),
    "lab:bicarbonate_high": (("bicarbonate",), "high"),
    "lab:amylase_high": (("amylase",), "high"),
    "lab:lipase_high": (("lipase",), "high"),
    "lab:wbc_high": (("wbc",), "high"),
    "lab:urea_high": (("urea",), "high"),
    "lab:albumin_low": (("albumin",), "low"),
}
ABSENT_IF = {"high": ("normal", "low", "not_high"), "low": ("normal", "high", "not_low")}
# A feature whose absence only one assay can establish: in hyperphosphataemic tumoral calcinosis
# (GALNT3, FGF23 variants) intact FGF23 is low or normal while C-terminal FGF23 is high (Boyce
# 2020, Front Endocrinol 11:293): a normal intact FGF23 says nothing against raised FGF23 activity.
ABSENCE_ONLY_FROM_ASSAY = {"lab:fgf23_high": "c_terminal"}
OPPOSITE = {"high": "low", "low": "high"}
# Tests read by both a _high and a _low feature: a low reading sets only the _low feature present;
# "not high" is implied by it and setting it as well would count one measurement twice.
PAIRED_TESTS: dict[tuple[str, ...], set[str]] = {}
for _tests, _state in LAB_FEATURES.values():
    PAIRED_TESTS.setdefault(_tests, set()).add(_state)
DERANGED_FEATURES = (
    "lab:calcium_high",
    "lab:phosphate_high",
    "lab:calcium_phosphate_product_high",
    "condition:hypercalcemia_known",
    "condition:hyperphosphatemia_known",
)
"""The phospho-calcic work-up is deranged when one of these is present (seed 001's rule)."""
DISTRIBUTION_ORDER = ("single", "multiple_localized", "regional", "widespread")

_LAB_ITEMS = tuple(LAB_FEATURES.items())
_LAB_ITEMS_BY_TEST: dict[str, tuple[int, ...]] = {}
"""Test -> the lab features reading it (their places in LAB_FEATURES): a case reports a few of
the tests, and most cases none, so only the features that can read one of them are gone through."""
for _k, (_tests, _state) in enumerate(LAB_FEATURES.values()):
    for _test in _tests:
        _LAB_ITEMS_BY_TEST[_test] = (*_LAB_ITEMS_BY_TEST.get(_test, ()), _k)


@dataclass(slots=True)
class Observation:
    """One feature as the case reports it, and which inputs say so.

    A plain dataclass, not a pydantic model: a case sets dozens of these and a cohort millions,
    always from validated inputs (constructing a model was most of the cost of reading a case)."""

    feature: str
    present: bool
    basis: list[str]
    implied: bool = False  # implied by a stronger observation of the same measurement: read, not scored
    closed_world: bool = False  # a site absent only because the reported sites leave it out


@dataclass(slots=True)
class Evidence:
    """All observed features of a case (unreported ones are simply not here).

    A plain dataclass, not a pydantic model: the engine builds it from validated inputs and
    never validates nor serialises it, and defining a model class cost about 4 ms of every
    start of the command line (issue #17)."""

    observations: dict[str, Observation] = field(default_factory=dict)
    warnings: list[Issue] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    lang: str = "en"  # language of the bases and warnings (the observations themselves have none)

    def present(self, feature: str) -> bool:
        """Whether ``feature`` is reported present (an unreported or denied one is not): the one
        reading that management, staging, the category step and the emergencies share."""
        obs = self.observations.get(feature)
        return obs is not None and obs.present

    def present_features(self) -> frozenset[str]:
        """Every feature reported present (a follow-up check's or a warning sign's ``when``)."""
        return frozenset(f for f, o in self.observations.items() if o.present)

    def set(
        self, feature: str, present: bool, basis: str, *, implied: bool = False, closed_world: bool = False
    ) -> None:
        """Record an observation; a later contradictory one is reported, not silently merged.

        ``implied`` marks a state that a stronger reading of the same measurement already
        carries (eGFR below 60 when it is below 15): management reads it, scoring does not
        count it twice. A direct observation of the same state clears the mark.
        """
        current = self.observations.get(feature)
        if current is None:
            self.observations[feature] = Observation(feature, present, [basis], implied, closed_world)
        elif current.present == present:
            if basis not in current.basis:
                current.basis.append(basis)
            current.implied = current.implied and implied
            current.closed_world = current.closed_world and closed_world
        else:
            current.basis.append(basis)
            if feature not in self.conflicts:
                self.conflicts.append(feature)


def duration_spans(long: Flag, recent: Flag) -> tuple[tuple[str, Flag], ...]:
    """The three spans of duration_months (under 3 months, 3 to 12, 12 or more) and which holds,
    for one case (bools) or a cohort (boolean arrays, batch/columnar.py). Both ends never hold
    together, so the middle holds where they are equal (both false)."""
    return (
        ("course:long_standing", long),
        ("course:intermediate_duration", long == recent),
        ("course:recent_onset", recent),
    )


def _term(kb: KnowledgeBase, list_name: str, term: str, lang: str) -> str:
    """A term as an input echo: its id in English, its French label (inside a sentence) in French."""
    return lower_first(kb.vocabulary.label(list_name, term, "fr")) if lang == "fr" else term


def _status(status: str, lang: str) -> str:
    return message(f"lab_status_{status}", lang)


def _lab_basis(test: str, summary: LabSummary, kb: KnowledgeBase, lang: str) -> tuple[LabReading, str]:
    """The reading that drives ``test`` and the basis that names it: where it was entered, its
    value and unit (an interpretation entered without a value is the status itself), its status
    and the reference it was read against."""
    driving = next((r for r in summary.readings if r.index == summary.driving_index), summary.readings[0])
    shown = " " + with_unit(number(driving.value, lang), driving.unit) if driving.value is not None else ""
    where = (
        f"labs[{driving.index}] {lab_label(kb, test, lang)}"
        if driving.index >= 0
        else message(f"lab_derived_{test}", lang)
    )
    qual = f" {driving.qualifier}" if driving.qualifier else ""
    basis = message(
        "basis_lab",
        lang,
        where=where,
        value=f"{qual}{shown}",
        status=_status(summary.status, lang),
        reference=driving.reference,
    )
    return driving, basis


def _acute_rise(ev: Evidence, creat: LabSummary) -> bool:
    """Whether a raised creatinine is that of an acute kidney injury the case reports: not a
    chronic kidney function below 60 (the estimating equations need a steady state, KDIGO 2012;
    a creatinine raised in sepsis counted for a CKD-mineral and bone disorder: a clinical
    review). The injury is the case's own feature; ``case/labs.py`` computes no eGFR from it."""
    return creat.status == "high" and ev.present("condition:acute_kidney_injury")


def _lab_observations(ev: Evidence, panel: LabPanel, kb: KnowledgeBase) -> None:
    lang = ev.lang
    # the features that can read one of the panel's tests, in LAB_FEATURES order (the others
    # would find none of their tests, and set nothing)
    candidates = sorted({k for test in panel.tests for k in _LAB_ITEMS_BY_TEST.get(test, ())})
    bases: dict[str, tuple[LabReading, str]] = {}  # a test read by two features (high, low) is written once
    for k in candidates:
        feature, (tests, wanted) = _LAB_ITEMS[k]
        for test in tests:
            summary = panel.tests.get(test)
            if summary is None or summary.status == "unknown":
                continue
            found = bases.get(test)
            if found is None:
                found = bases[test] = _lab_basis(test, summary, kb, lang)
            driving, basis = found
            paired = OPPOSITE[wanted] in PAIRED_TESTS[tests]
            if summary.status == wanted:
                ev.set(feature, True, basis)
            elif summary.status in ABSENT_IF[wanted] and not (paired and summary.status == OPPOSITE[wanted]):
                assay = ABSENCE_ONLY_FROM_ASSAY.get(feature)
                if assay is None or driving.assay == assay:
                    ev.set(feature, False, basis)
            break
    # kidney function: eGFR (entered or computed) first, else creatinine
    egfr = panel.tests.get("egfr")
    creat = panel.tests.get("creatinine")
    reduced, failure = kb.threshold("egfr_reduced"), kb.threshold("egfr_failure")
    if egfr is not None and egfr.readings[0].value_si is not None:
        value = min(r.value_si for r in egfr.readings if r.value_si is not None)
        index = egfr.readings[0].index
        src = message("basis_egfr_derived", lang) if index < 0 else f"labs[{index}] {lab_label(kb, 'egfr', lang)}"
        basis = message("basis_egfr", lang, source=src, value=number(value, lang))
        # one measurement, one likelihood: below 15 implies below 60 (read, not scored twice)
        ev.set("lab:egfr_below_60", value < reduced, basis, implied=value < failure)
        ev.set("lab:egfr_below_15", value < failure, basis)
    elif egfr is not None and egfr.status in ("low", "normal"):
        where = f"labs[{egfr.readings[0].index}] {lab_label(kb, 'egfr', lang)}"
        ev.set(
            "lab:egfr_below_60",
            egfr.status == "low",
            message(
                "basis_lab_status",
                lang,
                where=where,
                status=egfr.status if lang == "en" else _status(egfr.status, lang),
            ),
        )
        if egfr.status == "normal":
            ev.set(
                "lab:egfr_below_15",
                False,
                message(
                    "basis_lab_status", lang, where=where, status="normal" if lang == "en" else _status("normal", lang)
                ),
            )
    elif creat is not None and creat.status in ("high", "normal", "low", "not_high") and not _acute_rise(ev, creat):
        r = creat.readings[0]
        shown = with_unit(number(r.value, lang), r.unit) if r.value is not None else _status(creat.status, lang)
        index = creat.driving_index if creat.driving_index is not None else r.index
        basis = message(
            "basis_lab_status",
            lang,
            where=f"labs[{index}] {lab_label(kb, 'creatinine', lang)} {shown}",
            status=creat.status if lang == "en" else _status(creat.status, lang),
        )
        ev.set("lab:egfr_below_60", creat.status == "high", basis)
        if creat.status != "high":
            ev.set("lab:egfr_below_15", False, basis)
    product = panel.derived_value("calcium_phosphate_product")
    if product is not None:
        limit = kb.threshold("calcium_phosphate_product_mg2_dl2")
        ev.set(
            "lab:calcium_phosphate_product_high",
            product > limit,
            message("basis_product", lang, value=number(product, lang), limit=number(limit, lang)),
        )


UNLISTED_KEPT = 4096
"""At most this many site lists are remembered per knowledge base (a few hundred bytes each)."""


def _unlisted_sites(kb: KnowledgeBase, reported: frozenset[str]) -> tuple[str, ...]:
    """The features of the sites a reported site list leaves out (neither above nor below a
    reported site), in vocabulary order: the same for every case reporting these sites, so
    worked out once per knowledge base and site list."""
    t = tables(kb)
    kept: dict[frozenset[str], tuple[str, ...]] | None = t.texts.get(("unlisted_sites",))
    if kept is None:
        kept = t.texts[("unlisted_sites",)] = {}
    found = kept.get(reported)
    if found is None:
        related = set().union(*(kb.vocabulary.related_sites(r) for r in reported))
        found = tuple(fid for s, fid in t.sites if s not in related)
        if len(kept) < UNLISTED_KEPT:
            kept[reported] = found
    return found


def age_features(age: float, kb: KnowledgeBase) -> dict[str, bool]:
    """The features an age sets, each present or absent: the coarse ones (infant, child, older)
    and the age band it falls in (one definition for the evidence and for what an output writes
    for a child: must_not_miss.yaml for_patients)."""
    band = next(b.feature for b in kb.age_bands if age < b.high)  # the oldest is open: always found
    return {
        "patient:infant": age < kb.threshold("infant_age_years"),
        "patient:child": age < kb.threshold("child_age_years"),
        "patient:older": age >= kb.threshold("older_age_years"),
        band: True,
    }


def collect_evidence(case: Case, panel: LabPanel, kb: KnowledgeBase, *, lang: str = "en") -> Evidence:
    """Observed features of ``case``, with the input behind each one and consistency warnings.

    The bases (``history[2] dialysis``) and warnings are written in ``lang``: input paths stay
    as in the case file, the words around them are translated, a term is shown by its label.
    """
    ev = Evidence(lang=lang)
    vocab = kb.vocabulary
    for repeat in case.repeats:  # merged by the reader, said here (a hostile-input audit)
        term = _term(kb, repeat.list_name, repeat.term, lang)
        said = message("warn_repeated", lang, term=term, first=repeat.first)
        ev.warnings.append(Issue.warning("case.repeated", said, repeat.location))
    for i, term in enumerate(case.history):
        ev.set(f"condition:{term}", True, f"history[{i}] {_term(kb, 'conditions', term, lang)}")
    for i, term in enumerate(case.exposures):
        ev.set(f"exposure:{term}", True, f"exposures[{i}] {_term(kb, 'exposures', term, lang)}")
    for i, term in enumerate(case.findings):
        ev.set(f"finding:{term}", True, f"findings[{i}] {_term(kb, 'findings', term, lang)}")
    for key in case.onset_days_after:
        namespace = "exposure" if key in vocab.lists["exposures"] else "condition"
        if f"{namespace}:{key}" not in ev.observations:
            listed_in = "exposures" if namespace == "exposure" else "history"
            ev.warnings.append(
                Issue.warning(
                    "case.onset_implies_exposure",
                    message("warn_onset_implies", lang, key=repr(key), listed_in=listed_in),
                    f"onset_days_after.{key}",
                )
            )
            ev.set(f"{namespace}:{key}", True, f"onset_days_after.{key}")
    for i, term in enumerate(case.absent):
        for namespace, list_name in (
            ("finding", "findings"),
            ("condition", "conditions"),
            ("exposure", "exposures"),
        ):
            if term in vocab.lists[list_name]:
                ev.set(f"{namespace}:{term}", False, f"absent[{i}] {_term(kb, list_name, term, lang)}")
                break

    # sites: reported ones and their ancestors are present, the ancestors implied (a thigh lesion
    # is one of the lower limb: read, scored once, as the thigh; the knowledge holds the lower
    # limb at least as frequent, kb/loader.py); with a reported site list, the sites neither
    # above nor below a reported one are absent
    # an imaging entry measured by calcinosis names its study in the basis of each of its items
    measured = [
        "" if img.measured is None else " " + message("basis_measured", lang, study=img.measured.study)
        for img in case.imaging
    ]
    reported: dict[str, str] = {}
    for i, s in enumerate(case.sites):
        reported.setdefault(s, f"sites[{i}] {_term(kb, 'sites', s, lang)}")
    for j, img in enumerate(case.imaging):
        for i, s in enumerate(img.sites):
            reported.setdefault(s, f"imaging[{j}].sites[{i}] {_term(kb, 'sites', s, lang)}{measured[j]}")
    if reported:
        for s, basis in reported.items():
            ev.set(f"site:{s}", True, basis)
            for anc in vocab.site_ancestors(s):
                ev.set(f"site:{anc}", True, basis, implied=True)
        if "generalized" not in reported:
            listed = ", ".join(_term(kb, "sites", r, lang) for r in reported)
            unlisted = message("basis_unlisted_site", lang, listed=listed)
            observations = ev.observations
            for fid in _unlisted_sites(kb, frozenset(reported)):
                if fid in observations:  # never so far: kept for a future rule that sets sites first
                    ev.set(fid, False, unlisted, closed_world=True)
                else:  # what ev.set does for a new observation, for the dozens a site list leaves out
                    observations[fid] = Observation(fid, False, [unlisted], False, True)

    widest: tuple[int, str] | None = None
    for j, img in enumerate(case.imaging):
        for i, t in enumerate(img.tissues):
            ev.set(f"tissue:{t}", True, f"imaging[{j}].tissues[{i}] {_term(kb, 'tissues', t, lang)}{measured[j]}")
        for i, p in enumerate(img.patterns):
            ev.set(f"pattern:{p}", True, f"imaging[{j}].patterns[{i}] {_term(kb, 'patterns', p, lang)}{measured[j]}")
        if img.distribution is not None:
            rank = DISTRIBUTION_ORDER.index(img.distribution)
            if widest is None or rank > widest[0]:
                widest = (
                    rank,
                    f"imaging[{j}].distribution {_term(kb, 'distributions', img.distribution, lang)}{measured[j]}",
                )
        for flag in ("symmetric", "bone_destruction", "uptake", "along_muscle_fibers"):
            value = getattr(img, flag)
            if value is True:
                ev.set(f"imaging:{flag}", True, f"imaging[{j}].{flag} {message('value_true', lang)}{measured[j]}")
            elif value is False and not any(getattr(o, flag) is True for o in case.imaging):
                ev.set(f"imaging:{flag}", False, f"imaging[{j}].{flag} {message('value_false', lang)}{measured[j]}")
    if widest is not None:  # one extent reported: the others are read absent, scored once if exclusive
        for rank, name in enumerate(DISTRIBUTION_ORDER):
            fid = f"distribution:{name}"
            ev.set(fid, rank == widest[0], widest[1], implied=rank != widest[0] and fid in kb.exclusive)
    sizes = [(img.size_cm, j) for j, img in enumerate(case.imaging) if img.size_cm is not None]
    if sizes:
        size, j = max(sizes)
        limit = kb.threshold("large_deposit_cm")
        ev.set(
            "imaging:large_deposit",
            size >= limit,
            message(
                "basis_size",
                lang,
                where=f"imaging[{j}].size_cm",
                size=number(size, lang),
                limit=number(limit, lang),
            )
            + measured[j],
        )

    for i, ab in enumerate(case.antibodies):
        ev.set(
            f"antibody:{ab.name}",
            ab.result == "positive",
            f"antibodies[{i}] {_term(kb, 'antibodies', ab.name, lang)} {message(f'antibody_{ab.result}', lang)}",
        )
    for i, g in enumerate(case.genetics):
        ev.set(
            f"gene:{g.gene}",
            g.result == "pathogenic_variant",
            f"genetics[{i}] {_term(kb, 'genetics', g.gene, lang)} {message(f'gene_{g.result}', lang)}",
        )

    pt = case.patient
    if pt.sex in ("female", "male"):
        ev.set("patient:female", pt.sex == "female", f"patient.sex {_term(kb, 'sexes', pt.sex, lang)}")
    age_basis = f"patient.age {number(pt.age, lang)}"
    for fid, present in age_features(pt.age, kb).items():
        ev.set(fid, present, age_basis)
    if pt.postmenopausal is not None:
        ev.set(
            "patient:postmenopausal",
            pt.postmenopausal,
            f"patient.postmenopausal {message('value_true' if pt.postmenopausal else 'value_false', lang)}",
        )
    elif pt.sex == "male":  # read, not scored: the sex already says it (a man's LR for it is 1)
        ev.set("patient:postmenopausal", False, f"patient.sex {_term(kb, 'sexes', 'male', lang)}", implied=True)

    if case.duration_months is not None:
        d = case.duration_months
        basis = f"duration_months {number(d, lang)}"
        long, recent = d >= kb.threshold("long_standing_months"), d < kb.threshold("recent_onset_months")
        for fid, present in duration_spans(long, recent):  # one span: the others read, scored once if exclusive
            ev.set(fid, present, basis, implied=not present and fid in kb.exclusive)
    elif pt.age * 12 < kb.threshold("recent_onset_months"):
        # a baby younger than the recent-onset span has had its lesions for less: read, not scored
        # (a 7-day-old was asked whether its lesions were under 3 months old)
        for fid, present in duration_spans(False, True):
            ev.set(fid, present, age_basis, implied=True)
    if case.onset_days_after:
        key, days = min(case.onset_days_after.items(), key=lambda kv: kv[1])
        limit = kb.threshold("onset_soon_after_days")
        ev.set(
            "course:onset_soon_after",
            days <= limit,
            message(
                "basis_days", lang, where=f"onset_days_after.{key}", days=number(days, lang), limit=number(limit, lang)
            ),
        )

    _lab_observations(ev, panel, kb)

    # what a reported feature implies (features.yaml implies): read, never scored twice
    for fid, implied in kb.implies.items():
        obs = ev.observations.get(fid)
        if obs is not None and obs.present:
            for other in implied:
                if other not in ev.observations:
                    ev.set(other, True, message("basis_implied", lang, basis=obs.basis[0]), implied=True)

    # contradictions: a feature both present and absent is reported and set aside
    for fid in ev.conflicts:
        obs = ev.observations.pop(fid)
        ev.warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="case.contradiction",
                message=message(
                    "warn_contradiction",
                    lang,
                    feature=fid if lang == "en" else kb.features[fid].label(lang),
                    bases=message("list_separator", lang).join(obs.basis),
                ),
                location=obs.basis[0].split(" ")[0],
            )
        )
    # a treatment given for an indication the case states (a transplant's immunosuppressants):
    # read, not scored for the other diseases it is given for (features.yaml explained_by)
    for fid, explainers in kb.explained_by.items():
        obs = ev.observations.get(fid)
        if obs is None or not obs.present or obs.implied:
            continue
        why = next((b for b in explainers if b in ev.observations and ev.observations[b].present), None)
        if why is not None:
            obs.implied = True
            obs.basis.append(message("basis_explained", lang, basis=ev.observations[why].basis[0]))
            # the indication by its name, not its path in the case file ('history[0] greffe rénale')
            indication = kb.features[why].label(lang)
            indication = inline(indication, lang)  # inside a French sentence
            said = message("warn_explained", lang, feature=kb.features[fid].label(lang), basis=indication)
            ev.warnings.append(Issue.warning("case.not_scored", said, obs.basis[0].split(" ")[0]))
    if "pregnancy" in case.history and (pt.sex == "male" or not 9 <= pt.age <= 60):
        ev.warnings.append(
            Issue.warning(
                "case.implausible",
                message("warn_pregnancy", lang, sex=_term(kb, "sexes", pt.sex, lang), age=number(pt.age, lang)),
                "history",
            )
        )
    if pt.postmenopausal and (pt.sex == "male" or pt.age < 30):
        ev.warnings.append(
            Issue(
                level=IssueLevel.WARNING,
                code="case.implausible",
                message=message(
                    "warn_postmenopausal", lang, sex=_term(kb, "sexes", pt.sex, lang), age=number(pt.age, lang)
                ),
                location="patient.postmenopausal",
            )
        )
    return ev
