"""The work-up still missing: general steps of workup.yaml, then diagnosis-specific steps of the
diagnoses at the top of the differential, each only when the case does not already answer it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from calcinosis.case.model import Case
from calcinosis.engine.defining import unconfirmed
from calcinosis.engine.evidence import LAB_FEATURES, Evidence
from calcinosis.engine.results import WorkupItem, WorkupLeftOut, built
from calcinosis.engine.scoring import Scores
from calcinosis.engine.tables import TEXTS_KEPT, tables
from calcinosis.i18n import inline, lower_first, message, percent
from calcinosis.kb.model import Disease, KnowledgeBase
from calcinosis.kb.schema import WORKUP_FEATURE_CONDITIONS, WorkupPart, WorkupStep

__all__ = [
    "BREAST_SKIN_STEP",
    "BREAST_STEP",
    "DEEP_MASS_STEP",
    "FOP_STEP",
    "GROWTH_STEP",
    "HOLDS",
    "PANEL_LEFT_OUT",
    "Hold",
    "in_the_organs",
    "metabolic_mass",
    "missing_workup",
]

DEEP_MASS_STEP = "biopsy_deep_mass"
"""The work-up step (workup.yaml) that refers a deep mass of unestablished cause to a sarcoma
centre: management holds procedures on the mass while it is listed."""

FOP_STEP = "fop_great_toes_child"
"""The work-up step (workup.yaml) that asks to look at a child's big toes before any procedure:
management holds procedures on the mass while it is listed, and the leaflet says so."""

BREAST_STEP = "breast_lump_cancer_pathway"
"""The work-up step (workup.yaml) that refers an unexplained breast or axillary lump from 30 years
to a breast clinic first (NICE NG12)."""

BREAST_SKIN_STEP = "breast_skin_change_cancer"
"""The work-up step (workup.yaml) that excludes a breast carcinoma by imaging and biopsy before any
excision or debridement of a breast lesion with skin change, whatever leads (a calciphylaxis of the
breast mimics an inflammatory carcinoma)."""

GROWTH_STEP = "growing_mass_bone_destruction"
"""The work-up step (workup.yaml) that refers a growing mass destroying bone to a sarcoma centre,
whatever the leading diagnosis."""


@dataclass(frozen=True)
class Hold:
    """What a listed work-up step holds, as each reader says it (messages.yaml keys): every
    procedure on the mass waits for it. One table for management, the work-up and the leaflet (a
    code review found them in three, and a step added to one never reached the others)."""

    manage: str  # the options' wait note and the principle
    workup: str  # appended to the work-up's own steps into the mass
    leaflet: str  # the leaflet's treatment section
    references: tuple[str, ...]
    # the principle's first words, what waits: 'no biopsy ... yet' before a hold whose own step
    # is a biopsy read as a contradiction (a French clinical review: a breast necrosis read 'No
    # biopsy ... Not before a carcinoma has been excluded by ... a biopsy')
    held: str = "procedures_held"


HOLDS = {
    FOP_STEP: Hold("fop_hold", "workup_fop_hold", "leaflet_fop_first", ("genereviews_fop",)),
    GROWTH_STEP: Hold("growth_hold", "workup_growth_hold", "leaflet_exclude_first", ("esmo_sts2018",)),
    BREAST_STEP: Hold("breast_hold", "workup_breast_hold", "leaflet_breast_first", ("nice_ng12",)),
    BREAST_SKIN_STEP: Hold(
        "breast_skin_hold",
        "workup_breast_skin_hold",
        "leaflet_breast_skin_first",
        ("casereppathol2017_breast_calciphylaxis", "george2014breast"),
        held="procedures_held_breast_skin",
    ),
    DEEP_MASS_STEP: Hold("deep_mass_hold", "workup_growth_hold", "leaflet_exclude_first", ("esmo_sts2018",)),
}
"""The work-up steps before which every procedure on the mass waits, in the order they are said
(the big toes first: a sarcoma centre's own biopsy waits for them); a test checks every key in
both languages and every reference."""


def out_of_reach(case: Case, ev: Evidence, kb: KnowledgeBase) -> bool:
    """Whether the only deposit the case reports lies in an organ (imaging tissues all out of
    reach, no site but a body cavity's, no lesion felt or seen: workup.yaml), where no needle
    and no local treatment goes. A case that locates no deposit says nothing either way: not out
    of reach. The work-up's ``deposit_within_reach`` and management's local treatments read this
    one test (a code review: a peritoneal deposit, site 'abdomen', was a biopsy's target in the
    work-up and out of reach in management)."""
    spec = kb.workup  # not kb.management: the diagnosis loads no management knowledge (issue #17)
    tissues = {t for img in case.imaging for t in img.tissues}
    sites = {*case.sites, *(s for img in case.imaging for s in img.sites)}
    return (
        bool(tissues)
        and tissues <= set(spec.out_of_reach_tissues)
        and sites <= set(spec.cavity_sites)
        and not any(ev.present(f) for f in spec.in_reach_findings)
    )


def in_the_organs(case: Case, kb: KnowledgeBase) -> bool:
    """Whether imaging puts a deposit in an organ (workup.yaml organ_tissues), whatever else the
    case has: the follow-up's organ signs and the leaflet's read this one test (a code review
    found two definitions); the work-up's visceral_organs step reads the same tissue itself."""
    organs = kb.workup.organ_tissues  # not kb.management: the diagnosis loads no management knowledge
    return any(t in organs for img in case.imaging for t in img.tissues)


PANEL_LEFT_OUT = "calcium_phosphate_panel"
"""The part of the work-up a proportionate work-up may leave out (``WorkupLeftOut.id``): the
calcium-phosphate panel, the steps marked ``metabolic`` in workup.yaml."""

LEADS = 0.5
"""A diagnosis with half the probability or more leads the case: its own panel then stands for
the general single tests it asks all of."""

_REASONS = {
    "en": {
        "general": "general work-up of soft-tissue calcification",
        "metabolic": "to classify: the calcium-phosphate balance separates dystrophic from metabolic causes "
        "(metastatic, tumoral, calciphylaxis, iatrogenic: {mass} together; leading diagnosis {top})",
        "specific": "to confirm or exclude {name} ({probability})",
        "known": "for {name}, already known: its course and what it involves",
        "exclude": "to look for {name} ({probability}), which must not be missed",
        "omitted": "Calcium-phosphate panel not proposed: {name} leads at {probability} and the metabolic causes "
        "hold {mass} together; order it if anything points elsewhere. A drug treatment still needs its own "
        "baseline (kidney function, calcium: see each option's checks before use).",
    },
    "fr": {
        "general": "bilan général d'une calcification des tissus mous",
        "metabolic": "pour classer\u00a0: le bilan phosphocalcique sépare les causes dystrophiques des causes "
        "métaboliques (métastatique, tumorale, calciphylaxie, iatrogène\u00a0: {mass} ensemble\u202f; diagnostic en tête\u00a0: {top})",
        "specific": "pour confirmer ou écarter\u00a0: {name} ({probability})",
        "known": "pour {name}, maladie déjà connue\u00a0: son évolution et ses atteintes",
        "exclude": "pour rechercher\u00a0: {name} ({probability}), à ne pas méconnaître",
        "omitted": "Bilan phosphocalcique non proposé\u00a0: diagnostic en tête {name} ({probability}), causes "
        "métaboliques {mass} au total\u202f; à demander si un élément oriente ailleurs. Un traitement "
        "médicamenteux garde son propre bilan préalable (fonction rénale, calcémie\u00a0: voir les vérifications "
        "avant emploi de chaque option).",
    },
}
METABOLIC_CATEGORIES = ("metastatic", "tumoral", "calciphylaxis", "iatrogenic")


def _metabolic_rows(kb: KnowledgeBase) -> np.ndarray:
    """Which diagnoses belong to a metabolic category (a boolean per row of the compiled arrays),
    worked out once per knowledge base."""
    t = tables(kb)
    rows: np.ndarray | None = t.texts.get(("metabolic_rows",))
    if rows is None:
        metabolic = np.zeros(len(kb.category_names), dtype=bool)
        metabolic[[kb.category_names.index(c) for c in METABOLIC_CATEGORIES]] = True
        rows = metabolic[kb.disease_category]  # what np.isin gives, without its sorting
        rows.flags.writeable = False
        t.texts[("metabolic_rows",)] = rows
    return rows


def metabolic_mass(kb: KnowledgeBase, posterior: np.ndarray) -> float:
    """P(metastatic, tumoral, calciphylaxis or iatrogenic): what a calcium-phosphate panel would separate."""
    return float(np.add.reduce(posterior[_metabolic_rows(kb)]))  # what .sum() calls


class _Context:
    """What every step's condition reads, gathered once per case rather than once per step."""

    def __init__(
        self,
        case: Case,
        ev: Evidence,
        kb: KnowledgeBase,
        posterior: np.ndarray,
        scores: Scores,
        unconfirmed_ids: frozenset[str] | None = None,
    ) -> None:
        self.kb = kb
        self.scores = scores  # what the case pays for each block of defining features
        self.unconfirmed_ids = unconfirmed_ids  # defining.unconfirmed, when the caller has it
        self.leading_unconfirmed: bool | None = None  # _leading_unconfirmed's answer, once asked
        self.observations = ev.observations
        self.has_imaging = bool(case.imaging)
        self.tests = {lab.test for lab in case.labs}
        self.antibodies = {a.name for a in case.antibodies}
        self.modalities = {img.modality for img in case.imaging}
        self.probabilities: list[float] = posterior.tolist()  # read one at a time: Python numbers
        self.top_probability = max(self.probabilities)
        self.leading = kb.diseases[int(posterior.argmax())].id
        observations = ev.observations
        self.has_lesion = bool(case.sites) or any(
            o is not None and o.present for o in map(observations.get, kb.workup.lesion_features)
        )
        # a deposit a needle can reach: one the case locates (a lesion, or imaging at a site or in a
        # tissue), unless it lies only in an organ (out_of_reach: a kidney's deposits are not
        # biopsied for a calcinosis)
        located = self.has_lesion or any(img.sites or img.tissues for img in case.imaging)
        self.within_reach = located and not out_of_reach(case, ev, kb)
        self.threshold = kb.workup.top_threshold
        # the groups of the diagnoses at or above the work-up threshold (a handful), for group_in_top
        groups = _groups(kb)
        top_rows = (posterior >= self.threshold).nonzero()[0].tolist()
        self.top_groups = [groups[i] for i in top_rows]
        # who motivates the work-up, for the steps' why_for sentences: ids, groups and categories
        # apart, as a name can be two of them (calciphylaxis is an id, a group and a category;
        # tumoral a group and a category: a code review)
        self.motivating_ids = frozenset(kb.diseases[i].id for i in top_rows)
        self.motivating_groups = frozenset(groups[i] for i in top_rows)
        self.motivating_categories = frozenset(kb.diseases[i].category for i in top_rows)


def _groups(kb: KnowledgeBase) -> tuple[str, ...]:
    """Each diagnosis' group, in compiled order, read once per knowledge base."""
    t = tables(kb)
    found: tuple[str, ...] | None = t.texts.get(("groups",))
    if found is None:
        found = t.texts[("groups",)] = tuple(d.group for d in kb.diseases)
    return found


Check = tuple[str, Any]


@dataclass(frozen=True, slots=True)
class _Step:
    """A work-up step with its conditions read once per knowledge base (``when`` as checks)."""

    step: WorkupStep
    checks: tuple[Check, ...]
    parts: tuple[tuple[WorkupPart, tuple[Check, ...]], ...]  # each part with its own checks
    answers: tuple[frozenset[str], ...]  # each answer with the lab feature read from the same test
    answers_sorted: tuple[tuple[str, ...], ...]  # the same groups, each sorted (the order what is known is said in)
    metabolic: bool
    tests: frozenset[str]  # what it asks, a lab's high and low readings as one test (to compare steps)


def _compiled(step: WorkupStep) -> _Step:
    """A step with its conditions and its parts' compiled (:func:`_checks`)."""
    answers = tuple(frozenset({a, *_SAME_TEST.get(a, ())}) for a in dict.fromkeys(step.answers))
    parts = tuple((part, _checks(part.when)) for part in step.parts)
    metabolic = bool(step.when.get("metabolic"))
    return _Step(
        step,
        _checks(step.when),
        parts,
        answers,
        tuple(tuple(sorted(group)) for group in answers),
        metabolic,
        frozenset(_tests(step.answers)),
    )


def _checks(when: dict[str, object]) -> tuple[Check, ...]:
    """The checks of a ``when``: each list as a set (a list condition given as anything but a
    list holds nothing, as before), the rest as written (the knowledge schema refuses a key not in WORKUP_CONDITIONS)."""
    checks: list[Check] = []
    for key, value in when.items():
        items = tuple(str(v) for v in value) if isinstance(value, list) else ()
        if key in ("no_imaging", "lesion_reported", "leading_unconfirmed", "deposit_within_reach"):
            checks.append((key, bool(value)))
        elif key in ("diagnosis_in_top", "diagnosis_in_top_none", "leading_none"):
            checks.append((key, items))
        elif key in WORKUP_FEATURE_CONDITIONS:
            checks.append((key, frozenset(items)))
        elif key == "top_probability_below":
            checks.append((key, value))
        elif key in _SET_CHECKS:
            checks.append((key, frozenset(items)))
    # the costly check last, whatever the order it is written in: it is read only when the others hold
    checks.sort(key=lambda c: c[0] == "leading_unconfirmed")
    return tuple(checks)


def _same_test() -> dict[str, tuple[str, ...]]:
    """Each lab feature's partners read from the same tests (PTH high and PTH low): a low PTH
    says the PTH is not high, so a step that asks whether it is high is answered by it. The
    evidence sets only the low feature (one measurement, one likelihood), not the high one absent."""
    by_tests: dict[tuple[str, ...], list[str]] = {}
    for feature, (tests, _state) in LAB_FEATURES.items():
        by_tests.setdefault(tests, []).append(feature)
    return {f: tuple(g for g in group if g != f) for group in by_tests.values() for f in group if len(group) > 1}


_SAME_TEST = _same_test()


def _tests(answers: Sequence[str]) -> set[str]:
    """A step's answers with each lab feature read as its test (PTH high and PTH low are one
    question), to compare what two steps ask."""
    return {min((a, *_SAME_TEST.get(a, ()))) for a in answers}


_PANEL = frozenset(_tests(["lab:calcium_high", "lab:phosphate_high"]))
"""Calcium and phosphate, as a step's tests: a step asking both is the calcium-phosphate panel."""

_ANY_PRESENT = frozenset(WORKUP_FEATURE_CONDITIONS) - {"features_present_none"}
"""The feature conditions that hold when one of their features is reported present."""

_SET_CHECKS = frozenset(
    {
        "labs_missing",
        "labs_missing_any",
        "features_present_none",
        "labs_present_any",
        "antibodies_missing_any",
        "antibodies_missing",
        "no_modality",
        "modality_any",
        "group_in_top",
    }
)


def _steps(kb: KnowledgeBase, disease: int | None) -> tuple[_Step, ...]:
    """The general steps (``disease`` None) or one diagnosis' steps, compiled once per knowledge base."""
    t = tables(kb)
    key = ("workup", disease)
    found: tuple[_Step, ...] | None = t.texts.get(key)
    if found is None:
        source = kb.workup.steps if disease is None else kb.diseases[disease].workup
        found = t.texts[key] = tuple(_compiled(step) for step in source)
    return found


def _holds(checks: tuple[Check, ...], ctx: _Context) -> bool:
    """Whether every condition of a step holds in this case (the first that fails ends it).

    Each condition goes to its one branch; the commonest (features present, features absent,
    labs missing: three in four of the knowledge's conditions) are tested first, as a step's
    checks are read for every case."""
    for key, arg in checks:
        if key in _ANY_PRESENT:  # a few features: each looked up
            observations = ctx.observations
            if not any(o.present for o in map(observations.get, arg) if o is not None):
                return False
        elif key == "features_present_none":
            observations = ctx.observations
            if any(o.present for o in map(observations.get, arg) if o is not None):
                return False
        elif key == "labs_missing":
            if not ctx.tests.isdisjoint(arg):
                return False
        elif key == "no_imaging":
            if ctx.has_imaging == arg:
                return False
        elif key == "labs_missing_any":
            if arg <= ctx.tests:
                return False
        elif key == "labs_present_any":
            if ctx.tests.isdisjoint(arg):
                return False
        elif key == "antibodies_missing_any":
            if arg <= ctx.antibodies:
                return False
        elif key == "antibodies_missing":
            if not ctx.antibodies.isdisjoint(arg):
                return False
        elif key == "no_modality":
            if not ctx.modalities.isdisjoint(arg):
                return False
        elif key == "modality_any":
            if ctx.modalities.isdisjoint(arg):
                return False
        elif key == "group_in_top":
            if arg.isdisjoint(ctx.top_groups):
                return False
        elif key == "diagnosis_in_top_none":
            probabilities, position = ctx.probabilities, ctx.kb.disease_pos
            if any(probabilities[position(d)] >= ctx.threshold for d in arg):
                return False
        elif key == "leading_unconfirmed":  # last among a step's checks (_compiled): read only when the others hold
            if _leading_unconfirmed(ctx) != arg:
                return False
        elif key == "diagnosis_in_top":
            probabilities, position = ctx.probabilities, ctx.kb.disease_pos
            if not any(probabilities[position(d)] >= ctx.threshold for d in arg):
                return False
        elif (
            (key == "top_probability_below" and ctx.top_probability >= float(str(arg)))
            or (key == "lesion_reported" and ctx.has_lesion != arg)
            or (key == "deposit_within_reach" and ctx.within_reach != arg)
            or (key == "leading_none" and ctx.leading in arg)
        ):
            return False
    return True


def _leading_unconfirmed(ctx: _Context) -> bool:
    """Whether the leading diagnosis rests on none of its own defining features (and a referral
    of it would rarely leave them all unsaid: :func:`calcinosis.engine.defining.unconfirmed`);
    worked out once per case, as the panel and a step's condition both ask it."""
    if ctx.leading_unconfirmed is None:
        held = ctx.unconfirmed_ids if ctx.unconfirmed_ids is not None else unconfirmed(ctx.kb, ctx.scores)
        ctx.leading_unconfirmed = ctx.leading in held
    return ctx.leading_unconfirmed


def _answered(step: _Step, ev: Evidence) -> bool:
    """The case (or what it implies) already gives everything the step would find out: each of
    its answers, or the lab feature read from the same test."""
    observed = ev.observations.keys()
    return bool(step.answers) and all(not observed.isdisjoint(group) for group in step.answers)


def _known_part(step: _Step, ev: Evidence, kb: KnowledgeBase, lang: str) -> str:
    """' (already in the case: Raised phosphate, Raised PTH)' for a step the case answers in part,
    '' otherwise: a step asking for calcium, phosphate, PTH, albumin, INR and kidney function
    read as if none were known when four were given (a clinician's review)."""
    observations = ev.observations
    known = []
    for group in step.answers_sorted:
        # what the case says, not what it implies (dialysis implies a kidney failure that no
        # test in the case shows, beside 'eGFR not computed'), nor a site absent only because the
        # sites listed leave it out ('Knee (not involved)' for a neck case: a clinical review)
        found = next(
            (f for f in group if f in observations and not (observations[f].implied or observations[f].closed_world)),
            None,
        )
        if found is not None:
            said = _known_feature(kb, found, observations[found].present, lang)
            if said not in known:
                known.append(said)
    if not known:
        return ""
    return " (" + message("workup_already", lang, items=message("list_separator", lang).join(known)) + ")"


def _known_feature(kb: KnowledgeBase, feature: str, present: bool, lang: str) -> str:
    """A feature the case gives, as the work-up says it is already known ('Raised PTH (present)';
    in French after a colon, lower case): a text of the knowledge base only, written once."""
    t = tables(kb)
    key = ("workup_known", feature, present, lang)
    found: str | None = t.texts.get(key)
    if found is None:
        from calcinosis.engine.reasons import stated

        found = stated(kb.features[feature], present, lang, brackets=True)
        if lang == "fr":  # inside the sentence, after a colon: 'déjà connu : hypocalcémie (présente)'
            found = lower_first(found)
        if len(t.texts) < TEXTS_KEPT:
            t.texts[key] = found
    return found


def _tumours_to_exclude(kb: KnowledgeBase, probabilities: list[float]) -> list[tuple[float, Disease]]:
    """The tumours that must not be missed and are cared for as a cancer, at the must-not-miss
    threshold or above, likeliest first (ties in knowledge order)."""
    threshold = kb.must_not_miss_threshold
    found = [(probabilities[i], kb.diseases[i]) for i in _cancer_rows(kb) if probabilities[i] >= threshold]
    return sorted(found, key=lambda pd: -pd[0])


def _cancer_rows(kb: KnowledgeBase) -> tuple[int, ...]:
    """The diagnoses that are cancers to exclude (``kb.cancer_to_exclude``), in knowledge order,
    found once per knowledge base: a handful of the diagnoses, so that a case compares only
    their probabilities with the threshold rather than every diagnosis'."""
    t = tables(kb)
    found: tuple[int, ...] | None = t.texts.get(("workup", "cancer_rows"))
    if found is None:
        found = tuple(i for i, d in enumerate(kb.diseases) if kb.cancer_to_exclude(d.id))
        t.texts[("workup", "cancer_rows")] = found
    return found


def _tumour_hold(found: list[tuple[float, Disease]], lang: str) -> str:
    """' Not before ... : only in the sarcoma centre, after the MRI' while a tumour that must not
    be missed and is cared for as a cancer is possible (``found``: :func:`_tumours_to_exclude`,
    at the must-not-miss threshold, as manage's procedures wait for it), '' otherwise: a clinical
    review found an aspiration and a lesion biopsy proposed for a plantar mass with a synovial
    sarcoma in the differential."""
    if not found:
        return ""
    names = ", ".join(f"{inline(d.name(lang), lang)} {percent(p, lang)}" for p, d in found)
    return " " + message("workup_tumour_hold", lang, names=names)


def _held(step: WorkupStep, text: str, hold: str) -> str:
    """``text`` with the tumour hold after it for a step into the lesion (a sentence of its own)."""
    return _held_text(text, hold) if hold and step.on_the_mass else text


def _held_by_steps(out: list[WorkupItem], kb: KnowledgeBase, tumour_held: bool, lang: str) -> list[WorkupItem]:
    """The steps into the mass (a biopsy, an excision) held by the listed steps that come first: a
    child's big toes, a breast clinic, a sarcoma centre for a growing or deep mass (a code review:
    management held every procedure while the work-up, read as the to-do list, listed three skin
    biopsies beside the breast clinic's referral). A sarcoma in the differential says its own hold."""
    listed = {w.id for w in out}
    keys = list(dict.fromkeys(h.workup for step, h in HOLDS.items() if step in listed))
    if tumour_held:  # the sarcoma's hold already sends the procedure to the sarcoma centre
        keys = [k for k in keys if k != HOLDS[GROWTH_STEP].workup]
    if not keys:
        return out
    hold = " " + " ".join(message(k, lang) for k in keys)
    into = _into_the_mass(kb)
    holders = set(HOLDS)
    return [
        w.model_copy(update={"text": _held_text(w.text, hold)}) if w.id in into and w.id not in holders else w
        for w in out
    ]


def _into_the_mass(kb: KnowledgeBase) -> frozenset[str]:
    """The ids of every step into the mass (``on_the_mass``), general or a diagnosis' own."""
    t = tables(kb)
    found: frozenset[str] | None = t.texts.get(("workup", "on_the_mass"))
    if found is None:
        steps = [*kb.workup.steps, *(s for d in kb.diseases for s in d.workup)]
        found = t.texts[("workup", "on_the_mass")] = frozenset(s.id for s in steps if s.on_the_mass)
    return found


def _first(out: list[WorkupItem], ids: list[str]) -> list[WorkupItem]:
    """``out`` with the steps of ``ids`` first, in the order of ``ids``; the others keep theirs."""
    if not ids:
        return out
    order = {step: n for n, step in enumerate(ids)}
    moved = sorted((w for w in out if w.id in order), key=lambda w: order[w.id])
    return moved + [w for w in out if w.id not in order]


def _held_text(text: str, hold: str) -> str:
    return text + ("" if text.endswith(".") else ".") + hold


def _why(step: WorkupStep, ctx: _Context, lang: str) -> tuple[str, list[str]]:
    """The sentences of ``step.why_for`` said for the diagnoses that motivate this case's work-up
    (by id, group or category, at ``top_threshold`` or above), each after the step's text, and
    their references: a reason written for one kind of cause is not given for another."""
    said = [
        w
        for w in step.why_for
        if not ctx.motivating_ids.isdisjoint(w.diagnoses)
        or not ctx.motivating_groups.isdisjoint(w.groups)
        or not ctx.motivating_categories.isdisjoint(w.categories)
    ]
    return "".join(" " + (w.fr if lang == "fr" else w.en) for w in said), [r for w in said for r in w.references]


def _text(
    compiled: _Step, own: str, ctx: _Context, ev: Evidence, kb: KnowledgeBase, hold: str, lang: str
) -> tuple[str, list[str]]:
    """A step's text as listed (its own, ``own``: :func:`_own_text`, the sentences of why it is
    asked here, what the case already gives, a hold) and the references of the sentences said."""
    step = compiled.step
    why, refs = _why(step, ctx, lang)
    return _held(step, own + why + _known_part(compiled, ev, kb, lang), hold), refs


def _own_text(compiled: _Step, ctx: _Context, lang: str) -> str:
    """The step's text with those of its parts whose conditions hold in this case ('' when it
    has none to say: the case already has all it would ask)."""
    said = [(p.fr if lang == "fr" else p.en) for p, checks in compiled.parts if _holds(checks, ctx)]
    step = compiled.step
    return " ".join(t for t in (step.fr if lang == "fr" else step.en, *said) if t)


def _item(step_id: str, text: str, reason: str, references: Sequence[str]) -> WorkupItem:
    """A work-up item from the knowledge base's own step (built, not validated: see results.built)."""
    return built(WorkupItem, {"id": step_id, "text": text, "reason": reason, "references": list(references)})


def _leading_three(kb: KnowledgeBase, ranked: list[int], probabilities: list[float]) -> list[int]:
    """The leading three diagnoses at or above ``workup.top_threshold``, most likely first
    (``ranked``: every diagnosis, most likely first)."""
    out = []
    for i in ranked[:3]:
        if probabilities[i] < kb.workup.top_threshold:
            break
        out.append(i)
    return out


def _asked_for(kb: KnowledgeBase, ranked: list[int], probabilities: list[float], leading: list[int]) -> list[int]:
    """The diagnoses whose own steps are asked: the ``leading`` three, then each must-not-miss
    whose alert shows (``must_not_miss.yaml`` threshold) and that names steps to ask then
    (``must_not_miss.yaml`` workup), most likely first (``ranked``: every diagnosis so; the
    reading stops at the first below the threshold, as all after it are)."""
    threshold = kb.must_not_miss_threshold
    alerts = []
    for i in ranked:
        if not probabilities[i] >= threshold:
            break
        if kb.diseases[i].id in kb.must_not_miss_workup:
            alerts.append(i)
    return leading + [i for i in alerts if i not in leading]


def _panel_left_out(
    kb: KnowledgeBase, steps: list[str], top: int, top_probability: float, mass: float, lang: str
) -> WorkupLeftOut:
    """The calcium-phosphate panel left out for a confident leading diagnosis (row ``top``) that
    no metabolic cause rivals (``mass``), with the steps it would have listed and the note."""
    text = _REASONS[lang]["omitted"].format(
        name=inline(kb.diseases[top].name(lang), lang),
        probability=percent(top_probability, lang),
        mass=percent(mass, lang),
    )
    fields = {
        "id": PANEL_LEFT_OUT,
        "steps": steps,
        "reason": "confident_non_metabolic",
        "leading": kb.diseases[top].id,
        "leading_probability": round(top_probability, 4),
        "metabolic_probability": round(mass, 4),
        "text": text,
    }
    return built(WorkupLeftOut, fields)


def missing_workup(
    case: Case,
    ev: Evidence,
    kb: KnowledgeBase,
    posterior: np.ndarray,
    *,
    lang: str,
    scores: Scores,
    unconfirmed_ids: frozenset[str] | None = None,
) -> tuple[list[WorkupItem], list[WorkupLeftOut]]:
    """Work-up steps the case still lacks, most basic first, each with why it is asked; a step
    whose answers the case (or what it implies: dialysis answers kidney function) already gives
    is left out, and no step is listed twice. Second, what a proportionate work-up leaves out
    (the calcium-phosphate panel for a confident non-metabolic diagnosis): which steps, and why,
    for the report and for what reads it (the follow-up, the warnings).
    ``unconfirmed_ids``: :func:`calcinosis.engine.defining.unconfirmed`, when the caller has it."""
    out: list[WorkupItem] = []
    ctx = _Context(case, ev, kb, posterior, scores, unconfirmed_ids)
    probabilities = ctx.probabilities
    tumours = _tumours_to_exclude(kb, probabilities)
    hold = _tumour_hold(tumours, lang)
    top = probabilities.index(ctx.top_probability)  # the first of the largest, as argmax
    mass = metabolic_mass(kb, posterior)
    # a leading diagnosis none of whose defining features is reported is not a confident one,
    # whatever its probability (a French clinical review: the panel was left out for a child with
    # extensive periarticular deposits, juvenile dermatomyositis at 95 % with its signs absent)
    panel_worth_it = (
        mass >= kb.workup.metabolic_threshold
        or ctx.top_probability < kb.workup.confident_top
        or _leading_unconfirmed(ctx)
    )
    panel_left_out: list[str] = []  # the metabolic steps a proportionate work-up leaves out
    panel_asked = False  # a diagnosis' own step asks calcium and phosphate
    metabolic_reason = ""  # written when a metabolic step is listed (percentages go through Babel)
    for compiled in _steps(kb, None):
        if not _holds(compiled.checks, ctx) or _answered(compiled, ev):
            continue
        own = _own_text(compiled, ctx, lang)
        if not own:
            continue
        step = compiled.step
        if compiled.metabolic and not panel_worth_it:
            panel_left_out.append(step.id)
            continue
        if compiled.metabolic and not metabolic_reason:
            metabolic_reason = _REASONS[lang]["metabolic"].format(
                mass=percent(mass, lang),
                top=f"{inline(kb.diseases[top].name(lang), lang)} {percent(probabilities[top], lang)}",
            )
        text, why_refs = _text(compiled, own, ctx, ev, kb, hold, lang)
        reason = metabolic_reason if compiled.metabolic else _REASONS[lang]["general"]
        out.append(_item(step.id, text, reason, list(dict.fromkeys([*step.references, *why_refs]))))
    seen = {item.id for item in out}
    general_answers = {c.step.id: set(c.tests) for c in _steps(kb, None) if c.tests and c.step.id in seen}
    general = set(general_answers)  # only these are replaced: a diagnosis' step never stands for another's
    ranked = (-posterior).argsort().tolist()  # most likely first, read by both below
    leading = _leading_three(kb, ranked, probabilities)
    for i in _asked_for(kb, ranked, probabilities, leading):
        disease = kb.diseases[i]
        # a must-not-miss below the leading three has the steps named for it, to look for it (a
        # French clinical review: myeloma was named to look for beside a hypercalcaemia with a
        # kidney failure and bone pain, and no protein electrophoresis was asked)
        excluding = i not in leading
        reason = ""  # the same sentence for every step of this diagnosis, written once when needed
        for compiled in _steps(kb, i):
            step = compiled.step
            if step.id in seen or _answered(compiled, ev) or not _holds(compiled.checks, ctx):
                continue
            own = _own_text(compiled, ctx, lang)
            if not own:  # every part already done (the imaging in the case)
                continue
            if excluding and step.id not in kb.must_not_miss_workup[disease.id]:
                continue
            answers = set(compiled.tests)
            # a general step asking exactly what a must-not-miss' own step asks gives way to it:
            # the same test, said 'to look for' that diagnosis (a paraprotein for a myeloma)
            same = (  # in the order the steps were listed (a set's order would change with the hash seed)
                next((gid for gid in general_answers if gid in general and general_answers[gid] == answers), None)
                if excluding and answers
                else None
            )
            if same is None and answers and any(answers <= listed for listed in general_answers.values()):
                continue  # a listed step already asks all of it
            # a leading diagnosis' step replaces the listed ones it asks all of (the CKD-MBD panel,
            # not also 'serum phosphate' and 'intact PTH'; a less likely one leaves the basic tests
            # as they are), and any step one it asks most of (one antibody panel, not two)
            leads = probabilities[i] >= LEADS
            replaceable = [(gid, general_answers[gid]) for gid in general_answers if gid in general]
            covered = [gid for gid, listed in replaceable if leads and answers and listed <= answers]
            replaced = same if same is not None else covered[0] if covered else None
            if replaced is None:
                replaced = next((gid for gid, listed in replaceable if len(answers & listed) >= 2), None)
            seen.add(step.id)
            panel_asked = panel_asked or answers >= _PANEL
            # a disease the history gives is not to be confirmed or excluded (a French review:
            # myositis antibodies 'to confirm or exclude' a biopsy-proven dermatomyositis)
            known = ev.observations.get(f"condition:{disease.id}")
            kind = "known" if known is not None and known.present else "exclude" if excluding else "specific"
            reason = reason or _REASONS[lang][kind].format(
                name=inline(disease.name(lang), lang), probability=percent(probabilities[i], lang)
            )
            text, why_refs = _text(compiled, own, ctx, ev, kb, hold, lang)
            refs = list(dict.fromkeys([*(step.references or disease.references), *why_refs]))
            item = _item(step.id, text, reason, refs)
            if replaced is not None:
                out[[w.id for w in out].index(replaced)] = item
                general_answers[step.id] = general_answers.pop(replaced) | answers
                for gone in covered[1:]:
                    del out[[w.id for w in out].index(gone)]
                    general_answers[step.id] |= general_answers.pop(gone)
            else:
                out.append(item)
                if answers:
                    general_answers[step.id] = answers
    out = _held_by_steps(out, kb, bool(hold), lang)
    # the leading diagnosis' steps marked first come before the general ones (what changes its
    # care now); the others keep their place
    # (never a step into the mass: it waits for what holds it, a sarcoma or a child's big toes)
    top_steps = (
        [c.step.id for c in _steps(kb, top) if c.step.first and not c.step.on_the_mass]
        if leading and leading[0] == top
        else []
    )
    out = _first(out, top_steps)  # in the order the diagnosis' file gives them
    # a sarcoma to exclude: its own steps (the MRI, the sarcoma centre's biopsy) come before the
    # calcium work-up, which changes nothing to the referral (a French clinical review: a 7 cm
    # hip mass read as an osteosarcoma at 31 % had 'calcium with albumin' as its next step)
    tumour_steps = [s.id for _, d in tumours for s in d.workup]
    if tumour_steps:
        # a child's big toes before all of them: the sarcoma centre's biopsy waits for them
        out = _first(_first(out, tumour_steps), [FOP_STEP])
    omitted = []
    if panel_left_out and not panel_asked:  # a diagnosis' own step asks it ('expected normal'): not left out
        omitted.append(_panel_left_out(kb, panel_left_out, top, probabilities[top], mass, lang))
    return out, omitted
