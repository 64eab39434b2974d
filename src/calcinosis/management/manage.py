"""``manage(case, kb)``: treatment options that fit the case, principles, staging, follow-up."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from calcinosis._version import __version__
from calcinosis.case.model import Case
from calcinosis.engine.defining import shown_by_a_defining_feature, unconfirmed
from calcinosis.engine.diagnose import URGENT_CODES, URGENT_REFERENCES, Analysis, analyse, diagnose
from calcinosis.engine.evidence import Evidence
from calcinosis.engine.results import DiagnosisReport
from calcinosis.engine.staging import stage_cvi, staging_relevant
from calcinosis.engine.workup import (
    DEEP_MASS_STEP,
    GROWTH_STEP,
    HOLDS,
    LEADS,
    PANEL_LEFT_OUT,
    Hold,
    in_the_organs,
    out_of_reach,
)
from calcinosis.i18n import inline, message, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import (
    FollowupEveryFor,
    FollowupItem,
    LeafletLine,
    StatementCondition,
    WarningSign,
    said_for,
)
from calcinosis.management.options import (
    histology_first,
    may_be_pregnant,
    measured_values,
    named_with_probability,
    rank_treatments,
    to_exclude_first,
    without_symptoms,
)
from calcinosis.management.results import FollowupPlan, ManagementReport, PlanItem, Statement, managed_as_id

__all__ = ["followup_plan", "form_masses", "in_play", "listed", "manage"]


HELD_STATEMENTS = frozenset({"surgery_when"})
"""Principles not said while the procedures on the mass wait, for a step or a diagnosis to exclude
('surgery is for large deposits' read beside a growing mass, or a suspected osteosarcoma, to refer
to a sarcoma centre: a code review, a French clinical review)."""


def form_masses(kb: KnowledgeBase, posterior: np.ndarray, row_weight: np.ndarray) -> dict[str, float]:
    """'diagnosis/form' -> the probability of that form: its diagnosis' posterior times the form's
    share of the diagnosis' likelihood for the case (``Scores.row_weight``)."""
    return {r.key: float(posterior[r.disease] * row_weight[r.row]) for r in kb.forms}


def _holds(
    when: StatementCondition,
    *,
    kb: KnowledgeBase,
    ev: Evidence,
    posterior: np.ndarray,
    category: str,
    forms: dict[str, float],
    waiting: frozenset[str] = frozenset(),
    leading: str | None = None,
) -> bool:
    """Whether a principle's condition holds; ``waiting``: the diagnoses whose options wait for
    their work-up (:func:`~calcinosis.engine.defining.unconfirmed`), which a condition marked
    ``confirmed`` does not count; ``leading``: the diagnosis that leads the case (at ``LEADS``
    or more, or given by the clinician), None when none does, read by ``leading`` and
    ``unless_leading``."""
    floor = kb.management.min_probability
    likely = [
        d for i, d in enumerate(kb.diseases) if posterior[i] >= floor and not (when.confirmed and d.id in waiting)
    ]
    if when.categories and category not in when.categories:
        return False
    if when.groups and not any(d.group in when.groups for d in likely):
        return False
    if when.diagnoses and not any(d.id in when.diagnoses for d in likely):
        return False
    if when.forms and not any(forms.get(f, 0.0) >= floor for f in when.forms):
        return False
    if any(forms.get(f, 0.0) >= floor for f in when.unless_forms):
        return False
    if when.leading and leading not in when.leading:
        return False
    if leading is not None and leading in when.unless_leading:
        return False
    observations = ev.observations
    if when.unless_absent and all((o := observations.get(f)) is not None and not o.present for f in when.unless_absent):
        return False
    if not all((o := observations.get(f)) is not None and not o.present for f in when.absent):
        return False
    if any((o := observations.get(f)) is not None and o.present for f in when.none_present):
        return False
    return not when.features or any((o := observations.get(f)) is not None and o.present for f in when.features)


