"""When a record earns a card, and the card: summary, markdown detail, indicator, suggestions, link.

The hook fires on every patient view; a calcinosis card on every record would be noise that
teaches clinicians to ignore it, so :func:`card_trigger` decides first. The card then says the
leading diagnoses with their strongest reasons (the report's one-page summary, so the card can
never disagree with the report), the missing work-up, what the record could not give, and
proposes the missing laboratory tests as draft ServiceRequests coded in LOINC.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from calcinosis import __version__
from calcinosis.case.model import Case
from calcinosis.engine.diagnose import URGENT_CODES
from calcinosis.engine.evidence import LAB_FEATURES, Evidence
from calcinosis.engine.results import DiagnosisReport, WorkupItem
from calcinosis.i18n import english_inline, lower_first, percent
from calcinosis.interop.cds_hooks.models import (
    SUMMARY_LIMIT,
    Action,
    Card,
    Coding,
    HookRequest,
    Link,
    Source,
    Suggestion,
)
from calcinosis.interop.cds_hooks.record import Record
from calcinosis.interop.cds_hooks.texts import key_name, t
from calcinosis.interop.fhir.mapping import FhirImport
from calcinosis.kb.codes import SYSTEMS, CodeTable
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import WorkupStep
from calcinosis.textsafe import plain

__all__ = ["DERIVED_TESTS", "LESION_NAMESPACES", "Trigger", "build_card", "card_trigger", "lab_orders", "md"]

SHOWN_NOT_USED = 5  # elements of the record that could not be used, listed by name in the detail
TOPIC = {"system": "urn:calcinosis:cds-hooks", "code": "soft-tissue-calcification"}
# A diagnosis' defining features that are a lesion the record shows (not a background condition or a lab):
# what a must-not-miss diagnosis needs, beside its probability, to earn a card on a record that names no
# calcification (calciphylaxis: skin necrosis, retiform purpura, livedo, ulceration).
LESION_NAMESPACES = ("finding", "pattern", "imaging", "tissue")
# Lab features the engine derives from a test other than their name: what a work-up step orders for them.
DERIVED_TESTS: dict[str, tuple[str, ...]] = {
    "lab:egfr_below_60": ("creatinine",),
    "lab:egfr_below_15": ("creatinine",),
    "lab:calcium_phosphate_product_high": ("calcium", "phosphate"),
}


@dataclass(frozen=True)
class Trigger:
    """Why the record earns a card."""

    reason: Literal["named", "imaging", "chalky_discharge", "must_not_miss"]
    diagnosis: str | None = None  # the must-not-miss diagnosis (reason must_not_miss)
    features: tuple[str, ...] = ()  # its defining lesions present in the record


def _imaging_describes_deposits(case: Case) -> bool:
    """An imaging entry with more than a modality: sites, tissues, patterns... of deposits (an
    ImagingStudy alone gives a modality, which says nothing of a calcification)."""
    return any(
        img.sites or img.tissues or img.patterns or img.distribution or img.size_cm is not None for img in case.imaging
    )


def card_trigger(
    report: DiagnosisReport, case: Case, evidence: Evidence, kb: KnowledgeBase, *, names_calcification: bool
) -> Trigger | None:
    """Whether the record earns a card, and why (None: answer ``{"cards": []}``).

    A card when the record holds the calcification itself: a Condition or Observation coded as
    the calcification (:data:`calcinosis.interop.fhir.vocab.PRESENTING_CODES`), an imaging entry
    that describes deposits, or chalky discharge (extruded calcium). Otherwise a card only when a
    must-not-miss diagnosis reaches the knowledge base's threshold *and* one of its defining lesions
    (finding, pattern, imaging feature, tissue; never a background condition or a lab alone) is
    present: a dialysis patient with skin necrosis gets a calciphylaxis card, a dialysis patient
    without a lesion does not. Free text is never matched: a calcification named only in words is
    not seen (the FHIR reader's rule too), which errs on silence.
    """
    if names_calcification:
        return Trigger("named")
    if _imaging_describes_deposits(case):
        return Trigger("imaging")
    if "chalky_discharge" in case.findings:
        return Trigger("chalky_discharge")
    for d in report.differential:
        if d.diagnosis not in kb.must_not_miss or d.probability < kb.must_not_miss_threshold:
            continue
        defining = kb.disease(d.diagnosis).defining
        lesions = tuple(
            f
            for f in (defining.any_of if defining else [])
            if f.split(":", 1)[0] in LESION_NAMESPACES
            and (obs := evidence.observations.get(f)) is not None
            and obs.present
            and not obs.closed_world
        )
        if lesions:
            return Trigger("must_not_miss", d.diagnosis, lesions)
    return None


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+#>]|\d+[.)])")


def md(text: object, limit: int = 300) -> str:
    """Untrusted or free text made inert in markdown: no control characters, one line, the signs
    of emphasis, code, links, images, HTML and tables escaped, and no list or heading marker at its
    start (a record's text cannot add a link, an image or a heading to the card)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", plain(text, limit=limit, newlines=False))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _inline(name: str, lang: str) -> str:
    return lower_first(name) if lang == "fr" else english_inline(name)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _must_not_miss(report: DiagnosisReport, kb: KnowledgeBase) -> list[tuple[str, str, float]]:
    """(id, name, probability) of the must-not-miss diagnoses at or above the threshold, most probable first."""
    return [
        (d.diagnosis, d.name, d.probability)
        for d in report.differential
        if d.diagnosis in kb.must_not_miss and d.probability >= kb.must_not_miss_threshold
    ]


def _short(name: str) -> str:
    """A diagnosis name without its trailing parenthesis ('calciphylaxis (calcific uraemic arteriolopathy)')."""
    return re.sub(r"\s*\([^()]*\)$", "", name) or name


def _summary(report: DiagnosisReport, kb: KnowledgeBase, trigger: Trigger, lang: str) -> str:
    """One sentence under 140 characters: the leading diagnosis, and a must-not-miss one if any. The
    names are shortened (their parenthesis dropped) before the must-not-miss part is given up."""
    top = report.differential[0]
    alerts = _must_not_miss(report, kb)
    p = percent(top.probability, lang)
    candidates: list[str] = []
    for shorten in (False, True):

        def form(n: str, shorten: bool = shorten) -> str:
            return _inline(_short(n) if shorten else n, lang)

        name = form(top.name)
        if trigger.reason == "must_not_miss":
            mnm = next(a for a in alerts if a[0] == trigger.diagnosis)
            candidates.append(t("mnm_only", lang, mnm=_capital(form(mnm[1])), q=percent(mnm[2], lang)))
        elif alerts and alerts[0][0] == top.diagnosis:
            candidates.append(t("lead_mnm", lang, name=name, p=p))
        elif alerts:
            other, q = form(alerts[0][1]), percent(alerts[0][2], lang)
            candidates.append(t("lead_other", lang, name=name, p=p, mnm=other, q=q))
    candidates += [t("lead", lang, name=_inline(top.name, lang), p=p), t("lead", lang, name=name, p=p)]
    for text in candidates:
        if len(text) < SUMMARY_LIMIT:
            return text
    room = len(candidates[-1]) - SUMMARY_LIMIT + 2  # characters to take from the name, '…' included
    return t("lead", lang, name=name[: max(len(name) - room, 1)] + "…", p=p)


def _reason_line(reason: str) -> str:
    """'+ Warfarin (present)' as a markdown list item whose sign cannot start a nested list."""
    sign, _, rest = reason.partition(" ")
    return f"   - **{sign if sign in ('+', '−') else md(sign, 2)}** {md(rest)}"


def _detail(
    report: DiagnosisReport,
    kb: KnowledgeBase,
    trigger: Trigger,
    record: Record,
    imported: FhirImport,
    lang: str,
) -> str:
    from calcinosis.reports.summary import build_summary

    summary = build_summary(report, kb, lang=lang)
    blocks: list[str] = []
    # an emergency opens the card (a code review: a tumour lysis and a symptomatic hypercalcaemia
    # were in no part of it, the summary having moved them to the next steps the card does not show)
    if summary.urgent:
        blocks.append("\n".join([t("urgent", lang), *(f"- {md(u, 600)}" for u in summary.urgent)]))
    if trigger.reason == "must_not_miss" and trigger.diagnosis is not None:
        d = next(x for x in report.differential if x.diagnosis == trigger.diagnosis)
        features = ", ".join(_inline(kb.features[f].label(lang), lang) for f in trigger.features)
        blocks.append(
            t("unnamed", lang, mnm=md(_inline(d.name, lang)), q=percent(d.probability, lang), features=md(features))
        )
    blocks.append(t("category", lang, name=md(summary.category), p=summary.category_probability))
    lines = [t("leading", lang)]
    for i, lead in enumerate(summary.leading, 1):
        lines.append(
            f"{i}. **{md(lead.name)}**: {lead.probability}"
            if lang != "fr"
            else f"{i}. **{md(lead.name)}**\u00a0: {lead.probability}"
        )
        lines.extend(_reason_line(r) for r in lead.reasons)
    blocks.append("\n".join(lines))
    if summary.must_not_miss:
        blocks.append("\n".join([t("alerts", lang), *(f"- {md(a, 400)}" for a in summary.must_not_miss)]))
    if summary.warnings:
        blocks.append("\n".join([t("warnings", lang), *(f"- {md(w, 400)}" for w in summary.warnings[:3])]))
    if report.workup_steps:
        blocks.append("\n".join([t("workup", lang), *(f"- {md(w.text, 400)}" for w in report.workup_steps)]))
    missing = [p for p in record.parts if p.state != "used"]
    if missing or record.notes:
        lines = [t("unavailable", lang)]
        for part in missing:
            key = key_name(part.key, lang)
            if part.state == "error":
                text = t("error", lang, key=key, words=part.words) if part.words else t("error_plain", lang, key=key)
            else:
                text = t(part.state, lang, key=key)
            lines.append(f"- {md(text, 300)}")
        lines.extend(f"- {md(n, 300)}" for n in record.notes[:3])
        blocks.append("\n".join(lines))
    not_used = [
        f"{m.resource} ({m.element}): {m.reason}" if lang != "fr" else f"{m.resource} ({m.element})\u00a0: {m.reason}"
        for m in imported.not_used
    ] + list(record.left_out)
    if not_used:
        shown = not_used[:SHOWN_NOT_USED]
        head = (
            t("not_used", lang, n=len(not_used), k=len(shown))
            if len(not_used) > len(shown)
            else t("not_used_all", lang, n=len(not_used))
        )
        blocks.append("\n".join([head, *(f"- {md(x, 200)}" for x in shown)]))
    if summary.measured:  # what such probabilities have meant on unseen published patients
        blocks.append(md(summary.measured, 600))
    blocks.append("_" + md(t("footer", lang, version=__version__, kb=report.metadata.kb_version), 400) + "_")
    return "\n\n".join(blocks)


def lab_orders(step: WorkupStep) -> list[tuple[str, str]]:
    """The tests a work-up step asks for, as (vocabulary list, term): ``labs`` or ``antibodies``.

    ``when.labs_missing`` lists alternatives (the step holds when every one is missing), so only
    the first is ordered; ``labs_missing_any`` lists tests each needed; the features a step answers
    name the rest (``lab:pth_high`` → pth; a derived feature → the tests it is computed from).
    """
    out: list[tuple[str, str]] = []
    first = step.when.get("labs_missing")
    if isinstance(first, list) and first:
        out.append(("labs", str(first[0])))
    each = step.when.get("labs_missing_any")
    if isinstance(each, list):
        out.extend(("labs", str(test)) for test in each)
    for feature in step.answers:
        namespace, _, term = feature.partition(":")
        if namespace == "antibody":
            out.append(("antibodies", term))
        elif namespace == "lab":
            tests = DERIVED_TESTS.get(feature) or ((LAB_FEATURES[feature][0][-1],) if feature in LAB_FEATURES else ())
            out.extend(("labs", t) for t in tests)
    return list(dict.fromkeys(out))


def _workup_steps(kb: KnowledgeBase) -> dict[str, WorkupStep]:
    steps = {s.id: s for d in kb.diseases for s in d.workup}
    steps.update({s.id: s for s in kb.workup.steps})
    return steps


def _short_label(text: str) -> str:
    """A work-up step as a suggestion label: the clause before its explanation."""
    head = re.split(r"\s*:\s", text, maxsplit=1)[0].strip().rstrip("\u00a0:")
    return plain(head or text, limit=120, newlines=False)


def _suggestions(
    report: DiagnosisReport,
    case: Case,
    kb: KnowledgeBase,
    codes: CodeTable,
    *,
    patient_id: str,
    encounter_id: str | None,
    lang: str,
) -> list[Suggestion]:
    """One suggestion per missing step that orders laboratory tests, each test a draft ServiceRequest."""
    steps = _workup_steps(kb)
    done = {("labs", lab.test) for lab in case.labs} | {("antibodies", a.name) for a in case.antibodies}
    out: list[Suggestion] = []
    for item in report.workup_steps:
        step = steps.get(item.id)
        orders = [o for o in lab_orders(step) if o not in done] if step is not None else []
        done.update(orders)  # a test two steps ask for is proposed once, with the first
        actions = [
            _order(item, list_name, term, kb, codes, patient_id, encounter_id, lang) for list_name, term in orders
        ]
        if actions:
            out.append(Suggestion(label=_short_label(item.text), uuid=str(uuid.uuid4()), actions=actions))
    return out


def _order(
    item: WorkupItem,
    list_name: str,
    term: str,
    kb: KnowledgeBase,
    codes: CodeTable,
    patient_id: str,
    encounter_id: str | None,
    lang: str,
) -> Action:
    """A draft ServiceRequest proposal for one test, coded in LOINC when the test has an exported code."""
    label = kb.vocabulary.label(list_name, term, lang)
    loinc = next((c for c in codes.codes_of(list_name, term, "loinc") if c.export), None)
    concept: dict[str, Any] = {"text": label}
    if loinc is not None:
        concept["coding"] = [{"system": SYSTEMS["loinc"], "code": loinc.code, "display": loinc.display}]
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": concept,
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": plain(item.reason, limit=500)}],
    }
    if encounter_id is not None:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    description = (
        t("action_loinc", lang, label=label, code=loinc.code) if loinc is not None else t("action", lang, label=label)
    )
    return Action(type="create", description=description, resource=resource)


def build_card(
    report: DiagnosisReport,
    kb: KnowledgeBase,
    codes: CodeTable,
    *,
    trigger: Trigger,
    record: Record,
    imported: FhirImport,
    request: HookRequest,
    lang: str = "en",
    report_url: str | None = None,
) -> Card:
    """The card of one patient's record (``report_url``: the absolute URL of the full report)."""
    alerts = _must_not_miss(report, kb)
    suggestions = _suggestions(
        report,
        imported.case,
        kb,
        codes,
        patient_id=request.context.patientId,
        encounter_id=request.context.encounterId,
        lang=lang,
    )
    return Card(
        uuid=str(uuid.uuid4()),
        summary=_summary(report, kb, trigger, lang),
        detail=_detail(report, kb, trigger, record, imported, lang),
        indicator="critical" if any(i.code in URGENT_CODES for i in report.issues) else "warning" if alerts else "info",
        source=Source(
            label=t("source", lang, kb=report.metadata.kb_version),
            topic=Coding(display=t("topic", lang), **TOPIC),
        ),
        suggestions=suggestions or None,
        selectionBehavior="any" if suggestions else None,
        links=[Link(label=t("link", lang), url=report_url, type="absolute")] if report_url else None,
    )
