"""Rank the treatments of the knowledge base by their fit to a case.

fit(t) = max over t's indications of role_weight(role) x P(the diagnoses the indication names),
where an indication naming categories uses the category probability and one naming neither
counts 1; features an indication requires must be present. Role weights and the smallest fit
shown are in ``knowledge/management.yaml``. A treatment whose contraindication is present in
the case goes to ``avoid`` instead, with the reason. The level of evidence shown is the best
level among studies of this case's likely diagnoses (or of calcinosis in general) that found a
benefit or mixed results: a negative trial, or a trial in another disease, lends no level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from calcinosis.case.labs import LabPanel
from calcinosis.case.model import Case
from calcinosis.engine.evidence import Evidence
from calcinosis.i18n import decimal, inline, lower_first, message, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import TreatmentCaution, TreatmentDoseFor, TreatmentFile, TreatmentIndication
from calcinosis.management.results import EvidenceItem, TreatmentOption

__all__ = [
    "MECHANISMS",
    "histology_first",
    "measured_values",
    "named_with_probability",
    "rank_treatments",
    "to_exclude_first",
]

Role = Literal["first_line", "option", "adjunct", "last_resort"]

MECHANISMS = ("cause", "calcium_metabolism", "inflammation", "mechanical", "supportive")


UNKNOWN_CHECKS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("check_pregnancy", frozenset({"condition:pregnancy"}), frozenset()),
    (
        "check_kidney",
        frozenset({"lab:egfr_below_60", "lab:egfr_below_15", "condition:chronic_kidney_disease", "condition:dialysis"}),
        frozenset({"creatinine", "egfr"}),  # a child's creatinine gives no eGFR but is measured
    ),
    # a calcimimetic is not started below the lower limit, a bisphosphonate not on a low calcium:
    # a dialysis patient with no calcium entered was offered cinacalcet with no word of it
    (
        "check_calcium",
        frozenset({"lab:calcium_low", "lab:calcium_high", "condition:hypercalcemia_known"}),
        frozenset({"calcium", "ionized_calcium"}),
    ),
)
"""What a caution depends on that a referral often leaves unsaid: a caution shows only when its
condition is reported, so a drug contraindicated in pregnancy, or reduced in kidney failure,
read as safe when nobody had said (two clinicians' reviews: bisphosphonates, minocycline and
diltiazem for women of 13 to 49 with pregnancy never mentioned; alendronate with no kidney
function). An option whose cautions name one of these, for a case that states none of its
features either way, says what to check first (pregnancy only for a woman who may be pregnant).
Each check: its message, the features that answer it, and the tests that answer it when entered
(a urea alone does not: a normal urea silenced the kidney check of a bisphosphonate)."""

CALCIUM_CORRECTED_BY = frozenset({"albumin", "ionized_calcium", "corrected_calcium"})
"""The tests that tell a true hypocalcaemia from a total calcium lowered by a low albumin: a
caution that holds only for a low total calcium without them says so (``lab.calcium_uncorrected``)."""

CHILDBEARING_AGES = (12.0, 55.0)
"""Ages at which pregnancy is asked about before a drug that harms it (judgement: menarche to the
menopause, with margins on both sides)."""


def may_be_pregnant(sex: str, age: float, postmenopausal: bool | None) -> bool:
    """Whether pregnancy is a question for this patient: a woman, or a patient whose sex is not
    given, of childbearing age, not stated postmenopausal."""
    low, high = CHILDBEARING_AGES
    return sex in ("female", "unknown") and low <= age < high and postmenopausal is not True


def caution_holds(c: TreatmentCaution, ev: Evidence) -> bool:
    """Whether caution ``c`` holds for the case by its features (``when``, ``and_any``,
    ``unless``; a measured value, where it names one, is checked by the option): one rule for the
    option's cautions and the leaflet's 'do not take' (reports.leaflet)."""
    return (
        (not c.when or any(ev.present(f) for f in c.when))
        and (not c.and_any or any(ev.present(f) for f in c.and_any))
        and not any(ev.present(f) for f in c.unless)
    )


def measured_values(panel: LabPanel, age: float) -> dict[str, float]:
    """The values a caution's ``measured`` may bound and say (kb ``MeasuredName``): the lab
    panel's (:meth:`LabPanel.measured`) and the patient's age in years, for a limit that no age
    feature draws (probenecid is contraindicated under 2). One place for manage and the leaflet."""
    return {**panel.measured(), "age_years": age}


def caution_applies(
    c: TreatmentCaution,
    ev: Evidence,
    *,
    kb: KnowledgeBase,
    posterior: np.ndarray,
    measured: Mapping[str, float],
    read_for: Sequence[str] = (),
) -> bool:
    """Whether caution ``c`` is said for the case: its features (:func:`caution_holds`), the
    series it is said of (``diagnoses``, for the diagnoses the option is read for), the diagnoses
    in play it needs (``while_in_play``) and its measured value's bounds (``measured``: the
    case's values by name, :func:`measured_values`, the age's included). One predicate for the option's cautions and
    the leaflet's 'do not take' (a code review: the leaflet read only the features)."""
    if not (caution_holds(c, ev) and _said_of(c, read_for, posterior, kb) and _while_in_play(c, kb, posterior)):
        return False
    if c.measured is None:
        return True
    return _within(measured.get(c.measured.value), c.measured.at_least, c.measured.below)


