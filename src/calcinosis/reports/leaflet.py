"""The patient leaflet of one case: which condition it names and which text each section uses.

A leaflet that ignores the case misleads: a dialysis patient with calciphylaxis must not read
"a normal life is usually possible", a shoulder-tendinitis patient must not read about finger
nodules and scleroderma. For each section of ``leaflet.yaml`` the leaflet uses the most
specific variant of ``leaflet_by_condition.yaml`` that fits the case: written for the leading
diagnosis, else for its group (the connective-tissue diseases), else for its category, else
the general text. A variant is used only when the engine is confident enough in what it is
written for (``CONFIDENT``); otherwise the leaflet stays general and says that the cause is
still being looked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from calcinosis.engine.diagnose import SEVERE_HYPERCALCAEMIA, SEVERE_HYPOCALCAEMIA, URGENT_CODES
from calcinosis.engine.evidence import Evidence, collect_evidence
from calcinosis.engine.results import DiagnosisReport, DiagnosisResult
from calcinosis.engine.workup import HOLDS, PANEL_LEFT_OUT, in_the_organs, out_of_reach
from calcinosis.i18n import inline, message
from calcinosis.kb.deferred_schema import InPlayWords
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import LeafletVariant, WarningSign, form_key, said_for
from calcinosis.management.manage import in_play, listed
from calcinosis.management.options import caution_applies, measured_values, without_symptoms

CALCIUM_EMERGENCIES = frozenset({SEVERE_HYPERCALCAEMIA, SEVERE_HYPOCALCAEMIA})
"""The emergencies whose urgent note says the calcium's own signs."""

__all__ = ["CONFIDENT", "YOUNG_INFANT_YEARS", "Leaflet", "LeafletPart", "build_leaflet"]

CONFIDENT = 0.5
"""Probability at which the leaflet names a diagnosis (or a category) as the likely one and
uses its texts: below it, the leaflet names the possibilities and stays general (judgement:
a patient text should not describe a disease the doctors consider less likely than not)."""

UNNAMED_UNCONFIRMED_GROUPS = frozenset({"connective_tissue"})
"""The groups of diagnoses (systemic diseases of their own) that the leaflet does not name while
none of their defining features is reported (``DiagnosisResult.unconfirmed``)."""


YOUNG_INFANT_YEARS = 0.25
"""Under 3 months, a temperature of 38 °C or more is a high-risk ('red') feature of NICE NG143,
whatever else the child has: the leaflet sends such a baby to the emergency department."""


@dataclass(frozen=True)
class LeafletPart:
    """One section as shown: its title, text and where the text comes from."""

    id: str
    title: str
    text: str
    written_for: str  # "general", or the form / diagnosis / group / category it was written for
    references: tuple[str, ...]


@dataclass(frozen=True)
class Leaflet:
    """The leaflet of a case: what it names, and its sections."""

    heading: str
    named: str  # the condition named, or "" when the cause is uncertain
    sections: tuple[LeafletPart, ...]
    # the leaflet's title: 'Calcinosis: information for patients', or the named diagnosis' own
    # (leaflet_by_condition.yaml ``heading``: 'Gout: information for patients')
    title: str = ""
    word_note: str = ""  # what a frightening word of the heading means here ('metastatic'), or ""
    reader_note: str = ""  # for a child: the leaflet speaks to the parents, or ""
    urgent_note: str = ""  # a calcium to correct now, in the patient's words, or ""


# 'Metastatic' in a calcinosis' name means calcium carried by the blood (seed 001's metabolic
# category), and a patient reads it as a spreading cancer: a heading that uses the word says so.
_METASTATIC = {"en": re.compile(r"\bmetastatic\b", re.I), "fr": re.compile(r"\bmétastatiques?\b", re.I)}


def _score(variant: LeafletVariant, form: str, diagnosis: str, group: str, category: str) -> int:
    if form and form in variant.forms:
        return 4
    if diagnosis in variant.diagnoses:
        return 3
    if group in variant.groups:
        return 2
    if category in variant.categories:
        return 1
    return 0


VITAMIN_D_EXPOSURES = frozenset({"vitamin_d_high_dose", "active_vitamin_d"})
"""Exposures of the case format that give vitamin D (a child's drops are then not said to be kept)."""


def _vitamin_d_in_play(report: DiagnosisReport, kb: KnowledgeBase, diagnosis: str) -> bool:
    """Whether vitamin D may be part of the problem: a raised calcium, or vitamin D a cause
    (:func:`_vitamin_d_cause`)."""
    return _calcium_raised(report) or _vitamin_d_cause(report, kb, diagnosis)


