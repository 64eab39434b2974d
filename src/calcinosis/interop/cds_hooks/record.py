"""The prefetched record as one FHIR collection Bundle, and what could not go into it.

The Patient is required: without it (and this deployment never fetches from the FHIR server
itself: clinical networks have no outbound access by default) the answer is 412. A part that
came back as ``null`` or as an OperationOutcome is *not available*: the rest is read and the
card says what was missing. A resource that names another patient is left out, and said so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from calcinosis.interop.cds_hooks.models import CdsHooksError, HookRequest
from calcinosis.interop.cds_hooks.texts import key_name, t
from calcinosis.interop.fhir.vocab import PRESENTING_CODES
from calcinosis.issues import Issue
from calcinosis.textsafe import plain

__all__ = ["PREFETCH_KEYS", "PrefetchPart", "Record", "assemble_record"]

PREFETCH_KEYS = ("patient", "conditions", "observations", "medications")
_PATIENT_REF = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")


@dataclass(frozen=True)
class PrefetchPart:
    """What became of one prefetch key."""

    key: str
    state: Literal["used", "not_sent", "no_data", "error"]
    resources: int = 0
    words: str = ""  # the EHR's own words (an OperationOutcome's diagnostics), made safe and short


@dataclass(frozen=True)
class Record:
    """The prefetched record as one collection Bundle, and what could not go into it."""

    bundle: dict[str, Any]
    parts: tuple[PrefetchPart, ...]
    left_out: tuple[str, ...]  # resources refused before reading (another patient), in words
    notes: tuple[str, ...]  # warnings the EHR put inside a searchset (OperationOutcome entries)
    names_calcification: bool  # a Condition or Observation codes the calcification itself


def _list(value: object) -> list[Any]:
    """A JSON array of the record, or nothing (a malformed element is not read: the FHIR reader
    lists what it could not use)."""
    return value if isinstance(value, list) else []


def _without_nulls(node: Any) -> Any:
    """A resource without JSON nulls, which FHIR JSON never holds (a null in a required element then
    fails the reader's validation and is listed as not used, instead of reaching it as missing).
    An array beside its ``_element`` twin keeps its nulls: they align the primitives' extensions."""
    if isinstance(node, dict):
        return {
            k: [_without_nulls(x) for x in v] if isinstance(v, list) and f"_{k}" in node else _without_nulls(v)
            for k, v in node.items()
            if v is not None
        }
    if isinstance(node, list):
        return [_without_nulls(x) for x in node if x is not None]
    return node


def _outcome_words(outcome: Mapping[str, Any]) -> str:
    """An OperationOutcome's diagnostics (or details.text), untrusted: control characters out, short."""
    words: list[str] = []
    for issue in _list(outcome.get("issue")):
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = issue.get("diagnostics") or (details.get("text") if isinstance(details, dict) else None)
        if isinstance(text, str) and text.strip():
            words.append(text.strip())
    return plain("; ".join(words), limit=160, newlines=False)


def _other_patient(resource: Mapping[str, Any], patient_id: str) -> str | None:
    """The id of another Patient this resource is about (``subject`` or ``patient``), else None."""
    for key in ("subject", "patient"):
        ref = resource.get(key)
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(reference, str):
            found = _PATIENT_REF.search(reference)
            if found and found.group(1) != patient_id:
                return found.group(1)
    return None


def _codings(concept: object) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("system")), str(c.get("code")))
        for c in _list(concept.get("coding"))
        if isinstance(c, dict) and c.get("system") and c.get("code")
    ]


def _names_calcification(resource: Mapping[str, Any]) -> bool:
    """A Condition or Observation whose code is the calcification itself (the FHIR reader's
    presenting codes: HPO Calcinosis and its kin, ICD-10 L94.2), not refuted nor in error."""
    if resource.get("resourceType") not in ("Condition", "Observation"):
        return False
    if resource.get("status") in ("entered-in-error", "cancelled"):
        return False
    verification = {code for _, code in _codings(resource.get("verificationStatus"))}
    if verification & {"refuted", "entered-in-error"}:
        return False
    return any(coding in PRESENTING_CODES for coding in _codings(resource.get("code")))


def _missing_patient(request: HookRequest, detail: str, *, lang: str) -> CdsHooksError:
    """412: the Patient is needed (the age is the one required item of a case), and this
    deployment never fetches it from the FHIR server (no outbound connections from a clinical network)."""
    if request.fhirServer is not None:
        detail += " " + t("err_no_fetch", lang)
    issue = Issue.error("cds.prefetch_missing", detail, "prefetch.patient", expected="Patient/{{context.patientId}}")
    return CdsHooksError(detail, status=412, issues=[issue])