def _unknown_checks(t: TreatmentFile, ev: Evidence, pregnancy_possible: bool, tests: frozenset[str], lang: str) -> str:
    """'Not known here and checked before use: pregnancy (and contraception); kidney function'
    for the conditions this treatment's cautions depend on that the case leaves unsaid ('' if
    none); ``tests``: the tests the case gives."""
    # a caution whose second condition (and_any) the case does not report cannot hold: it asks
    # for nothing (physiotherapy's anti-inflammatory caution after an injury asked a kidney
    # function of every case)
    watched = {f for c in t.cautions if not c.and_any or any(ev.present(a) for a in c.and_any) for f in c.when}
    items = [
        message(key, lang)
        for key, features, answering in UNKNOWN_CHECKS
        if watched & features
        and not any(f in ev.observations and not ev.observations[f].implied for f in features)
        and not tests & answering
        and (key != "check_pregnancy" or pregnancy_possible)
    ]
    return message("check_before", lang, items=message("list_separator", lang).join(items)) if items else ""


GROUNDING = ("lab:", "condition:", "exposure:")
"""What grounds an indication on the case itself, without its diagnosis confirmed: a measured state
(a raised phosphate), a known condition (dialysis) or an exposure (warfarin). A finding (pain, an
ulcer), a site (the fingertips), a tissue or an imaging pattern describes the deposits: an
indication that names only those waits for its diagnoses to be confirmed (a French clinical review:
thalidomide and an excision 'for pain' went ahead for an unconfirmed dermatomyositis; a code review:
a high-speed burr 'for fingertips' for an infant's papule read as a systemic sclerosis at 2 %)."""


def _dose_for(
    t: TreatmentFile, diagnoses: list[str], posterior: np.ndarray, kb: KnowledgeBase, ev: Evidence
) -> TreatmentDoseFor | None:
    """The dose text written for the patient's context (one of its ``features`` reported present:
    a neurological injury), else for the likeliest of the diagnoses the option is read for, if
    any; for an option read for a feature alone (a calcium heparin reported), that of the
    likeliest diagnosis the treatment has a text for, when it holds the management floor (an
    adult on a calcium heparin read the infusion's branch too: an English clinical review)."""
    if not t.dose_for:
        return None
    context = next((d for d in t.dose_for if any(ev.present(f) for f in d.features)), None)
    if context is not None:
        return context
    if not diagnoses:
        floor = kb.management.min_probability
        diagnoses = [d for dose in t.dose_for for d in dose.diagnoses if posterior[kb.disease_pos(d)] >= floor]
        if not diagnoses:
            return None
    likeliest = max(diagnoses, key=lambda d: float(posterior[kb.disease_pos(d)]))
    return next((d for d in t.dose_for if likeliest in d.diagnoses), None)


def _said_of(c: TreatmentCaution, read_for: Sequence[str], posterior: np.ndarray, kb: KnowledgeBase) -> bool:
    """Whether a caution said of some diagnoses' series (``diagnoses``) concerns this option: read
    for one of them, or, read for none (a category, a feature), one of them holds the management
    floor. A debridement read for a calciphylaxis is not told of the recurrences of connective
    tissue disease or tumoral calcinosis (a clinical review)."""
    if not c.diagnoses:
        return True
    if read_for:
        return bool(set(read_for) & set(c.diagnoses))
    return _any_in_play(c.diagnoses, posterior, kb)


def _any_in_play(diagnoses: Sequence[str], posterior: np.ndarray, kb: KnowledgeBase) -> bool:
    """Whether one of ``diagnoses`` holds the management floor (management.yaml min_probability)."""
    floor = kb.management.min_probability
    return any(float(posterior[kb.disease_pos(d)]) >= floor for d in diagnoses)


def _within(value: float | None, at_least: float | None, below: float | None) -> bool:
    """Whether a derived value holds a caution's bounds: any value (even unknown) when it sets
    none; a known value from ``at_least`` and under ``below`` otherwise (an unknown value says
    nothing of where it stands)."""
    if at_least is None and below is None:
        return True
    if value is None:
        return False
    return (at_least is None or value >= at_least) and (below is None or value < below)


def _inside(value: float, at_least: float | None, below: float | None) -> float:
    """``value`` to one decimal, rounded towards the inside of the bounds it holds: a child of 23.5
    months (1.96 years) under probenecid's 'under 2 years' read '(age in years: 2)' (a code review)."""
    shown = round(value, 1)
    if below is not None and shown >= below:
        return math.floor(value * 10) / 10
    if at_least is not None and shown < at_least:
        return math.ceil(value * 10) / 10
    return shown


def _grounded(ind: TreatmentIndication) -> bool:
    """Whether an indication names a state of the case that grounds it (see GROUNDING)."""
    return any(f.startswith(GROUNDING) for f in ind.features)


WEAK_LEVEL = 4
"""Oxford CEBM levels 4-5 (case series, expert opinion): a first-line role resting on them says so."""


def _role_basis(role: Role, best_level: int | None, evidence: list[EvidenceItem], lang: str) -> str:
    """'first line by expert opinion or small series (best level 4, largest study n = 8)' when that is all there is."""
    if role != "first_line" or (best_level is not None and best_level < WEAK_LEVEL):
        return ""
    sizes = [e.n for e in evidence if e.relevant and e.n]
    size = message("role_basis_size", lang, n=max(sizes)) if sizes else ""
    level = (
        message("role_basis_level", lang, level=best_level)
        if best_level is not None
        else message("role_basis_none", lang)
    )
    return message("role_basis_weak", lang, level=level, size=size)