def _vitamin_d_cause(report: DiagnosisReport, kb: KnowledgeBase, diagnosis: str) -> bool:
    """Whether vitamin D is a cause here: a vitamin D exposure reported, or a leading diagnosis
    whose calcium vitamin D drives (the diagnosis' ``vitamin_d`` in the knowledge: an
    intoxication, a sarcoidosis' granulomas), named or not."""
    taken = VITAMIN_D_EXPOSURES & set(report.case.exposures)
    leading = {diagnosis, report.differential[0].diagnosis if report.differential else ""} - {""}
    return bool(taken) or any(kb.disease(d).vitamin_d is not None for d in leading)


def _calcium_raised(report: DiagnosisReport) -> bool:
    """Whether the case's calcium is raised, read as the best measure it has: ionised, else
    albumin-corrected, else total (a total of 2.50 mmol/L with an albumin of 25 g/L is a corrected
    2.80, raised; a total of 2.70 with an albumin of 48, a corrected 2.54, is not: a code review)."""
    for test in ("ionized_calcium", "corrected_calcium", "calcium"):
        status = report.labs.status(test)
        if status != "unknown":
            return status == "high"
    return False


def _kidney_failure(report: DiagnosisReport, kb: KnowledgeBase) -> bool:
    """Whether the case's eGFR (entered or computed) is below the kidney-failure threshold, as
    the evidence reads it (``lab:egfr_below_15``: the lowest reading)."""
    egfr = report.labs.tests.get("egfr")
    values = [r.value_si for r in egfr.readings if r.value_si is not None] if egfr is not None else []
    return bool(values) and min(values) < kb.threshold("egfr_failure")


def _infection_signs(report: DiagnosisReport, kb: KnowledgeBase) -> bool:
    """Whether the case reports what makes manage hold procedures on the mass for an infection
    (``management.yaml infection_signs``: a fever, a local infection, a raised white count)."""
    findings = {f"finding:{term}" for term in report.case.findings}
    labs = {f"lab:{test}_high" for test in report.labs.tests if report.labs.status(test) == "high"}
    # a wound, a necrosis or an infection already there is cleaned as part of its care: the
    # sentence is for a closed lump
    signs, debrided = kb.management.infection_signs, kb.management.debrided
    return not (findings | labs).isdisjoint(signs) and findings.isdisjoint(debrided)


def _site_signs(
    report: DiagnosisReport, kb: KnowledgeBase, present: frozenset[str], playing: frozenset[str], lang: str
) -> list[str]:
    """The patient's words of the leading diagnosis' warning signs that hold for some cases only
    (followup.yaml ``when`` or ``in_play``), where this case holds them: manage's own rule
    (:func:`_said_signs`: ``when``, ``in_play``, ``unless``; a code review found the site signs
    reading ``when`` alone). The plan is the one manage follows: the leading diagnosis', named
    or not, in the form it is read in (:func:`_leading_form`)."""
    leading = report.differential[0].diagnosis if report.differential else ""
    plan = kb.followup.own(_leading_form(report) or None, leading or None, report.case.patient.age)
    return [] if plan is None else _said_signs(plan.warning_signs, present, playing, lang)


def _said_signs(signs: list[WarningSign], present: frozenset[str], playing: frozenset[str], lang: str) -> list[str]:
    """The patient's words of the ``signs`` written for some patients only (a ``when`` or an
    ``in_play``: a sign for everyone is the section's own text), those manage lists for this case
    (:func:`calcinosis.management.manage.listed`); ``playing``: the diagnoses and forms in play
    (:func:`_playing`)."""
    held = [w for w in signs if (w.when or w.in_play) and w.patient is not None and listed(w, present, playing)]
    return [w.patient.get(lang) for w in held if w.patient is not None]


def _leading_form(report: DiagnosisReport) -> str:
    """The form the leading diagnosis is read in ('diagnosis/form'), or '' when it is read in its
    own findings or has no forms: manage's ``top_form``, whose follow-up the clinician reads."""
    top = report.differential[0] if report.differential else None
    if top is None or top.form is None or top.form.id == MAIN_FORM:
        return ""
    return form_key(top.diagnosis, top.form.id)


def _context_signs(kb: KnowledgeBase, present: frozenset[str], playing: frozenset[str], lang: str) -> list[str]:
    """The patient's words of the general warning signs that hold for some patients only
    (followup.yaml ``when`` or ``in_play``: a fever on chemotherapy), where this case holds them
    (:func:`_said_signs`, as the leading diagnosis' own signs are read)."""
    return _said_signs(kb.followup.warning_signs, present, playing, lang)