def _category_wide(when: StatementCondition) -> bool:
    """A principle stated for whole categories, with nothing narrower (a group, a diagnosis, a
    leading one, a form, a finding)."""
    return bool(when.categories) and not (when.groups or when.diagnoses or when.leading or when.forms or when.features)


def _cared_as(name: str, p: float, text: str, *, leads: bool, lang: str) -> str:
    """How a diagnosis cared for as another disease is treated: as it is for the leading one,
    on condition of its confirmation for any other."""
    if leads:
        return message("managed_as", lang, name=name, text=text)
    return message("managed_as_if", lang, name=name, p=percent(p, lang), text=text)


def _managed_as(
    kb: KnowledgeBase, posterior: np.ndarray, to_exclude: list[tuple[float, int]], lang: str
) -> list[Statement]:
    """First among the statements, for each likely diagnosis whose calcification is a sign of
    another disease (most likely first): how that disease is cared for, since the calcinosis
    options do not apply to it (``treatable_categories``)."""
    floor = kb.management.min_probability
    likely = sorted(
        ((float(posterior[i]), d, d.managed_as) for i, d in enumerate(kb.diseases) if d.managed_as is not None),
        key=lambda found: -found[0],
    )
    leading = kb.diseases[int(posterior.argmax())].id
    stated = [
        Statement(
            id=managed_as_id(d.id),
            text=_cared_as(d.name(lang), p, care.fr if lang == "fr" else care.en, leads=d.id == leading, lang=lang),
            references=list(care.references),
            urgent=d.id in kb.must_not_miss,
        )
        for p, d, care in likely
        # one that must not be missed and does not lead is to be excluded first, with the others
        # below (a French clinical review: 'Extraskeletal chondrosarcoma (28%), if it is
        # confirmed: ... referred to a sarcoma centre before any biopsy' asked for a
        # confirmation that only the referral gives)
        if p >= floor and (d.id == leading or d.id not in kb.must_not_miss)
    ]
    # those that must not be missed (a sarcoma) and do not lead, below the floor too, are said as
    # to be excluded first, one statement for each way of care (the three sarcomas share theirs)
    waiting: dict[str, list[tuple[float, int]]] = {}
    for p, i in to_exclude:
        care = kb.diseases[i].managed_as
        if kb.diseases[i].id != leading and care is not None:
            waiting.setdefault(care.en, []).append((p, i))
    for group in waiting.values():
        first = kb.diseases[group[0][1]]
        care = first.managed_as
        assert care is not None
        stated.append(
            Statement(
                id=managed_as_id(first.id),
                text=message(
                    "managed_as_possible",
                    lang,
                    names=named_with_probability(kb, group, lang),
                    text=care.fr if lang == "fr" else care.en,
                ),
                references=list(care.references),
                urgent=True,
            )
        )
    return stated


def in_play(kb: KnowledgeBase, posterior: np.ndarray, forms: dict[str, float], leading: str) -> frozenset[str]:
    """The diagnoses in play and the forms in play ('diagnosis/form', :func:`form_masses`): those
    at the management floor or above (management.yaml min_probability, the one threshold the
    options, the cautions, the follow-up and the leaflet read), the leading one always (a code
    review: the follow-up and the leaflet read a constant of their own beside it)."""
    floor = kb.management.min_probability
    diagnoses = {d.id for i, d in enumerate(kb.diseases) if posterior[i] >= floor}
    return frozenset({leading, *diagnoses, *(key for key, p in forms.items() if p >= floor)})