def _diagnoses_of(ind: TreatmentIndication) -> list[str]:
    """The diagnoses an indication names, its forms' ('fat_necrosis/newborn') as their diagnosis."""
    return [*ind.diagnoses, *(f.split("/", 1)[0] for f in ind.forms)]


def _debrides_necrosis(t: TreatmentFile, kb: KnowledgeBase, ev: Evidence) -> bool:
    """A debridement with a necrosis reported (management.yaml ``necrosis``): dead tissue is
    removed whatever its cause, so it does not wait for the diagnosis to be confirmed. A sarcoma
    to exclude still holds it (judgement: an unplanned procedure on a possible sarcoma, even of
    its necrotic surface, is planned with the sarcoma centre)."""
    return t.debrides and any(ev.present(f) for f in kb.management.necrosis)


def _waits_for_diagnosis(t: TreatmentFile) -> bool:
    """Whether a treatment waits for the diagnosis it treats: relief of symptoms, a treatment safe
    while a diagnosis is unconfirmed and supportive care do not."""
    return not (t.symptomatic or t.safe_unconfirmed or t.mechanism == "supportive")


def _category_named(kb: KnowledgeBase, category: str, less_own_care: bool, lang: str) -> str:
    """A category an indication names ('Dystrophic'), or, when its share here leaves out the
    diagnoses treated as a disease of their own (``less_own_care``), said as such in plain words:
    'Catégorie dystrophique, hors causes relevant d'un traitement propre' (a French review read
    'Dystrophique, hors diagnostics pris en charge comme leur propre maladie' as opaque)."""
    name = kb.categories[category].fr if lang == "fr" else kb.categories[category].en
    if not less_own_care:
        return name
    return message("category_treatable", lang, category=lower_first(name) if lang == "fr" else name)


def _indication_fit(
    t: TreatmentFile,
    ind: TreatmentIndication,
    *,
    kb: KnowledgeBase,
    ev: Evidence,
    posterior: np.ndarray,
    categories: Mapping[str, float],
    full: Mapping[str, float],
    forms: Mapping[str, float],
    lang: str,
) -> tuple[tuple[float, Role, str], float] | None:
    """How well one indication fits the case (its role's weight times the probability of what it
    is for), the role it gives and why, in words, and that probability; None below the
    indication's own probability floor."""
    weights = kb.management.role_weights
    # what the fit comes from, each with its probability: a first-line drug of a diagnosis at
    # 5 % says so (it read as the case's first line when the diagnosis went unnamed)
    if ind.forms:  # a form of a diagnosis: its probability (management.form_masses)
        mass = float(sum(forms.get(f, 0.0) for f in ind.forms))
        names = [_named(_form_name(kb, f, lang), forms.get(f, 0.0), lang) for f in ind.forms]
    elif ind.diagnoses:
        mass = float(sum(posterior[kb.disease_pos(d)] for d in ind.diagnoses))
        names = [_named(kb.disease(d).name(lang), float(posterior[kb.disease_pos(d)]), lang) for d in ind.diagnoses]
    elif ind.categories:
        mass = sum(categories[c] for c in ind.categories)
        if sum(full.get(c, 0.0) for c in ind.categories) < kb.management.min_probability:
            # a treatment of a whole category is for a category the case may well be in (a French
            # clinical review: colchicine 'for any dystrophic cause with an ulcer' at 7 % beside a
            # calciphylaxis at 88 %); a diagnosis it names is weighed as such, from any probability
            return None
        # a category's share here leaves out its diagnoses cared for elsewhere: said so, as it
        # differs from the category's probability the diagnosis shows (98 % there, 35 % here)
        names = [
            _named(_category_named(kb, c, categories[c] < full.get(c, 0.0) - 0.005, lang), categories[c], lang)
            for c in ind.categories
        ]
    else:  # any case with the features: the probability of the diagnoses calcinosis treatment is for
        mass, names = float(sum(categories.values())), []
    if ind.min_probability is not None and mass < ind.min_probability:
        return None
    names = [n for n in names if n]
    # a procedure on one deposit is not the first line of deposits spread over a region; it
    # is weighed as the option it is, so that an indication it stays first line for (freeing
    # a nerve) wins over one it loses it for (a code review)
    spread = (
        ind.role == "first_line"
        and _is_local(t)
        and any(ev.present(f) for f in kb.management.widespread)
        and not set(ind.features) & set(kb.management.one_lesion_targets)
    )
    fit = weights["option" if spread else ind.role] * mass
    why = ", ".join(names)
    if ind.features:
        semicolon = "\u202f; " if lang == "fr" else "; "  # French: a narrow no-break space before ';'
        why = (why + semicolon if why else "") + ", ".join(kb.features[f].label(lang) for f in ind.features)
    if ind.note is not None:
        why = (why + " — " if why else "") + ind.note.get(lang)
    # first line for a diagnosis is not the case's first line while that diagnosis holds
    # less than the management floor: excision read 'first line' for an overlap syndrome
    # at 1 % (two clinical reviews); it is shown as an option, ranked by the same fit
    low = ind.role == "first_line" and mass < kb.management.min_probability
    return (fit, "option" if low or spread else ind.role, why), mass