def _playing(report: DiagnosisReport, kb: KnowledgeBase, posterior: np.ndarray) -> frozenset[str]:
    """The diagnoses and the forms in play, read from the differential's ``posterior``
    (:func:`_posterior`) and its forms' probabilities (:func:`_form_masses`) at the management
    floor, the leading one always (manage's :func:`calcinosis.management.manage.in_play`: a code
    review found the leaflet reading the diagnoses without their forms)."""
    leading = report.differential[0].diagnosis if report.differential else ""
    return in_play(kb, posterior, _form_masses(report, kb), leading) - {""}


MAIN_FORM = "main"
"""The id the result gives a diagnosis read in its own findings (``FormShown.id``), not in a form."""


def _form_masses(report: DiagnosisReport, kb: KnowledgeBase) -> dict[str, float]:
    """'diagnosis/form' -> the probability of that form, as manage's
    :func:`~calcinosis.management.manage.form_masses` has it, read from the result: each diagnosis
    with forms shows the one that carries most of its likelihood for the case and that share
    (``DiagnosisResult.form``); its mass is the diagnosis' probability times the share. The rest
    of the likelihood is the diagnosis' other row's when it has one other (its own findings and
    one form, as every diagnosis with forms has); with several, the result does not say how the
    rest divides, and none of them is put in play on a guess."""
    masses: dict[str, float] = {}
    for d in report.differential:
        if d.form is None:
            continue
        rows = [MAIN_FORM, *(f.id for f in kb.disease(d.diagnosis).forms)]
        share = {d.form.id: d.form.likelihood_share}
        others = [r for r in rows if r != d.form.id]
        if len(others) == 1:
            share[others[0]] = 1.0 - d.form.likelihood_share
        masses |= {form_key(d.diagnosis, r): d.probability * w for r, w in share.items() if r != MAIN_FORM}
    return masses


def _general_lines(
    kb: KnowledgeBase, section: str, present: frozenset[str], playing: frozenset[str], lang: str
) -> list[str]:
    """The sentences of a section's general text written for some patients (leaflet.yaml
    ``lines``), those that hold for this case: 'new hard lumps' for deposits in or under the skin
    or a lump felt, not for a shoulder's tendon or a vessel (a clinical review)."""
    lines = next((s.lines for s in kb.leaflet.sections if s.id == section), [])
    return [line.get(lang) for line in lines if listed(line, present, playing)]


def _calcium_reader(report: DiagnosisReport, kb: KnowledgeBase) -> str:
    """The suffix of the messages that say a raised calcium's signs to this patient: '_infant',
    '_dialysis', '_kidney' or ''. Thirst and 'a lot of urine' are for a patient who can feel and
    pass them: a dialysis patient has a fluid allowance and little or no urine (a clinical
    review), a kidney failure not (yet) on dialysis little urine too, its fluids set by the
    kidney team (a woman with an eGFR of 12 was told to 'pass a lot of urine'); a baby has no
    thirst to tell, no extra water and no vitamin D drops (the parents of a 35-day-old were told
    to 'drink enough water'). A baby's words come first."""
    if report.case.patient.age < kb.threshold("infant_age_years"):
        return "_infant"
    if "dialysis" in report.case.history:
        return "_dialysis"
    return "_kidney" if _kidney_failure(report, kb) else ""


def _urgent_key(code: str, report: DiagnosisReport, kb: KnowledgeBase) -> str:
    """The message of the urgent note of one emergency: a calcium too high says its signs in the
    words this patient can use (:func:`_calcium_reader`), as the signs of a raised calcium not
    urgent today do (a clinical review: a haemodialysis patient at 3.39 mmol/L read 'great
    thirst, passing a lot of urine')."""
    key = f"leaflet_urgent_{code.removeprefix('engine.')}"
    return key + _calcium_reader(report, kb) if code == SEVERE_HYPERCALCAEMIA else key


def _posterior(report: DiagnosisReport, kb: KnowledgeBase) -> np.ndarray:
    """The diagnoses' probabilities as manage reads them, rebuilt from the differential: it holds
    every diagnosis from constants.yaml differential_min_probability (0.1 %), far under the
    management floor (management.yaml min_probability, 10 %) that the diagnoses in play and the
    cautions' diagnoses are read at; the rest are 0 here, as they are under it there."""
    posterior = np.zeros(len(kb.diseases))
    for d in report.differential:
        posterior[kb.disease_pos(d.diagnosis)] = d.probability
    return posterior