def _patient(request: HookRequest, prefetch: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The prefetched Patient (alone, or the first of a Bundle); 412 without it, 400 for another patient."""
    if "patient" not in prefetch:
        raise _missing_patient(request, t("err_missing", lang), lang=lang)
    patient = prefetch["patient"]
    if isinstance(patient, dict) and patient.get("resourceType") == "Bundle":
        entries = [e.get("resource") for e in _list(patient.get("entry")) if isinstance(e, dict)]
        patient = next((r for r in entries if isinstance(r, dict) and r.get("resourceType") == "Patient"), patient)
    kind = patient.get("resourceType") if isinstance(patient, dict) else None
    if patient is None:
        raise _missing_patient(request, t("err_null", lang), lang=lang)
    if kind == "OperationOutcome":
        raise _missing_patient(request, t("err_outcome", lang, words=_outcome_words(patient)), lang=lang)
    if kind != "Patient":
        raise _missing_patient(request, t("err_kind", lang, kind=plain(kind, limit=40, newlines=False)), lang=lang)
    if isinstance(patient.get("id"), str) and patient["id"] != request.context.patientId:
        text = t(
            "err_wrong_patient",
            lang,
            got=plain(patient["id"], limit=64, newlines=False),
            want=request.context.patientId,
        )
        raise CdsHooksError(text, status=400, issues=[Issue.error("cds.wrong_patient", text, "prefetch.patient.id")])
    return dict(patient)


def assemble_record(request: HookRequest, *, lang: str = "en") -> Record:
    """The prefetched resources as one collection Bundle for the FHIR reader.

    Raises
    ------
    CdsHooksError
        412 when the Patient is not prefetched (omitted, ``null`` or an OperationOutcome), 400
        when a prefetch value is not a JSON object or the Patient is not the context's patient.
    """
    prefetch = request.prefetch or {}
    for key, value in prefetch.items():
        where = f"prefetch.{plain(key, limit=60, newlines=False)}"
        if value is not None and not isinstance(value, dict):
            issue = Issue.error("cds.prefetch_value", t("err_value", lang), where)
            raise CdsHooksError(issue.render(lang), status=400, issues=[issue])
        if (
            isinstance(value, dict)
            and value.get("resourceType") == "Bundle"
            and not isinstance(value.get("entry", []), list)
        ):
            issue = Issue.error("cds.prefetch_value", t("err_entry", lang), f"{where}.entry")
            raise CdsHooksError(issue.render(lang), status=400, issues=[issue])
    patient_id = request.context.patientId
    entries: list[dict[str, Any]] = [{"resource": _without_nulls(_patient(request, prefetch, lang))}]
    seen: set[tuple[str, str]] = {("Patient", patient_id)}
    parts = [PrefetchPart("patient", "used", 1)]
    left_out: list[str] = []
    notes: list[str] = []
    for key in PREFETCH_KEYS[1:]:
        value = prefetch.get(key)
        if value is None:
            parts.append(PrefetchPart(key, "not_sent" if key not in prefetch else "no_data"))
            continue
        if value.get("resourceType") == "OperationOutcome":
            parts.append(PrefetchPart(key, "error", words=_outcome_words(value)))
            continue
        raw = [e.get("resource") for e in _list(value.get("entry")) if isinstance(e, dict)]
        count = 0
        for resource in raw if value.get("resourceType") == "Bundle" else [value]:
            if not isinstance(resource, dict):
                continue
            kind, rid = str(resource.get("resourceType")), resource.get("id")
            ref = plain(f"{kind}/{rid}" if isinstance(rid, str) else kind, limit=100, newlines=False)
            other = _other_patient(resource, patient_id)
            if kind == "OperationOutcome":
                if words := _outcome_words(resource):
                    notes.append(t("outcome_note", lang, key=key_name(key, lang), words=words))
            elif kind == "Patient":
                if rid != patient_id:  # the same patient again (an _include) is simply dropped
                    left_out.append(t("second_patient", lang, ref=ref))
            elif other is not None:
                left_out.append(t("other_patient", lang, ref=ref, other=f"Patient/{other}"))
            elif not isinstance(rid, str) or (kind, rid) not in seen:
                if isinstance(rid, str):
                    seen.add((kind, rid))
                entries.append({"resource": _without_nulls(resource)})
                count += 1
        parts.append(PrefetchPart(key, "used", count))
    named = any(_names_calcification(e["resource"]) for e in entries)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return Record(bundle, tuple(parts), tuple(left_out), tuple(notes), named)