def _option(
    t: TreatmentFile,
    *,
    kb: KnowledgeBase,
    ev: Evidence,
    posterior: np.ndarray,
    categories: Mapping[str, float],
    forms: Mapping[str, float],
    lang: str,
    pregnancy_possible: bool = False,
    full: Mapping[str, float] | None = None,
    tests: frozenset[str] = frozenset(),
    unconfirmed: frozenset[str] = frozenset(),
    measured: Mapping[str, float] | None = None,
    emergencies: frozenset[str] = frozenset(),
    leading: str | None = None,
) -> tuple[TreatmentOption, bool] | None:
    """``categories``: each category's share of the diagnoses calcinosis treatment is for
    (:func:`treatable_categories`); ``full``: the categories' probabilities, to say when a share
    leaves diagnoses out; ``unconfirmed``: the diagnoses none of whose defining features the case
    reports (they paid the defining penalty): an option for them alone waits for their work-up;
    ``emergencies``: those the diagnosis found (``Emergency``), which some indications need;
    ``leading``: the diagnosis that leads the case (as a principle's ``leading``), None when none
    does, which an indication's ``unless_leading`` reads."""
    full = full or categories
    measured = measured or {}  # values derived from the labs (LabPanel.derived), by name
    best: tuple[float, Role, str] | None = None
    best_for: list[str] = []  # the diagnoses the best indication names ([] for a category or any case)
    read_for: list[str] = []  # the same, grounded or not: the dose text is that of the likeliest
    untested: list[str] = []  # the laboratory states the chosen indication waits for (not measured yet)
    # the best indication waiting only for a test: its fit, the diagnoses it names, the tests
    pending: tuple[tuple[float, Role, str], list[str], list[str]] | None = None
    tested_first = kb.management.tested_first
    for ind in t.indications:
        if ind.emergencies and emergencies.isdisjoint(ind.emergencies):
            continue  # the acute treatment of an emergency the case does not have
        if any(ev.present(f) for f in ind.unless):
            continue  # a topical for localised deposits, in deposits over the whole body
        if any(f in ev.observations and not ev.present(f) for f in ind.unless_absent):
            continue  # added to phosphate-lowering treatment, with a normal phosphate measured
        if leading is not None and leading in ind.unless_leading:
            continue  # an injection for calcium deposits, into a leading gout's tophi
        missing = [f for f in ind.features if not ev.present(f)]
        if missing and not all(f in tested_first and f not in ev.observations for f in missing):
            continue  # a feature the case denies, or one that is not a test still to do
        fitted = _indication_fit(
            t, ind, kb=kb, ev=ev, posterior=posterior, categories=categories, full=full, forms=forms, lang=lang
        )
        if fitted is None:
            continue
        found, mass = fitted
        if missing:  # binders for a raised phosphate, when the phosphate is not measured
            if not (ind.diagnoses or ind.forms) or mass < kb.management.min_probability:
                continue  # named for a diagnosis that holds the management floor, not for any case
            if pending is None or found[0] > pending[0][0]:
                pending = (found, _diagnoses_of(ind), missing)
            continue
        if best is None or found[0] > best[0]:
            best = found
            # an indication grounded on a state the case reports (binders for a raised phosphate)
            # does not wait for the diagnosis to be confirmed (a re-review); a symptom does not
            # ground it (a French clinical review: thalidomide and an excision 'for pain' went
            # ahead for an unconfirmed dermatomyositis while diltiazem waited)
            read_for = _diagnoses_of(ind)
            best_for = [] if _grounded(ind) else read_for
    if best is None or best[0] < kb.management.min_fit:
        # an option whose every fitting indication waits for a test the case has not reported
        # (binders for a raised phosphate, a calcimimetic for a raised PTH, in a dialysis patient
        # whose calcium, phosphate and PTH are not given) is named as waiting for that test: a
        # clinical review read a uraemic calcinosis plan that led with a kidney transplant and
        # never named the phosphate and PTH treatments that are its mainstay
        if pending is None or pending[0][0] < kb.management.min_fit:
            return None
        (best, read_for, untested), best_for = pending, []
    fit, role, why = best
    cautions: list[str] = []
    avoid_parts: list[str] = []  # the parts contraindicated here, named with the option wherever it is named
    contraindicated = False
    uncorrected = ev.present("lab:calcium_low") and "calcium" in tests and not tests & CALCIUM_CORRECTED_BY
    first = 0  # the contraindications that hold come first, then what to check, then the other cautions
    part_cautions: list[tuple[str, str]] = []  # cautions on one part of the treatment (NSAIDs within analgesia)
    not_now_note = ""  # a caution that holds the option for now ('Not now'), the first that holds
    refs_of: dict[str, list[str]] = {}  # each caution said, by its words: the references it rests on
    for c in t.cautions:
        if not caution_applies(c, ev, kb=kb, posterior=posterior, measured=measured, read_for=read_for):
            continue
        value = measured.get(c.measured.value) if c.measured is not None else None
        text = c.fr if lang == "fr" else c.en
        if c.measured is not None and value is not None:  # the case's own value, said with it
            note = c.measured.fr if lang == "fr" else c.measured.en
            text = " ".join(
                [text, note.format(value=decimal(_inside(value, c.measured.at_least, c.measured.below), lang, 1))]
            )
        if (
            uncorrected
            and "lab:calcium_low" in c.when
            and not any(ev.present(f) for f in c.when if f != "lab:calcium_low")
        ):
            text = " ".join([text, message("calcium_uncorrected_note", lang)])
        refs_of[text] = list(c.references)
        if c.severity == "contraindication" and c.applies_to is not None:
            # one drug of a class: the class stays, the drug is named to avoid
            avoid = message("avoid_part", lang, part=c.applies_to.get(lang), text=text)
            refs_of[avoid] = list(c.references)
            cautions.insert(0, avoid)
            avoid_parts.append(c.applies_to.get(lang))
            first += 1
        elif c.severity == "contraindication":  # for this case (its features), or for any case (when: [])
            contraindicated = True
            cautions.insert(0, text)
            first += 1
        elif c.not_now:  # said first after the contraindications, and the option waits for it
            cautions.insert(first, text)
            not_now_note = not_now_note or text
        else:
            cautions.append(text)
            if c.applies_to is not None:
                part_cautions.append((text, c.applies_to.get(lang)))
    # what to check before use is not asked of an option not to use (warfarin 'fits, but
    # contraindicated here' asked for a pregnancy test: a clinical re-review)
    if untested and contraindicated:  # not indicated yet, and not for this patient: not listed
        return None
    # an option or a part of it to avoid says why, not how to use it (a French clinical review:
    # 'avoid NSAIDs here: kidney failure' was followed by 'from 60: the shortest course of NSAIDs,
    # with a gastric protection')
    if contraindicated:
        cautions = cautions[:first]
    avoided_use = {text for text, part in part_cautions if part in avoid_parts}
    cautions = [c for c in cautions if c not in avoided_use]
    check = "" if contraindicated else _unknown_checks(t, ev, pregnancy_possible, tests, lang)
    if check:
        cautions.insert(first, check)
    untested_note = ""
    if untested:
        labels = message("list_separator", lang).join(lower_first(kb.features[f].label(lang)) for f in untested)
        untested_note = message("untested_first", lang, states=labels)
        cautions.insert(first, untested_note)
    waits_for_confirmation = _waits_for_diagnosis(t) and not _debrides_necrosis(t, kb, ev)
    unconfirmed_note = ""
    if best_for and waits_for_confirmation and not contraindicated and set(best_for) <= unconfirmed:
        # a clinical re-review: a 13-year-old's juvenile dermatomyositis at 37 %, with no weakness,
        # rash, CK or antibody reported, drew rituximab, IVIG and anakinra as if it were known
        # named as the indication names them (from NAMED_FROM), the likeliest at least
        ranked = sorted(dict.fromkeys(best_for), key=lambda d: -float(posterior[kb.disease_pos(d)]))
        shown = [d for d in ranked if posterior[kb.disease_pos(d)] >= NAMED_FROM] or ranked[:1]
        named = [kb.disease(d).name(lang) for d in shown]
        key = "unconfirmed_first" if len(named) == 1 else "unconfirmed_first_many"
        unconfirmed_note = message(key, lang, names=", ".join(named))
        cautions.insert(first, unconfirmed_note)
        # nor is it the case's first line (a French clinical review: diltiazem and colchicine led
        # as 'first line' for connective tissue diseases none of which was shown, while a
        # calciphylaxis led the differential); it waits, as a procedure waits for a sarcoma
        if role == "first_line":
            role = "option"
    likely = {d.id for i, d in enumerate(kb.diseases) if posterior[i] >= kb.management.min_probability}
    evidence = sorted(
        (
            EvidenceItem(
                reference=e.reference,
                citation=kb.references[e.reference].text(lang),
                design=e.design,
                n=e.n,
                population=e.population.get(lang),
                outcome=e.outcome.get(lang),
                level=e.level,
                direction=e.direction,
                relevant=not e.diagnoses or bool(likely & set(e.diagnoses)),
                studied_in=[kb.disease(d).name(lang) for d in e.diagnoses],
            )
            for e in t.evidence
        ),
        key=lambda e: (not e.relevant, e.level, -(e.n or 0)),
    )
    supportive = [e.level for e in evidence if e.relevant and e.direction in ("benefit", "mixed")]
    best_level = min(supportive, default=None)
    refs = list(t.references)
    dose = _dose_for(t, read_for, posterior, kb, ev)
    if dose is not None:
        refs.extend(r for r in dose.references if r not in refs)
    refs += [e.reference for e in evidence if e.reference not in refs]
    # what the option's words cite: its dose's text for this patient and the cautions it says (a
    # French clinical review: the clinician's page listed the first two references of each
    # treatment's file, the FDA's NSAIDs in pregnancy for a woman of 75 and myositis ossificans
    # in sport for a calciphylaxis, and not Gossett 2023 or Kodumudi 2020, which the doses named)
    cited = list(
        dict.fromkeys(
            [*(dose.references if dose is not None else []), *(r for c in cautions for r in refs_of.get(c, []))]
        )
    )
    option = TreatmentOption(
        treatment=t.id,
        name=t.names.get(lang),
        mechanism=t.mechanism,
        kind=t.kind,
        role=role,
        fit=round(fit, 4),
        why=[why] if why else [],
        summary=t.summary.get(lang),
        dose=(dose.dose if dose is not None else t.dose).get(lang),
        cautions=cautions,
        evidence=evidence,
        best_level=best_level,
        role_basis=_role_basis(role, best_level, evidence, lang),
        references=refs,
        cited=cited,
        avoid_parts=list(dict.fromkeys(avoid_parts)),
        wait_note=untested_note or unconfirmed_note or ("" if contraindicated else not_now_note),
    )
    return option, contraindicated