NSAIDS = "nsaids"
"""The treatment file whose cautions say, in the patient's words, why the anti-inflammatories
sold without prescription are not taken without advice (its cautions' ``patient``)."""


def _no_nsaids(report: DiagnosisReport, kb: KnowledgeBase, ev: Evidence, posterior: np.ndarray, lang: str) -> str:
    """'Do not take anti-inflammatories without medical advice', with the reasons of the NSAID
    cautions that hold for the case, as manage reads them (``caution_applies``: read for no one
    diagnosis, as the leaflet names no option; ``posterior``: :func:`_posterior`), or ''."""
    nsaids = kb.treatments.get(NSAIDS)
    if nsaids is None:
        return ""
    measured = measured_values(report.labs, report.case.patient.age)
    held = [
        c
        for c in nsaids.cautions
        if c.patient is not None and caution_applies(c, ev, kb=kb, posterior=posterior, measured=measured)
    ]
    if not held:
        return ""
    # a contraindication that holds is said alone, as manage shows it (a dialysis patient read
    # 'kidneys that work less well' beside 'kidneys that work very little')
    if any(c.severity == "contraindication" for c in held):
        held = [c for c in held if c.severity == "contraindication"]
    reasons = [c.patient.get(lang) for c in held if c.patient is not None]
    return message("leaflet_no_nsaids", lang, reasons=message("list_separator", lang).join(dict.fromkeys(reasons)))


IN_PLAY_MAX = 3
"""At most this many diagnoses in play (management.yaml min_probability) have their words in the
leaflet's causes and treatments, the likeliest first: a diagnosis below it is not described to
the patient as what their doctors are looking at."""


def _likeliest_in_play(report: DiagnosisReport, kb: KnowledgeBase) -> list[DiagnosisResult]:
    """The diagnoses in play the leaflet describes: the likeliest ``IN_PLAY_MAX`` of the
    differential at the management floor (management.yaml min_probability)."""
    floor = kb.management.min_probability
    return [d for d in report.differential[:IN_PLAY_MAX] if d.probability >= floor]


def _in_play(
    variant: LeafletVariant,
    kb: KnowledgeBase,
    likeliest: list[DiagnosisResult],
    present: frozenset[str],
    lang: str,
) -> str:
    """``variant``'s ``in_play`` text filled with the words of the diagnoses in play that have
    their own (leaflet.yaml in_play, a form's first), else its own text: the category's list of
    every cause and treatment is for a leaflet whose diagnoses have none. ``likeliest``: the
    diagnoses in play it may describe (:func:`_likeliest_in_play`, listed once per leaflet)."""
    text = variant.fr if lang == "fr" else variant.en
    if variant.in_play is None:
        return text
    words: list[tuple[InPlayWords, float]] = []
    for d in likeliest:
        key = form_key(d.diagnosis, d.form.id) if d.form is not None else ""
        own = kb.leaflet.in_play.get(key) or kb.leaflet.in_play.get(d.diagnosis)
        if own is not None:
            words.append((own, d.probability))
    if not words:
        return text
    causes = [w.cause.get(lang) for w, _ in words]
    said = (
        causes[0] if len(causes) == 1 else f" {message('leaflet_or', lang)} ".join([", ".join(causes[:-1]), causes[-1]])
    )
    care = message("list_separator", lang).join(_care(w, p, present, lang) for w, p in words)
    return variant.in_play.get(lang).format(causes=said, care=care)


def _care(words: InPlayWords, probability: float, present: frozenset[str], lang: str) -> str:
    """A diagnosis' care as this patient reads it: on dialysis, its words for dialysis (a woman on
    haemodialysis read 'kidney care and, if needed, dialysis'); while the diagnosis is only
    possible (below ``CONFIDENT`` and none of its ``known_by`` reported), its words of a
    possibility (a man whose sarcoidosis led read 'the treatment of the cancer' as if a cancer
    were established: a clinical review)."""
    if words.care_dialysis is not None and "condition:dialysis" in present:
        return words.care_dialysis.get(lang)
    if words.care_possible is not None and probability < CONFIDENT and present.isdisjoint(words.known_by):
        return words.care_possible.get(lang)
    return words.care.get(lang)


def _for_age(variant: LeafletVariant, age: float) -> bool:
    """Whether ``variant`` is written for a patient of ``age`` (years)."""
    return (variant.min_age is None or age >= variant.min_age) and (variant.max_age is None or age < variant.max_age)