def _plan_item(
    item: FollowupItem,
    lang: str,
    *,
    id: str | None = None,
    every: str | None = None,
    present: frozenset[str] = frozenset(),
    playing: frozenset[str] = frozenset(),
) -> PlanItem:
    """A follow-up check as the plan shows it, in ``lang`` (``id`` and ``every`` when a watched
    diagnosis' check says what it watches for), its words of some contexts filled from the
    features ``present`` and the diagnoses in play (``playing``)."""

    def filled(text: str, patient: bool) -> str:
        for name, slot in item.slots.items():
            text = slot.fill(text, name, lang, patient=patient, present=present, in_play=playing)
        return text

    own = _every_for(item, playing)
    general = (own.every, own.patient_every) if own is not None else (item.every, item.patient_every)
    return PlanItem(
        id=item.id if id is None else id,
        every=general[0].get(lang) if every is None else every,
        text=filled(item.fr if lang == "fr" else item.en, False),
        references=list(dict.fromkeys([*item.references, *(own.references if own is not None else [])])),
        patient=filled(item.patient.get(lang), True) if item.patient is not None else None,
        patient_every=general[1].get(lang) if general[1] is not None and every is None else None,
    )


def _every_for(item: FollowupItem, playing: frozenset[str]) -> FollowupEveryFor | None:
    """The interval of a check written for a diagnosis in play (``every_for``), the most
    frequent when several are: a baby's fat necrosis needs its calcium every 1 to 2 weeks, not
    the 1 to 3 months of the metabolic category (a clinical review)."""
    fits = [e for e in item.every_for if not playing.isdisjoint(e.in_play)]
    return min(fits, key=lambda e: e.interval_days, default=None)


def listed(item: FollowupItem | WarningSign | LeafletLine, present: frozenset[str], playing: frozenset[str]) -> bool:
    """Whether a check, a sign or a leaflet's line is for this case: one of its ``when`` features
    reported or one of its ``in_play`` diagnoses in play (either; always when it has neither),
    none of its ``unless`` features reported."""
    return said_for(item.when, item.in_play, item.unless, present, playing)


GENERAL_LABS = frozenset({"labs", "labs_dialysis"})
"""The general plan's yearly calcium-phosphate panel, and its form on dialysis (followup.yaml ``schedule``)."""