def _while_in_play(c: TreatmentCaution, kb: KnowledgeBase, posterior: np.ndarray) -> bool:
    """Whether a caution that names diagnoses in play (``while_in_play``) has one at the management
    floor or above (any case, for a caution that names none): what it warns of belongs to those
    diagnoses, which no feature of the case states (a milk-alkali syndrome's rebound low calcium
    after a bisphosphonate), whatever the option is read for."""
    return not c.while_in_play or _any_in_play(c.while_in_play, posterior, kb)


NAMED_FROM = 0.01
"""A diagnosis (form, category) an indication names is shown from this probability: the share
of the fit it brings is then worth reading."""


def _named(name: str, p: float, lang: str) -> str:
    """'Juvenile dermatomyositis (5%)', or '' below NAMED_FROM."""
    return f"{name} ({percent(p, lang)})" if p >= NAMED_FROM else ""


def _form_name(kb: KnowledgeBase, key: str, lang: str) -> str:
    """The name of a form 'diagnosis/form' (the loader checked that it exists)."""
    found = kb.form_row(key)
    return key if found is None else found.form.names.get(lang)


def treatable_categories(kb: KnowledgeBase, posterior: np.ndarray, categories: Mapping[str, float]) -> dict[str, float]:
    """Each category's probability less that of its diagnoses cared for as another disease
    (``managed_as``: a sarcoma, a calcified dead parasite): a category-wide treatment (an
    injection for a painful dystrophic deposit) fits only the diagnoses calcinosis treatment is
    for. The diagnoses' probabilities sum to their category's (``P(d) = P(c) P(d | c)``)."""
    out = dict(categories)
    for i, d in enumerate(kb.diseases):
        if d.managed_as is not None and d.category in out:
            out[d.category] = max(0.0, out[d.category] - float(posterior[i]))
    return out


