"""The one-page summary that comes first in the terminal, the HTML and the PDF.

A clinician reads the first screen: the category, the three leading diagnoses with their
probabilities and their two or three strongest reasons, the warnings and the must-not-miss
diagnoses (calciphylaxis, malignancy) still in play, and the next step. Everything else is
detail (``--full`` in the terminal, the later pages of the PDF). The summary is built from the
same result objects as the rest, so it can never disagree with the details.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from calcinosis.engine.diagnose import URGENT_CODES
from calcinosis.engine.evidence import age_features
from calcinosis.engine.reasons import stated
from calcinosis.engine.results import DiagnosisReport, DiagnosisResult
from calcinosis.engine.workup import HOLDS
from calcinosis.i18n import colon, message, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.management.results import ManagementReport, TreatmentOption, managed_as_id

__all__ = ["Summary", "SummaryDiagnosis", "build_summary"]

REASONS_SHOWN = 3


@dataclass(frozen=True)
class SummaryDiagnosis:
    """One of the leading diagnoses, with its strongest reasons."""

    diagnosis: str
    name: str
    probability: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """The first page."""

    category: str
    category_probability: str
    category_explanation: str
    leading: tuple[SummaryDiagnosis, ...]
    must_not_miss: tuple[str, ...]
    warnings: tuple[str, ...]
    next_steps: tuple[str, ...]
    disclaimer: str
    measured: str | None = None  # how often the engine has been right on unseen published patients
    urgent: tuple[str, ...] = ()
    """The emergencies, also the first next steps: for a view that shows no next steps (the CDS card)."""


def _reasons(report: DiagnosisReport, kb: KnowledgeBase, index: int, lang: str) -> tuple[str, ...]:
    d = report.differential[index]
    strongest = sorted(d.evidence, key=lambda c: -abs(math.log(c.likelihood_ratio)) * c.weight)[:REASONS_SHOWN]
    out = []
    for c in strongest:
        f = kb.features[c.feature]
        out.append(f"{'+' if c.likelihood_ratio > 1 else '−'} {stated(f, c.state == 'present', lang, brackets=True)}")
    for block in d.unreported_blocks:  # 'defining', 'setting'
        if len(out) < REASONS_SHOWN:
            out.append("− " + message(f"{block}_prefix", lang))
    return tuple(out)


def _own_principle(management: ManagementReport, kb: KnowledgeBase) -> str | None:
    """The principle written for the leading diagnosis itself, when there is one: how it is
    cared for as another disease (``managed_as``), else a management statement that names it
    (calciphylaxis' team, a cancer's hypercalcaemia), rather than one option of many."""
    top = management.diagnosis
    by_id = {s.id: s for s in management.statements}
    if managed_as_id(top) in by_id:
        return by_id[managed_as_id(top)].text
    for spec in kb.management.statements:
        if top in spec.when.diagnoses and spec.id in by_id:
            return by_id[spec.id].text
    return None


WATCHFUL = "painless_watchful_waiting"
"""The management principle (management.yaml) that painless, uncomplicated deposits may be watched."""
DEPOSIT_MECHANISMS = ("calcium_metabolism", "inflammation", "mechanical")
"""The mechanisms of the treatments aimed at the deposits themselves, not at their cause or care."""
BEST_MIN_FIT = 0.2
"""The least fit (role weight times the probability of what it is indicated for) of the option the
summary names 'the treatment that fits best'. Judgement: stopping supplements, first line for a
milk-alkali syndrome at 5 %, was named for a lung calcification of unknown cause (a clinical
review); below a fifth of the case, the work-up is the next step, not a treatment."""


def _disease_treatment(management: ManagementReport, kb: KnowledgeBase) -> TreatmentOption | None:
    """The leading diagnosis' own treatment among the options that can start now: a treatment of
    the cause, not a last resort, whose indication names that diagnosis and needs no feature (the
    control of a juvenile dermatomyositis; not a kidney transplant read for a raised phosphate),
    fitting at least BEST_MIN_FIT; None if there is none."""
    top = management.diagnosis
    found = [
        o
        for opts in management.options.values()
        for o in opts
        if o.mechanism == "cause"
        and not o.wait_note
        and o.role != "last_resort"
        and o.fit >= BEST_MIN_FIT
        and any(top in ind.diagnoses and not ind.features for ind in kb.treatments[o.treatment].indications)
    ]
    return max(found, key=lambda o: o.fit) if found else None


def _deposits_no_better(best: TreatmentOption, own: TreatmentOption) -> bool:
    """Whether a treatment of the deposits rests on evidence no better than the disease's own
    treatment (Oxford levels, none counting as 6): the disease is then treated first. A child's
    juvenile dermatomyositis read diltiazem, first line by expert opinion and level 4, as the
    treatment that fits best, above the control of its disease activity (level 4, Fisler 2002),
    which the SHARE recommendations put first (a clinical review); a systemic sclerosis, whose
    disease control has no better than expert opinion for its calcinosis, keeps diltiazem."""
    return best.mechanism in DEPOSIT_MECHANISMS and (best.best_level or 6) >= (own.best_level or 6)


def must_not_miss_alert(report: DiagnosisReport, d: DiagnosisResult, kb: KnowledgeBase, lang: str) -> str:
    """Why ``d`` (a must-not-miss diagnosis of ``report``) must not be missed, as said in this case:
    the one choice every output shows (the summary, the PDF, CDS Hooks and the web page; a code
    review found the web page choosing its own text and missing a known cancer).

    What it asks to look for, the case may already state (a known breast cancer read 'an
    underlying cancer: look for it': a clinical review); with none of its defining features
    reported (a calciphylaxis at 3 % with no skin lesion read 'needs a specialised team now': a
    clinical review), what to watch for instead; and a painful lesion reported is examined now,
    not waited for (must_not_miss.yaml while_unshown_with: a clinical review); and the alert
    written for the patient, when there is one (must_not_miss.yaml for_patients: a child of 6 read
    'myeloma' first, a clinical review)."""
    case = report.case
    given = [
        *(f"condition:{t}" for t in case.history),
        *(f"exposure:{t}" for t in case.exposures),
        *(f"finding:{t}" for t in case.findings),
    ]
    known = kb.must_not_miss_known_reason(d.diagnosis, given, lang)
    if known:
        return known
    # the findings, with where the case locates its lesions (a site, an imaging tissue): a pain
    # with a lesion located on the body, not a back pain alone (must_not_miss.yaml with_any); and
    # the patient's age and sex (for_patients: an alert written for some patients is chosen by
    # any patient:* feature, and one for women was never said while only the age's were here)
    pt = case.patient
    findings = frozenset(
        [
            *(fid for fid, present in age_features(pt.age, kb).items() if present),
            *(["patient:female"] if pt.sex == "female" else []),
            *(["patient:postmenopausal"] if pt.postmenopausal else []),
            *(f"finding:{t}" for t in case.findings),
            *(f"site:{s}" for s in case.sites),
            *(f"tissue:{t}" for img in case.imaging for t in img.tissues),
        ]
    )
    lesion_shown = "defining" not in d.unreported_blocks
    return kb.must_not_miss_reason(d.diagnosis, shown=lesion_shown, present=findings).get(lang)


def build_summary(
    report: DiagnosisReport,
    kb: KnowledgeBase,
    *,
    lang: str,
    management: ManagementReport | None = None,
) -> Summary:
    """The summary of one case (``management`` adds the first treatment step when given)."""
    spec = kb.categories[report.category]
    leading = tuple(
        SummaryDiagnosis(
            diagnosis=d.diagnosis,
            name=d.name,
            probability=percent(d.probability, lang),
            reasons=_reasons(report, kb, i, lang),
        )
        for i, d in enumerate(report.differential[:3])
    )
    shown = {d.diagnosis for d in report.differential[:3]}
    alerts = []
    for d in report.differential:
        if d.diagnosis not in kb.must_not_miss or d.probability < kb.must_not_miss_threshold:
            continue
        where = "" if d.diagnosis in shown else f" ({percent(d.probability, lang)})"
        alerts.append(f"{d.name}{where}{colon(lang)} {must_not_miss_alert(report, d, kb, lang)}")
    # a step every procedure on the lesion waits for (engine.workup.HOLDS: a breast carcinoma to
    # exclude, a sarcoma centre) is a next step wherever the work-up lists it (a clinical review:
    # a breast eschar's carcinoma to exclude came after calciphylaxis' own steps, unread)
    steps = [w.text for i, w in enumerate(report.workup_steps) if i < 2 or w.id in HOLDS]
    # every emergency comes before any work-up, in the report's order (a code review: the second
    # of a tumour lysis and a severe low calcium was left among the warnings)
    urgent = [i for i in report.issues if i.code in URGENT_CODES]
    steps[:0] = [i.message for i in urgent]
    cared = _own_principle(management, kb) if management else None
    if cared is not None:  # the leading diagnosis' own care (a sarcoma centre, a calciphylaxis team) comes first
        steps.append(cared)
    elif management is not None:
        # a procedure on a mass that waits (for a sarcoma or an infection to be excluded) is not
        # "the treatment that fits best"
        # nor is a supportive measure (physiotherapy, wound care, pain relief) or a last resort
        # (an excision of a uraemic tumoral calcinosis): two clinical reviews
        # read "Treatment that fits best: Physiotherapy" for a uraemic tumoral calcinosis whose
        # binders waited for a phosphate, and "wound care" for a hyperphosphataemic one
        # nor a symptomatic drug (an NSAID course was 'the treatment that fits best' for a lung
        # calcification whose calcium and kidneys were unknown), nor a treatment of the deposits
        # where painless deposits may be watched (diltiazem for a painless 1 cm nodule): two
        # clinical reviews; nor an adjunct, added to a treatment, never the one to start with (a
        # French clinical review: 'the treatment that fits best: kidney transplantation' for a
        # dialysis patient whose phosphate and PTH treatments waited for their tests)
        watched = any(st.id == WATCHFUL for st in management.statements)
        options = [
            o
            for opts in management.options.values()
            for o in opts
            if not (o.wait_for or o.wait_note)
            and o.mechanism != "supportive"
            and o.role not in ("last_resort", "adjunct")
            and not kb.treatments[o.treatment].symptomatic
            and not (watched and o.mechanism in DEPOSIT_MECHANISMS)
        ]
        best = max(options, key=lambda o: o.fit) if options else None
        # an option is not 'the treatment that fits best' beside a symptomatic first line that fits
        # better (an English clinical review: shock waves 'fit best' a two-week calcific tendinitis
        # of the wrist, whose first line is an NSAID and whose own evidence says shock waves do no
        # better than placebo); the management section lists both
        relief = [
            o
            for opts in management.options.values()
            for o in opts
            if not o.wait_note and o.role == "first_line" and kb.treatments[o.treatment].symptomatic
        ]
        if best is not None and best.role != "first_line" and any(o.fit > best.fit for o in relief):
            best = None
        own = _disease_treatment(management, kb)
        if best is not None and own is not None and _deposits_no_better(best, own):
            best = own
        if best is not None and best.fit >= BEST_MIN_FIT:
            # a part of it contraindicated here is said with it (a French clinical review: 'phosphate
            # binders (sevelamer, lanthanum, calcium-based binders)' read as the best treatment, the
            # caution to avoid the calcium-based ones only in the management section)
            name = best.name
            if best.avoid_parts:
                name += message(
                    "summary_avoid_parts", lang, parts=message("list_separator", lang).join(best.avoid_parts)
                )
            steps.append(message("summary_treatment", lang, name=name))
    return Summary(
        category=spec.fr if lang == "fr" else spec.en,
        category_probability=percent(report.category_probabilities[report.category], lang),
        category_explanation=report.category_explanation,
        leading=leading,
        must_not_miss=tuple(alerts),
        warnings=tuple(i.render(lang, located=False) for i in report.issues if i not in urgent),  # said as next steps
        next_steps=tuple(steps),
        urgent=tuple(i.message for i in urgent),
        disclaimer=report.metadata.disclaimer,
        measured=report.metadata.measured.text if report.metadata.measured else None,
    )