def _for_context(variant: LeafletVariant, present: frozenset[str]) -> bool:
    """Whether ``variant`` is written for the patient's context as the case states it (``present``:
    the features reported present): one of its ``when`` (if any), none of its ``unless``; the one
    rule the signs and the lines read (:func:`calcinosis.kb.schema.said_for`), a variant having no
    ``in_play`` of its own."""
    return said_for(variant.when, (), variant.unless, present, frozenset())


def _also_watched(report: DiagnosisReport, kb: KnowledgeBase, named: str, text: str, lang: str) -> str:
    """``when_to_consult`` with the signs to watch for of each diagnosis that must not be missed
    and is still possible (must_not_miss.yaml threshold and patient_signs) but is not the one
    the leaflet is written for: a dialysis patient whose leading diagnosis is another calcinosis
    is told the first signs of calciphylaxis too."""
    watched = [
        d
        for d in report.differential
        if d.diagnosis != named
        and d.diagnosis in kb.must_not_miss_signs
        and d.probability >= kb.must_not_miss_threshold
    ]
    # the leading diagnosis, not named because not confident, comes first and is said as the
    # likeliest (an English clinical review: a leading calciphylaxis with ulcers read as a remote
    # possibility at the end of the general signs)
    leading = report.differential[0].diagnosis if report.differential else ""
    first: list[str] = []
    added: list[str] = []
    for d in watched:
        leads = d.diagnosis == leading
        said = message(
            "leaflet_leading_watch" if leads else "leaflet_also_watch",
            lang,
            name=_plain_name(kb, d.diagnosis, lang),
            text=kb.must_not_miss_signs[d.diagnosis].get(lang),
        )
        (first if leads else added).append(said)
    return " ".join([*first, text, *added])


def _held_for(report: DiagnosisReport, kb: KnowledgeBase, named: str, text: str, lang: str) -> str:
    """``treatment`` with the hold that manage puts on every procedure on the mass while a
    must-not-miss diagnosis cared for elsewhere (a sarcoma) is still possible
    (``to_exclude_first``: same threshold, same diagnoses): a patient whose leaflet says a lump
    'can sometimes be removed by surgery' may accept the unplanned excision that worsens a
    sarcoma's prognosis (ESMO-EURACAN 2018). Said once; not when the leaflet is written for that
    diagnosis, whose own text already says it. Said too when the work-up refers a deep mass of
    unestablished cause to a sarcoma centre (``DEEP_MASS_STEP``), on which manage holds them too."""
    if named and kb.cancer_to_exclude(named):
        return text  # the leaflet of a sarcoma: its own text says it (a French review found it twice)
    keys = _holds(report)
    text = " ".join([text, *(message(key, lang) for key in keys)])
    if "leaflet_exclude_first" in keys:
        return text
    return " ".join([text, message("leaflet_exclude_first", lang)]) if _cancer_held(report, kb, named) else text


def _holds(report: DiagnosisReport) -> list[str]:
    """The leaflet keys of the holds manage puts on procedures for this case's work-up steps
    (engine.workup.HOLDS): a biopsy or an injection in FOP is harm for life; a breast lump goes to
    the breast clinic first; a deep or growing mass to a sarcoma centre."""
    steps = {w.id for w in report.workup_steps}
    return list(dict.fromkeys(h.leaflet for step, h in HOLDS.items() if step in steps))


def _cancer_held(report: DiagnosisReport, kb: KnowledgeBase, named: str) -> bool:
    """Whether a cancer cared for elsewhere (a sarcoma), other than ``named``, is still possible
    (manage's ``to_exclude_first``: same threshold, same diagnoses)."""
    return any(
        d.diagnosis != named and kb.cancer_to_exclude(d.diagnosis) and d.probability >= kb.must_not_miss_threshold
        for d in report.differential
    )


def _lump_to_examine(report: DiagnosisReport, kb: KnowledgeBase) -> bool:
    """Whether the lump is to be examined by a specialised team before any procedure (a sarcoma
    still possible, or a deep mass referred to a sarcoma centre): the leaflet then does not open
    on a list of tumour names nor on 'probably calcium in damaged tissue' (a French clinical
    review: 'probably calcium deposited in damaged tissue (possibilities: synovial sarcoma, ...)')."""
    return _cancer_held(report, kb, "") or "leaflet_exclude_first" in _holds(report)


def _plain_name(kb: KnowledgeBase, diagnosis: str, lang: str, *, short: bool = False) -> str:
    """A diagnosis, or a form of one ('diagnosis/form'), as the patient reads it (leaflet.yaml
    plain_names, one per diagnosis and form: the loader refuses a knowledge base without it; a
    leaflet opened on the form's clinician label, « Non-uraemic calciphylaxis (no kidney
    failure) », capital and all: a code review), or its name alone (``short``: in a list of
    possibilities)."""
    text = kb.leaflet.plain_names[diagnosis].get(lang)
    return text.split(", ", 1)[0] if short else text