def to_exclude_first(kb: KnowledgeBase, posterior: np.ndarray) -> list[tuple[float, int]]:
    """The diagnoses that must not be missed and are cared for as another disease (a sarcoma),
    still possible in this case (``must_not_miss.yaml`` threshold, 2 %), most likely first: a
    procedure on the mass waits until they are excluded (an unplanned excision of a sarcoma
    worsens its prognosis, seed 001; ESMO-EURACAN 2018)."""
    threshold = kb.must_not_miss_threshold
    found = [
        (float(posterior[i]), i)
        for i, d in enumerate(kb.diseases)
        if d.managed_as is not None and d.id in kb.must_not_miss and posterior[i] >= threshold
    ]
    return sorted(found, key=lambda pi: -pi[0])


def named_with_probability(kb: KnowledgeBase, found: list[tuple[float, int]], lang: str) -> str:
    """'Synovial sarcoma (7%), Extraskeletal chondrosarcoma (5%)' (in French inside a sentence:
    'synovialosarcome (7 %), ...')."""
    names = [(kb.diseases[i].name(lang), p) for p, i in found]
    return ", ".join(f"{lower_first(n) if lang == 'fr' else n} ({percent(p, lang)})" for n, p in names)


DOCUMENTED_INFECTION = "finding:local_infection"
"""The finding of an infection the case reports (a culture, pus): treated first, not looked for."""


def _infection_first(ev: Evidence, kb: KnowledgeBase, lang: str) -> str:
    """'Not before an infection is excluded (fever, raised CRP) ...' for the signs the case reports, or
    'Not before the infection is treated' for a documented one ('' if none)."""
    signs = [inline(kb.features[f].label(lang), lang) for f in kb.management.infection_signs if ev.present(f)]
    if not signs:
        return ""
    # a documented infection is treated, not excluded (a French clinical review: 'not before an
    # infection is excluded' and joint aspiration for a thigh ulcer growing S. aureus)
    key = "infection_treat_first" if ev.present(DOCUMENTED_INFECTION) else "infection_first"
    return message(key, lang, signs=message("list_separator", lang).join(signs))


def _procedures_harm(
    kb: KnowledgeBase, posterior: np.ndarray, lang: str, said_key: str = "procedures_harm"
) -> tuple[str, str]:
    """'Not while Calciphylaxis (88%) is possible: ...' for the diagnoses in which a procedure on
    the deposit harms (management.yaml no_procedures_in) at the management floor or above, first;
    second, the same said as a caution for those between the must-not-miss threshold and that
    floor ('' if none). Shock waves were first line for the ulcers of a calciphylaxis at 88 % (a
    clinical review); an excision and a laser were offered with no word of it to a young man on
    dialysis whose calciphylaxis was a must-not-miss at 4 % (another). The probability decides,
    not a skin lesion: painful thigh nodules on warfarin and dialysis are read as calciphylaxis
    at 74 % before any necrosis. ``said_key``: the message of the first ('procedures_harm_debridement'
    for a debridement, which is what may be done)."""
    said: list[str] = []
    possible: list[str] = []
    for rule in kb.management.no_procedures_in:
        p = float(posterior[kb.disease_pos(rule.diagnosis)])
        name = f"{kb.disease(rule.diagnosis).name(lang)} ({percent(p, lang)})"
        text = rule.fr if lang == "fr" else rule.en
        if p >= kb.management.min_probability:
            said.append(message(said_key, lang, name=name, text=text))
        elif p >= kb.must_not_miss_threshold and rule.diagnosis in kb.must_not_miss:
            possible.append(message("procedures_harm_possible", lang, name=name, text=text))
    return " ".join(said), " ".join(possible)


def _on_the_mass(t: TreatmentFile) -> bool:
    """A procedure on the deposit itself (excision, shock waves, laser, lavage, an injection into
    it), not one that treats the cause (dialysis, parathyroidectomy, transplantation)."""
    return t.kind == "procedure" and t.mechanism != "cause"


def without_symptoms(case: Case, ev: Evidence, kb: KnowledgeBase) -> bool:
    """Whether the calcinosis was found without symptoms: pain reported absent, no lesion felt or
    seen, none of management.yaml's symptoms present, and no site named but on imaging (a skin
    lesion the patient shows is not an incidental finding); its deposits then get no treatment."""
    spec = kb.management
    pain = ev.observations.get("finding:pain")
    return (
        not case.sites
        and pain is not None
        and not pain.present
        and not any(ev.present(f) for f in (*spec.symptoms, *kb.workup.in_reach_findings))
    )


