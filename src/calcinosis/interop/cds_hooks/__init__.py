"""CDS Hooks 2.0: the calcinosis service on ``patient-view``, from the prefetched record to a card.

The EHR calls the service each time a clinician opens a patient's record, with what the
service's prefetch templates asked for (the Patient, their Conditions, the Observations of the
labs and antibodies that ``codes.yaml`` codes in LOINC, their MedicationRequests). This module
turns that into at most one card, with no web framework in sight (the routes are
:mod:`calcinosis.web.api.cds_hooks`):

1. :func:`parse_request` checks the request (hook, hookInstance UUID, ``context.patientId``);
   a malformed one is a :class:`CdsHooksError` with status 400 and located issues.
2. :func:`assemble_record` gathers the prefetched resources into one collection Bundle. The
   Patient is required: without it (and this deployment never fetches from the FHIR server
   itself: clinical networks have no outbound access by default) the answer is 412. A part
   that came back as ``null`` or as an OperationOutcome is *not available*: the rest is read
   and the card says what was missing. A resource that names another patient is left out.
3. :func:`advise` reads the Bundle with :func:`calcinosis.interop.fhir.read.read_bundle` (not
   strict: the record is what it is, and what cannot be read is listed), runs the engine, and
   decides whether a card is worth showing (:func:`card_trigger`): the hook fires on every
   patient view, and a calcinosis card on every record would be noise that teaches clinicians
   to ignore it.
4. :func:`build_card` writes the card: a summary under 140 characters, the detail in GitHub
   markdown (leading diagnoses with their strongest reasons, the missing work-up, what the
   record could not give), ``warning`` when a must-not-miss diagnosis reaches the knowledge
   base's threshold, and one suggestion per missing laboratory step (draft ServiceRequest
   proposals coded in LOINC).

The parts: :mod:`.models` (the messages and the specification's rules), :mod:`.record` (prefetch
→ Bundle), :mod:`.card` (trigger and card), :mod:`.texts` (the words, in English and French).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from calcinosis.case.model import Case
from calcinosis.engine.results import DiagnosisReport
from calcinosis.interop.cds_hooks.card import Trigger, build_card, card_trigger, lab_orders, md
from calcinosis.interop.cds_hooks.models import (
    HOOK,
    SERVICE_ID,
    Card,
    CdsHooksError,
    HookRequest,
    HookResponse,
    ServiceDefinition,
    ServiceList,
    parse_request,
    service_definition,
)
from calcinosis.interop.cds_hooks.record import Record, assemble_record
from calcinosis.interop.fhir.mapping import FhirImport
from calcinosis.kb.codes import CodeTable
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "HOOK",
    "SERVICE_ID",
    "Advice",
    "Card",
    "CdsHooksError",
    "HookRequest",
    "HookResponse",
    "Record",
    "ServiceDefinition",
    "ServiceList",
    "Trigger",
    "advise",
    "assemble_record",
    "build_card",
    "card_trigger",
    "lab_orders",
    "md",
    "parse_request",
    "service_definition",
]


@dataclass(frozen=True)
class Advice:
    """The answer to one hook call, with what it was computed from (for the caller and the tests)."""

    response: HookResponse
    record: Record
    imported: FhirImport
    report: DiagnosisReport
    trigger: Trigger | None


def advise(
    request: HookRequest,
    kb: KnowledgeBase,
    codes: CodeTable,
    *,
    lang: str = "en",
    analysis_date: dt.date | None = None,
    report_url: Callable[[Case], str | None] | None = None,
) -> Advice:
    """The cards for one ``patient-view`` call: the record read, the engine run, the trigger applied.

    Raises
    ------
    CdsHooksError
        412 or 400 from :func:`assemble_record`; 503 when the FHIR models (the ``interop`` extra) are missing.
    CaseValidationError
        The record cannot become a case (e.g. the Patient has no birth date).
    """
    try:
        import fhir.resources.R4B  # noqa: F401  (the FHIR reader validates every resource with it)
    except ImportError:
        raise CdsHooksError(
            "reading FHIR needs the interop extra: pip install 'calcinosis[interop]'", status=503
        ) from None
    from calcinosis.engine.diagnose import analyse, diagnose
    from calcinosis.interop.fhir.read import read_bundle

    record = assemble_record(request, lang=lang)
    imported = read_bundle(
        record.bundle, kb, codes, analysis_date=analysis_date, source="CDS Hooks prefetch", lang=lang, strict=False
    )
    analysis = analyse(imported.case, kb, lang=lang)
    report = diagnose(imported.case, kb, lang=lang, analysis=analysis)
    trigger = card_trigger(report, imported.case, analysis[1], kb, names_calcification=record.names_calcification)
    cards: list[Card] = []
    if trigger is not None and report.differential:
        url = report_url(imported.case) if report_url is not None else None
        cards.append(
            build_card(
                report,
                kb,
                codes,
                trigger=trigger,
                record=record,
                imported=imported,
                request=request,
                lang=lang,
                report_url=url,
            )
        )
    return Advice(HookResponse(cards=cards), record, imported, report, trigger)