def followup_plan(
    kb: KnowledgeBase,
    category: str,
    *,
    lang: str,
    form: str | None = None,
    diagnosis: str | None = None,
    watch: Sequence[tuple[str, float]] = (),
    age: float | None = None,
    in_an_organ: bool = False,
    organ_deposits: bool = False,
    possible: Collection[str] | None = None,
    present: Collection[str] | None = None,
    cancer_first: str | None = None,
    panel_left_out: bool = False,
    emergencies: Collection[str] = (),
    playing: Collection[str] = (),
) -> FollowupPlan:
    """The general schedule, the category's additions, and the warning signs; for a leading
    diagnosis read in a form with its own follow-up (``followup.yaml by_form``), or a leading
    diagnosis with its own (``by_diagnosis``), its checks and signs, instead of the general ones
    when they do not fit it (a newborn's fat necrosis, a deposit after a calcium infusion).
    ``age``: the patient's, for a plan written from an age (``min_age``). ``in_an_organ``: the
    only deposit lies in an organ (``out_of_reach``): followup.yaml ``in_an_organ`` stands for
    the checks of deposits under the skin. ``organ_deposits``: a deposit is imaged in an organ,
    whatever else the case has: followup.yaml ``in_the_organs`` adds the signs of that organ's
    involvement. ``possible``: the diagnoses still possible (must-not-miss threshold); a warning
    sign of one diagnosis is said only while it is (None: every sign). ``present``: the features
    the case reports; a check or a sign with a ``when`` is listed only when one of them is (None:
    every one). ``cancer_first``: a cancer to exclude before anything is done to the mass (a
    sarcoma, :func:`to_exclude_first`), when it does not lead: the specialised team's follow-up
    comes first, its signs are said, and the rest of the plan starts after its assessment (an
    English clinical review: a growing deep thigh mass, sarcoma centre first, had the routine
    3-6-monthly calcinosis review and yearly radiographs); no cancer is named, as the leaflet
    reads the same plan. ``panel_left_out``: the work-up left the calcium-phosphate panel out (a
    leading diagnosis that no metabolic cause rivals): the plan does not ask for it every year
    either (two clinical reviews: a myositis ossificans and a neurogenic heterotopic ossification
    read 'panel not proposed' in the work-up and a yearly calcium, PTH and vitamin D in the plan).
    ``watch``: diagnoses that must not be missed and are still possible (id, probability): their
    own first check comes first, until they are excluded (a woman whose tender thighs could be
    calciphylaxis was to be seen every 3 to 6 months: a clinical review). ``emergencies``: those
    the diagnosis found (``Emergency``): their own checks come first (followup.yaml ``by_emergency``:
    a calcium to correct first is rechecked within 24 to 48 hours, not only yearly). ``playing``:
    the diagnoses and forms in play (:func:`in_play`); a check or a sign with an ``in_play`` is
    listed when one of them is, or one of its ``when`` features is reported; a check listed stands
    for those it ``replaces``; the words of a check's ``slots`` are chosen from them too."""
    spec = kb.followup
    added = spec.by_category.get(category, [])  # type: ignore[call-overload]
    replaced = {r for i in added for r in i.replaces}
    items = [*(i for i in spec.schedule if i.id not in replaced), *added]
    signs = list(spec.warning_signs)
    refs = list(spec.references)
    organ = spec.in_an_organ if in_an_organ else None
    if organ is not None:
        gone = {r for i in organ.schedule for r in i.replaces}
        items = [*(i for i in items if i.id not in gone), *organ.schedule]
        refs = list(dict.fromkeys([*refs, *organ.references]))
    plan = spec.own(form, diagnosis, age)
    if plan is not None:
        # a diagnosis' own check stands for the general ones it names (CKD-MBD's KDIGO intervals
        # for the yearly calcium panel)
        gone = {r for i in plan.schedule for r in i.replaces}
        items = [*([] if plan.replaces_general else (i for i in items if i.id not in gone)), *plan.schedule]
        kept = [w for w in signs if w.whatever_plan] if plan.replaces_general else signs
        signs = [*kept, *plan.warning_signs]
        refs = list(dict.fromkeys([*([] if plan.replaces_general else refs), *plan.references]))
    organs = spec.in_the_organs if organ_deposits else None
    if organs is not None:
        signs = [*signs, *organs.warning_signs]
        refs = list(dict.fromkeys([*refs, *organs.references]))
    if possible is not None:
        signs = [w for w in signs if w.diagnosis is None or w.diagnosis in possible]
    if panel_left_out:
        items = [i for i in items if i.id not in GENERAL_LABS]
    seen = frozenset(present or ())
    played = frozenset(playing)
    if present is not None:
        items = [i for i in items if listed(i, seen, played)]
        signs = [w for w in signs if listed(w, seen, played)]
        # a check listed for its context stands for the general one it names (the joints of a
        # heterotopic ossification's review)
        gone = {r for i in items for r in i.replaces}
        items = [i for i in items if i.id not in gone]
    # a sign said stands for the general ones it names (a gout's flare for 'new hard nodules')
    superseded = {r for w in signs for r in w.replaces}
    signs = [w for w in signs if w.id not in superseded]
    watched = []
    cancer = spec.own(None, cancer_first) if cancer_first is not None and cancer_first != diagnosis else None
    if cancer is not None and not cancer.schedule:
        cancer = None
    if cancer is not None:
        first_check = cancer.schedule[0]
        every = message("followup_until_team", lang)  # the leaflet reads it: no cancer named
        watched.append(_plan_item(first_check, lang, id=f"until_excluded:{first_check.id}", every=every))
        signs = [*cancer.warning_signs, *signs]
        refs = list(dict.fromkeys([*refs, *cancer.references]))
    for did, p in watch:
        own = spec.own(None, did)
        # its own follow-up, else its category's (calciphylaxis: the weekly wound review)
        theirs = own.schedule if own is not None else spec.by_category.get(kb.disease(did).category, [])  # type: ignore[call-overload]
        if not theirs:
            continue
        first = theirs[0]
        name = kb.disease(did).name(lang)
        name = inline(name, lang)  # inside a French sentence
        every = message("followup_until_excluded", lang, name=name, p=percent(p, lang), every=first.every.get(lang))
        watched.append(_plan_item(first, lang, id=f"until_excluded:{first.id}", every=every))
    # an emergency's checks are read with their conditions like every other (a code review: they
    # were listed whatever their when, in_play or unless said)
    urgent = [
        i
        for e in emergencies
        for i in spec.by_emergency.get(e, [])  # type: ignore[call-overload]
        if present is None or listed(i, seen, played)
    ]
    return FollowupPlan(
        schedule=[
            *(_plan_item(i, lang, present=seen, playing=played) for i in urgent),
            *watched,
            *(
                _plan_item(
                    i,
                    lang,
                    every=message("followup_after_team", lang, every=i.every.get(lang)) if cancer else None,
                    present=seen,
                    playing=played,
                )
                for i in items
            ),
        ],
        warning_signs=[w.fr if lang == "fr" else w.en for w in signs],
        references=refs,
    )