def _for_the_deposits(t: TreatmentFile, ev: Evidence) -> bool:
    """A treatment of the deposits themselves (not of the cause, not supportive), not grounded on
    a state the case reports (binders for a raised phosphate)."""
    if t.mechanism in ("cause", "supportive"):
        return False
    return not any(_grounded(ind) and all(ev.present(f) for f in ind.features) for ind in t.indications)


def _aimed_at_the_deposit(t: TreatmentFile, ev: Evidence) -> bool:
    """A drug, a topical or a care aimed at the deposit itself, which would wait for its
    diagnosis: not the cause's treatment, nor relief of symptoms, supportive care or a treatment
    safe while the diagnosis is unconfirmed (pain relief does not wait for a sarcoma's referral)."""
    return _for_the_deposits(t, ev) and _waits_for_diagnosis(t)


def _never_listed(t: TreatmentFile) -> bool:
    """A treatment advised against for every case (low-dose warfarin: 'should not be used'): its
    principle says it, it is not listed as 'fits, but to avoid here' in every connective tissue
    disease's plan, a toddler's and a calciphylaxis' included (an English clinical review). A
    contraindication bounded by a measured value (probenecid under 2 years) holds for some cases only."""
    return any(
        c.severity == "contraindication" and not c.when and c.applies_to is None and c.measured is None
        for c in t.cautions
    )


def _for_a_finding(t: TreatmentFile, ev: Evidence) -> bool:
    """Whether one of the treatment's indications rests on features the case reports (wound care
    for an ulcer), not on a diagnosis alone."""
    return any(ind.features and all(ev.present(f) for f in ind.features) for ind in t.indications)


def _held_for_a_cancer(t: TreatmentFile, ev: Evidence) -> bool:
    """A treatment that waits while a cancer is to be excluded, besides the procedures on the
    mass: a treatment of the deposit, and supportive care read for a diagnosis rather than for
    what the case shows (a clinical review: physiotherapy with 'swimming in warm water' and wound
    care with 'warm baths' over a growing 7 cm hip mass to refer as a sarcoma, for a
    dermatomyositis at 17 %); relief of symptoms, and care of an ulcer the case reports, do not."""
    if _aimed_at_the_deposit(t, ev):
        return True
    return t.mechanism == "supportive" and not t.symptomatic and not _for_a_finding(t, ev)


def histology_first(kb: KnowledgeBase, posterior: np.ndarray, lang: str, key: str = "histology_first") -> str:
    """'Not before the histology of an excised lesion: ...' (message ``key``) when lesions diagnosed and treated
    by their excision (management.yaml ``histology_first``) hold the management floor together
    and every diagnosis that holds it is one of them or of its categories (no systemic cause in
    play); '' otherwise."""
    spec = kb.management.histology_first
    if spec is None:
        return ""
    floor = kb.management.min_probability
    found = sorted(((float(posterior[kb.disease_pos(d)]), kb.disease_pos(d)) for d in spec.diagnoses), reverse=True)
    if sum(p for p, _ in found) < floor:
        return ""
    if any(
        posterior[i] >= floor and d.id not in spec.diagnoses and d.category not in spec.categories
        for i, d in enumerate(kb.diseases)
    ):
        return ""
    named = named_with_probability(kb, [(p, i) for p, i in found if p >= NAMED_FROM], lang)
    return message(key, lang, names=named)


def _is_local(t: TreatmentFile) -> bool:
    """A treatment applied to the deposit itself: a procedure on the mass, or a topical."""
    return _on_the_mass(t) or t.local