def _as_planned(
    section: str,
    target: str,
    text: str,
    report: DiagnosisReport,
    kb: KnowledgeBase,
    ev: Evidence,
    likeliest: list[DiagnosisResult],
    lang: str,
) -> str:
    """A section's text as the clinician's plan has it for this case (a clinical review found
    the leaflet contradicting it): no treatment of the deposits when manage lists none, found
    without symptoms (whatever the text was written for: a scleroderma patient read of
    diltiazem, colchicine and surgery); the general tests without the blood panel a
    proportionate work-up left out; the general signs of deposits in an organ, not of a lump
    under the skin; the rare-disease centres only for a rare diagnosis in play (``likeliest``:
    :func:`_likeliest_in_play`)."""
    if section == "treatment" and without_symptoms(report.case, ev, kb):
        return message("leaflet_treatment_not_needed", lang)
    if target != "general":
        return text
    if section == "tests" and PANEL_LEFT_OUT in {w.id for w in report.workup_left_out}:
        return message("leaflet_tests_no_panel", lang)
    if section == "what_you_notice" and out_of_reach(report.case, ev, kb):
        return message("leaflet_notice_organs", lang)
    if section == "support" and _rare_in_play(kb, likeliest):
        return " ".join([text, message("leaflet_rare_centres", lang)])
    return text


def _rare_in_play(kb: KnowledgeBase, likeliest: list[DiagnosisResult]) -> bool:
    """Whether a diagnosis in play (``likeliest``: at the management floor, the likeliest ``IN_PLAY_MAX``) is a
    rare disease, read as one that Orphanet lists (an ORPHA code in its file): a man with a calcific tendinitis
    of the wrist read that 'rare diseases have reference centres' (a clinical review). Judgement:
    Orphanet's list is the rare-disease reference the French centres follow."""
    return any(kb.disease(d.diagnosis).codes.orpha for d in likeliest)


_TUMORAL = {"en": re.compile(r"\btumou?ral\b", re.I), "fr": re.compile(r"\btumorales?\b", re.I)}
"""'Tumoral' in a calcinosis' name means 'forming a mass' (seed 001's tumoral calcinosis): a
patient reads it as a cancer."""


def _word_notes(heading: str, texts: list[str], lang: str) -> str:
    """What a frightening word of the leaflet means here: 'metastatic' in the heading, 'tumoral'
    wherever a tumoral calcinosis is named (a clinical review: the parents of a boy of 16 read
    « calcinose tumorale familiale » with no word that it is not a cancer), unless the heading
    already says it (the category's own words)."""
    notes = []
    metastatic = _METASTATIC.get(lang)
    if metastatic is not None and metastatic.search(heading):
        notes.append(message("leaflet_metastatic_word", lang))
    tumoral = _TUMORAL.get(lang)
    explained = message("leaflet_what_tumoral", lang) in heading
    if tumoral is not None and not explained and any(tumoral.search(t) for t in (heading, *texts)):
        notes.append(message("leaflet_tumoral_word", lang))
    return " ".join(notes)