def manage(
    case: Case,
    kb: KnowledgeBase,
    *,
    lang: str = "en",
    report: DiagnosisReport | None = None,
    diagnosis: str | None = None,
    analysis: Analysis | None = None,
) -> ManagementReport:
    """Treatment options for a case, grouped by mechanism, with evidence; principles; staging; follow-up.

    Parameters
    ----------
    case
        A validated case.
    kb
        The knowledge base, with its treatments.
    lang
        'en' or 'fr'.
    report
        The case's diagnosis report, if already computed (it is computed otherwise).
    diagnosis
        A diagnosis the clinician has established: options are then fitted to it alone
        instead of to the engine's differential.
    analysis
        The case's :func:`~calcinosis.engine.diagnose.analyse` result, when already computed.

    Raises
    ------
    UnknownEntityError
        When ``diagnosis`` is not a diagnosis of the knowledge base.

    Returns
    -------
    ManagementReport
        Options fit to the case's probable diagnoses, each with dose, cautions and evidence
        (Oxford CEBM levels); what to avoid; the principles that apply; CVI staging when venous
        disease is in play; the follow-up plan. The decision remains the clinician's.
    """
    analysis = analysis or analyse(case, kb, lang=lang)
    report = report or diagnose(case, kb, lang=lang, analysis=analysis)
    panel, evidence, scores = analysis
    posterior = scores.posterior
    categories = dict(report.category_probabilities)
    category = report.category
    top = report.differential[0]
    top_id, top_name, top_p = top.diagnosis, top.name, top.probability
    if diagnosis is not None:
        chosen = kb.disease(diagnosis)
        posterior = np.zeros_like(posterior)
        posterior[kb.disease_pos(chosen.id)] = 1.0
        category = chosen.category
        categories = {c: float(c == category) for c in categories}
        top_id, top_name, top_p = chosen.id, chosen.name(lang), 1.0
    forms = form_masses(kb, posterior, scores.row_weight)
    top_row = int(scores.row[kb.disease_pos(top_id)])
    top_form = next((r for r in kb.forms if r.row == top_row), None)  # the form the leading diagnosis is read in
    first = to_exclude_first(kb, posterior)  # the must-not-miss diagnoses to exclude: said, and waited for
    # a deep mass whose leading diagnosis rests on none of its defining features: the work-up
    # refers it to a sarcoma centre, and procedures on it wait, as for a sarcoma in the
    # differential (which, when there is one, says it instead); a diagnosis given is established
    listed = {w.id for w in report.workup_steps}
    deep_mass = diagnosis is None and not first and DEEP_MASS_STEP in listed
    # the other work-up steps that come before any procedure on the mass (a child's big toes, a
    # breast lump's cancer referral: engine.workup.HOLDS), said as the procedures' hold
    # every one is said (a code review: a girl's deep mass said the sarcoma centre and not her big
    # toes); a growing mass' sarcoma centre is said by the sarcoma to exclude when there is one
    holds: list[Hold] = [
        h
        for step, h in HOLDS.items()
        if step in listed
        and diagnosis is None
        and not (first and step == GROWTH_STEP)
        and (step != DEEP_MASS_STEP or (deep_mass and GROWTH_STEP not in listed))
    ]
    hold = " ".join(message(h.manage, lang) for h in holds)
    pt = case.patient
    # the diagnosis that leads the case (at LEADS or more, or given), read by the options and the
    # principles; None when none does
    leading = top_id if top_p >= LEADS else None
    # a leading diagnosis cared for as another disease (a sarcoma, a dead parasite, a pilomatricoma)
    cared_elsewhere = kb.disease(top_id).managed_as is not None and leading is not None
    cared_first = (
        message("cared_elsewhere_first", lang, name=named_with_probability(kb, [(top_p, kb.disease_pos(top_id))], lang))
        if cared_elsewhere and diagnosis is None
        else ""
    )
    # the emergencies the diagnosis found: the acute treatment of a calcium to correct first is
    # listed whatever the deposits' cause (a clinical review: a confused haemodialysis patient at
    # 3.39 mmol/L with a calciphylaxis had none)
    emergencies = frozenset(i.code.removeprefix("engine.") for i in report.issues if i.code in URGENT_CODES)
    # the diagnoses that paid the defining penalty (none of their defining features reported)
    # and are rarely referred so: their own options wait for their work-up, and the principles
    # on treating their calcinosis are not said; a diagnosis the clinician gives is confirmed
    waiting = frozenset() if diagnosis is not None else unconfirmed(kb, scores)
    no_local = out_of_reach(case, evidence, kb)
    quiet = without_symptoms(case, evidence, kb)  # found without symptoms: no treatment of the deposits
    # lesions whose excision gives the diagnosis and the cure, no systemic cause in play: the
    # plan starts with it, and what treats the deposits waits for its histology; not once the
    # clinician has given the diagnosis, nor while a diagnosis is to be excluded or a step taken
    # first (a code review: a subepidermal calcified nodule given as the diagnosis still had its
    # options wait 'for the histology'); one guard for the statement and the options
    histology_due = diagnosis is None and not first and not hold
    options, avoid = rank_treatments(
        evidence,
        kb,
        posterior=posterior,
        categories=categories,
        forms=forms,
        lang=lang,
        exclude_first=first,
        pregnancy_possible=may_be_pregnant(pt.sex, pt.age, pt.postmenopausal),
        tests=frozenset(lab.test for lab in case.labs),
        unconfirmed=waiting,
        no_local=no_local,
        hold=hold,
        no_deposit_treatment=quiet,
        measured=measured_values(panel, pt.age),
        cared_first=cared_first,
        own_care=frozenset(care.own_care) if (care := kb.disease(top_id).managed_as) is not None else frozenset(),
        emergencies=emergencies,
        histology=histology_first(kb, posterior, lang) if histology_due else "",
        leading=leading,
    )
    # the principles that hold for a whole category are about treating calcinosis, and do not
    # apply to a leading diagnosis cared for as another disease
    # an emergency the diagnosis found (a calcium to correct first) is the first thing management says
    urgent = [
        Statement(
            id=i.code.removeprefix("engine."),
            text=i.message,
            references=list(URGENT_REFERENCES.get(i.code, kb.constants.thresholds_reference)),
            urgent=True,
        )
        for i in report.issues
        if i.code in URGENT_CODES
    ]
    # a deposit seen only in an organ: why no excision, injection or shock waves is listed
    reach = [Statement(id="out_of_reach", text=message("out_of_reach", lang), references=[])] if no_local else []
    if quiet:
        refs = list(kb.management.symptoms_references)
        reach.append(Statement(id="without_symptoms", text=message("without_symptoms", lang), references=refs))
    if deep_mass:
        leading = f"{top_name} ({percent(top_p, lang)})"
        name = inline(leading, lang)
        text = message("deep_mass_unexplained", lang, name=name)
        reach.insert(0, Statement(id="deep_mass_unexplained", text=text, references=["esmo_sts2018"], urgent=True))
    # the holds said once as a principle, whether or not an option is listed to carry them (a code
    # review: a growing mass destroying bone had no option, and management never said to wait);
    # the deep mass' own statement says its hold
    # the plan starts with the excision, and says so (histology_due above)
    excision_first = histology_first(kb, posterior, lang, "histology_first_plan") if histology_due else ""
    spec = kb.management.histology_first
    if excision_first and spec is not None:
        reach.insert(0, Statement(id="histology_first", text=excision_first, references=list(spec.references)))
    said_holds = [h for h in holds if h is not HOLDS[DEEP_MASS_STEP]]
    if said_holds:
        # the words of what waits, when every hold says the same (else the general ones)
        held = {h.held for h in said_holds}
        key = held.pop() if len(held) == 1 else "procedures_held"
        text = message(key, lang, hold=" ".join(message(h.manage, lang) for h in said_holds))
        refs = list(dict.fromkeys(r for h in said_holds for r in h.references))
        reach.insert(0, Statement(id="procedures_held", text=text, references=refs, urgent=GROWTH_STEP in listed))
    statements = (
        urgent
        + _managed_as(kb, posterior, first, lang)
        + reach
        + [
            Statement(id=s.id, text=s.fr if lang == "fr" else s.en, references=list(s.references))
            for s in kb.management.statements
            if _holds(
                s.when,
                kb=kb,
                ev=evidence,
                posterior=posterior,
                category=category,
                forms=forms,
                waiting=waiting,
                leading=leading,
            )
            and not (cared_elsewhere and _category_wide(s.when))
            and not (no_local and s.local)
            and not (quiet and (s.local or s.deposits))
            and not ((hold or first) and s.id in HELD_STATEMENTS)
        ]
    )
    staging = stage_cvi(evidence, kb, lang=lang) if staging_relevant(evidence, kb, posterior) else None
    shown = shown_by_a_defining_feature(kb, scores)
    return ManagementReport(
        case_id=case.id,
        category=category,
        diagnosis=top_id,
        diagnosis_name=top_name,
        diagnosis_probability=top_p,
        diagnosis_given=diagnosis is not None,
        category_probability=float(categories.get(category, 0.0)),
        diagnosis_form=None if top_form is None else top_form.form.names.get(lang),
        statements=statements,
        options=options,
        avoid=avoid,
        staging=staging,
        followup=followup_plan(
            kb,
            category,
            lang=lang,
            form=None if top_form is None else top_form.key,
            diagnosis=top_id,
            age=pt.age,
            in_an_organ=no_local,
            organ_deposits=in_the_organs(case, kb),
            possible={d.id for i, d in enumerate(kb.diseases) if posterior[i] >= kb.must_not_miss_threshold},
            present=evidence.present_features(),
            panel_left_out=any(part.id == PANEL_LEFT_OUT for part in report.workup_left_out),
            emergencies=sorted(emergencies),
            playing=in_play(kb, posterior, forms, top_id),
            cancer_first=next((kb.diseases[i].id for _, i in first if kb.cancer_to_exclude(kb.diseases[i].id)), None)
            if diagnosis is None
            else None,
            watch=[
                (d.id, float(posterior[i]))
                for i, d in enumerate(kb.diseases)
                # the diagnoses must_not_miss.yaml follows on their own schedule until excluded,
                # with a defining feature in the case (weekly wound visits were set for a
                # calciphylaxis at 2 % with no skin sign: a re-review)
                if d.id != top_id
                and d.id in kb.followed_until_excluded
                and d.category != category
                and posterior[i] >= kb.must_not_miss_threshold
                and d.id in shown
            ],
        ),
        warnings=report.warnings,
        kb_version=kb.version,
        calcinosis_version=__version__,
        disclaimer=message("disclaimer", lang),
    )