def rank_treatments(
    ev: Evidence,
    kb: KnowledgeBase,
    *,
    posterior: np.ndarray,
    categories: Mapping[str, float],
    lang: str,
    forms: Mapping[str, float] | None = None,
    exclude_first: list[tuple[float, int]] | None = None,
    pregnancy_possible: bool = False,
    tests: frozenset[str] = frozenset(),
    unconfirmed: frozenset[str] = frozenset(),
    no_local: bool = False,
    hold: str = "",
    no_deposit_treatment: bool = False,
    measured: Mapping[str, float] | None = None,
    cared_first: str = "",
    own_care: frozenset[str] = frozenset(),
    emergencies: frozenset[str] = frozenset(),
    histology: str = "",
    leading: str | None = None,
) -> tuple[dict[str, list[TreatmentOption]], list[TreatmentOption]]:
    """Options grouped by mechanism (best fit first, then best evidence), and those to avoid;
    ``forms``: the probability of each form of a diagnosis ('diagnosis/form'), for the
    indications that name one; ``exclude_first``: :func:`to_exclude_first`, when the caller
    already has it (manage states them too); ``unconfirmed``: see :func:`_option`;
    ``no_local``: the deposit is out of reach (:func:`out_of_reach`), no local treatment is listed;
    ``hold``: why a procedure on the mass waits besides a diagnosis to exclude first (a deep
    mass of unestablished cause, referred to a sarcoma centre; a child's big toes to look at); ``no_deposit_treatment``: the
    calcinosis was found without symptoms (:func:`without_symptoms`), no treatment of the deposits is listed;
    ``measured``: the values derived from the case's labs, by name, that cautions may say;
    ``cared_first``: why every treatment of calcinosis waits when the leading diagnosis is cared for
    as another disease (a pilomatricoma's excision), '' otherwise; ``own_care``: that disease's own
    treatments (``ManagedAs.own_care``), which its statement says and which are then not listed;
    ``emergencies``: the emergencies the diagnosis found (a calcium to correct first), without
    'engine.': the indications that name one hold for any case that has it; ``histology``:
    :func:`histology_first` when the treatments of the deposits wait for the histology of an
    excised lesion, '' otherwise (the caller decides: not once a diagnosis is given, nor while
    another step comes first, the rule manage's own statement follows); ``leading``: the
    diagnosis that leads the case, None when none does (an indication's ``unless_leading``)."""
    grouped: dict[str, list[TreatmentOption]] = {m: [] for m in MECHANISMS}
    avoid: list[TreatmentOption] = []
    treatable = treatable_categories(kb, posterior, categories)
    first = to_exclude_first(kb, posterior) if exclude_first is None else exclude_first
    key = "exclude_first" if len(first) == 1 else "exclude_first_many"
    excluded = message(key, lang, names=named_with_probability(kb, first, lang)) if first else ""
    # a diagnosis to exclude and a step to take first are both said (a code review: a child's
    # sarcoma to exclude hid the big toes to look at, which its biopsy must wait for)
    wait = " ".join(w for w in (hold, excluded) if w)
    infection = _infection_first(ev, kb, lang)
    harmed, harm_possible = _procedures_harm(kb, posterior, lang)
    harmed_debridement, _ = _procedures_harm(kb, posterior, lang, "procedures_harm_debridement")
    by_excision = kb.management.histology_first.by if kb.management.histology_first is not None else ""
    for t in kb.treatments.values():
        if (no_local and _is_local(t)) or (no_deposit_treatment and _for_the_deposits(t, ev)) or _never_listed(t):
            continue
        if cared_first and t.id in own_care:  # said by the leading diagnosis' own statement
            continue
        found = _option(
            t,
            kb=kb,
            ev=ev,
            posterior=posterior,
            categories=treatable,
            forms=forms or {},
            lang=lang,
            pregnancy_possible=pregnancy_possible,
            full=categories,
            tests=tests,
            unconfirmed=unconfirmed,
            measured=measured,
            emergencies=emergencies,
            leading=leading,
        )
        if found is None:
            continue
        option, contraindicated = found
        on_the_mass = _on_the_mass(t)
        # debriding a necrosis, an infected ulcer or wound treats the infection: it does not wait for it
        debriding = t.debrides and any(ev.present(f) for f in kb.management.debrided)
        if on_the_mass and (harmed or harm_possible):  # trauma to calciphylaxis skin: new necrosis
            option.cautions.insert(0, (harmed_debridement if t.debrides else harmed) or harm_possible)
            # contraindicated at the floor, except a debridement, for the necrotic tissue only (a
            # clinical review: its excision of 'a localised deposit' read without the caution
            # that held the laser and the injections); below it, it waits for the calciphylaxis
            # to be excluded (a clinical review: a cachectic man with kidney disease, calciphylaxis
            # 'not excluded', was offered a triamcinolone injection and a laser on his skin)
            contraindicated = contraindicated or bool(harmed and not t.debrides)
            if not harmed and not contraindicated and not debriding:
                option.wait_note = harm_possible
        if infection and on_the_mass and not contraindicated and not debriding:
            option.cautions.insert(0, infection)
            option.wait_note = infection
        # a procedure on the mass waits for a sarcoma to be excluded, and so does any treatment
        # of the deposit: months of diltiazem or of a topical on what may be a sarcoma delay its
        # referral (a clinical review: both were offered for an idiopathic calcinosis at 4 %
        # under 'the calcinosis treatments below do not apply', a synovial sarcoma leading)
        held = wait if on_the_mass else excluded if _held_for_a_cancer(t, ev) and not cared_first else ""
        if held and not contraindicated:  # an avoided option keeps its reason first
            option.cautions.insert(0, held)
            option.wait_for = [kb.diseases[i].id for _, i in first]
            option.wait_note = held
        # a leading diagnosis cared for as another disease: the calcinosis treatments are for the
        # others, once it is excluded (a French and an English clinical review: a child's likely
        # pilomatricoma, whose excision gives the histology, was offered a CO2 laser that destroys
        # it, diltiazem and sodium thiosulfate right under 'the calcinosis treatments below do
        # not apply to this diagnosis'); relief of symptoms and supportive care do not wait
        if cared_first and _waits_for_diagnosis(t) and not contraindicated and not option.wait_note:
            option.cautions.insert(0, cared_first)
            option.wait_note = cared_first
        # lesions diagnosed and treated by their excision, no systemic cause in play: what treats
        # the deposits waits for the histology of an excised one (a clinical review: a healthy
        # young man's hand nodules were offered diltiazem, sodium thiosulfate and a laser first)
        if (
            histology
            and t.id != by_excision
            and _waits_for_diagnosis(t)
            and not contraindicated
            and not option.wait_note
        ):
            option.cautions.insert(0, histology)
            option.wait_note = histology
        (avoid if contraindicated else grouped[option.mechanism]).append(option)
    for options in grouped.values():
        # what can start now before what waits (for a diagnosis' confirmation, a sarcoma or an
        # infection to be excluded), then by fit and evidence
        options.sort(key=lambda o: (bool(o.wait_note), -o.fit, o.best_level or 6, o.treatment))
    avoid.sort(key=lambda o: -o.fit)
    return {m: o for m, o in grouped.items() if o}, avoid