def build_leaflet(report: DiagnosisReport, kb: KnowledgeBase, *, lang: str) -> Leaflet:
    """The leaflet of ``report``'s case in ``lang``."""
    top = report.differential[0]
    disease = kb.disease(top.diagnosis)
    cat_p = report.category_probabilities[report.category]
    form = ""
    # a cancer the work-up has still to confirm is not named to the patient (a French clinical
    # review: 'the most likely cause being considered is: soft-tissue osteosarcoma, a rare
    # malignant tumour', before any biopsy); the lump is to be examined by a specialised team
    cancer = kb.cancer_to_exclude(disease.id)
    systemic = disease.group in UNNAMED_UNCONFIRMED_GROUPS and disease.id not in kb.must_not_miss
    if cancer and top.probability >= CONFIDENT and disease.id not in report.case.history:
        diagnosis, group, category = disease.id, disease.group, disease.category  # its sections: the specialised team
        named = ""
        heading = message("leaflet_lump_to_examine", lang)
    # nor a systemic disease held on the presentation alone, none of its own signs reported (a
    # clinical review: the parents of a girl of 6 with no weakness, rash or raised enzyme read
    # that juvenile dermatomyositis was the likeliest cause): the cause is still being looked
    # for. Judgement: only a disease of its own (a connective tissue disease) is not named; a
    # diagnosis that is the lump itself (a newborn's fat necrosis) or that must not be missed (a
    # calciphylaxis, whose fever or black skin send to the emergency department) keeps its
    # sections, whose signs to act on matter more than the doubt
    elif top.probability >= CONFIDENT and not (top.unconfirmed and systemic):
        diagnosis, group, category = disease.id, disease.group, disease.category
        named = _plain_name(kb, disease.id, lang)
        if _leading_form(report):  # read in one of its forms: named as it, in the patient's words
            form = _leading_form(report)
            named = _plain_name(kb, form, lang)
        # a disease the history already gives is not 'to be confirmed': a woman with a lupus
        # known for years read that her doctor would tell her when it is (a clinical review)
        known = not form and disease.id in report.case.history
        heading = message("leaflet_named_known" if known else "leaflet_named", lang, name=inline(named, lang))
    elif _lump_to_examine(report, kb):  # a sarcoma to exclude: no tumour names, no 'probably'
        diagnosis, group, category = "", "", report.category if cat_p >= CONFIDENT else ""
        named = ""
        heading = message("leaflet_lump_to_examine", lang)
    elif cat_p >= CONFIDENT:
        diagnosis, group, category = "", "", report.category
        spec = kb.categories[report.category]
        named = spec.fr if lang == "fr" else spec.en
        # the possibilities of that category (a French clinical review read 'probably a
        # dystrophic calcinosis (possibilities: calciphylaxis, ...)'; a must-not-miss of another
        # category is said with its signs to watch for)
        within = [d for d in report.differential if d.category == report.category][:3] or report.differential[:3]
        options = ", ".join(_plain_name(kb, d.diagnosis, lang, short=True) for d in within)
        what = message(f"leaflet_what_{report.category}", lang)
        heading = message("leaflet_category", lang, what=what, options=options)
    else:
        diagnosis = group = category = ""
        named = ""
        options = ", ".join(_plain_name(kb, d.diagnosis, lang, short=True) for d in report.differential[:3])
        heading = message("leaflet_uncertain", lang, options=options)
    # the emergency the report opens on comes first for the patient too: the parents of a newborn
    # whose calcium was 1.55 mmol/L read only of 'too much calcium', to be seen the same day
    # every emergency, in the report's order (a code review: a tumour lysis with a severe low
    # calcium said only the haematology note, and the seizure signs went nowhere)
    urgent = [i.code for i in report.issues if i.code in URGENT_CODES]
    parts = []
    title = message("leaflet_title", lang)
    age = report.case.patient.age
    ev = collect_evidence(report.case, report.labs, kb)
    present = ev.present_features()
    # the diagnoses' probabilities and those in play, rebuilt once from the differential for the
    # lines, the signs and the cautions that read them
    posterior = _posterior(report, kb)
    playing = _playing(report, kb, posterior)
    likeliest = _likeliest_in_play(report, kb)  # those whose words the sections say
    for section in kb.leaflet.sections:
        candidates = [
            (score, v)
            for v in kb.leaflet_variants.variants
            if v.section == section.id
            and _for_age(v, age)
            and _for_context(v, present)
            and (score := _score(v, form, diagnosis, group, category)) > 0
        ]
        if candidates:
            # the most specific: its level first, then one written for the patient's context
            score, variant = max(candidates, key=lambda sv: (sv[0], bool(sv[1].when)))
            target = {4: form, 3: diagnosis, 2: group, 1: category}[score]
            text = _in_play(variant, kb, likeliest, present, lang)
            refs = tuple(variant.references)
            title_of = (variant.title or section.title).get(lang)
            # a diagnosis the leaflet names, with its own heading: the leaflet is headed with it
            # (its form's or its own variant; a cancer still to confirm is not named, nor headed)
            if variant.heading is not None and named and target in (form, diagnosis):
                title = variant.heading.get(lang)
        else:
            target, text, refs = "general", section.fr if lang == "fr" else section.en, tuple(kb.leaflet.references)
            title_of = section.title.get(lang)
            # a baby's parents: no 'more difficulty moving, or pain that stops you doing things'
            # to tell (a clinical review, a 35-day-old), what they can see instead
            if section.id == "when_to_consult" and age < kb.threshold("infant_age_years"):
                text = message("leaflet_when_to_consult_infant", lang)
            else:  # its sentences for some patients first ('new hard lumps': lumps in play)
                text = " ".join([*_general_lines(kb, section.id, present, playing, lang), text])
        if section.id == "when_to_consult":
            text = _also_watched(report, kb, diagnosis, text, lang)
            # deposits in an organ: the signs of that organ, as manage's follow-up adds them (a
            # French clinical review: lung calcification, and no word of breathing)
            organs = kb.followup.in_the_organs
            if organs is not None and in_the_organs(report.case, kb):
                # in the words of the patient's age (a baby's parents read 'if you become more
                # breathless': a clinical review)
                # (manage's rule, ``in_play`` included, as the other signs: :func:`_said_signs`)
                fits = [w for w in organs.warning_signs if listed(w, present, playing)]
                text = " ".join([text, *(w.patient.get(lang) for w in fits if w.patient is not None)])
            # the leading diagnosis' signs of one site (an English clinical review: a dysphagic
            # neck read no word of swallowing or breathing)
            text = " ".join([text, *_site_signs(report, kb, present, playing, lang)])
            # the general signs written for some patients only (followup.yaml ``when``), first: a
            # febrile child on chemotherapy read 'fever: see a doctor promptly' (a clinical review)
            text = " ".join([*_context_signs(kb, present, playing, lang), text])
            # a fever under 3 months is an emergency whatever the calcinosis (NICE NG143): the
            # parents of a 27-day-old read "fever: see a doctor promptly" (a clinical review);
            # the newborn's own text (subcutaneous fat necrosis) already says it
            if age < YOUNG_INFANT_YEARS and not target.endswith("/newborn"):
                text = " ".join([message("leaflet_young_infant", lang), text])  # before the general signs
            # a raised calcium not urgent today: its signs, for the patient to come back (a woman
            # of 77 at 2.85 mmol/L read of lumps and calciphylaxis only: a clinical review); the
            # urgent note says them when the calcium is the emergency
            if _calcium_raised(report) and not CALCIUM_EMERGENCIES & set(urgent):
                text = " ".join([text, message(f"leaflet_hypercalcaemia_signs{_calcium_reader(report, kb)}", lang)])
        elif section.id == "daily_life" and target == "general" and age < kb.threshold("child_age_years"):
            # a child's vitamin D drops are kept; said to a child's parents only (two clinical
            # reviews: six adults of 39 to 74 read of 'the usual daily vitamin D of young children'),
            # and never where vitamin D or a raised calcium is in play (a code review and a French
            # clinical review: a toddler poisoned by vitamin D was told to keep his drops, beside
            # 'give no vitamin D drops until the doctor says so'): then none is given, said once
            if not _vitamin_d_in_play(report, kb, diagnosis):
                text = " ".join([text, message("leaflet_child_vitamin_d", lang)])
            elif not (_calcium_raised(report) and age < kb.threshold("infant_age_years")):  # a baby's signs say it
                text = " ".join([text, message("leaflet_child_no_vitamin_d", lang)])
        elif section.id == "daily_life" and target == "general" and _vitamin_d_cause(report, kb, diagnosis):
            # an adult whose vitamin D is a cause takes none, as the plan says ('no vitamin D
            # supplement meanwhile'): the general 'no high doses of vitamin D without medical
            # advice' read as if a usual dose were fine (a review of the dev leaflets: a woman of
            # 67 with a vitamin D intoxication). A raised calcium alone does not say it: a
            # parathyroid patient's low vitamin D may be corrected (a clinician's choice)
            text = " ".join([text, message("leaflet_no_vitamin_d", lang)])
        text = _as_planned(section.id, target, text, report, kb, ev, likeliest, lang)
        if section.id == "daily_life":
            # over-the-counter anti-inflammatories, where manage avoids them (a clinical review: a
            # dialysis patient, a woman with cirrhosis and a pregnant woman read no word of them)
            text = " ".join(t for t in (text, _no_nsaids(report, kb, ev, posterior, lang)) if t)
        elif section.id == "treatment":
            text = _held_for(report, kb, diagnosis, text, lang)
            if _infection_signs(report, kb):  # as manage holds procedures on the mass (a re-review)
                text = " ".join([text, message("leaflet_infection_first", lang)])
        parts.append(LeafletPart(section.id, title_of, text, target, refs))
    note = _word_notes(heading, [p.text for p in parts], lang)
    child = age < kb.threshold("child_age_years")
    infant = age < kb.threshold("infant_age_years")
    reader = message("leaflet_for_parents_infant" if infant else "leaflet_for_parents", lang) if child else ""
    said = " ".join(message(_urgent_key(code, report, kb), lang) for code in urgent)
    return Leaflet(
        heading=heading,
        named=named,
        sections=tuple(parts),
        word_note=note,
        reader_note=reader,
        urgent_note=said,
        title=title,
    )
