"""``/api/v1/registry/...``: the registry for programs, behind the same sign-in as its pages.

``POST /registry/session`` signs in (user name and password) and answers the CSRF token that
every write must send back in ``X-CSRF-Token``; the session is the signed cookie. Reads need a
signed-in user (401 otherwise), writes a clinician or admin (403 for a researcher).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from calcinosis.kb.model import KnowledgeBase
from calcinosis.registry import store
from calcinosis.registry.db import session_scope
from calcinosis.registry.models import Patient
from calcinosis.registry.response import DueItem, PatientResponse, due, patient_response
from calcinosis.web.auth import check_csrf, csrf_token, signed_in
from calcinosis.web.auth import sign_in as start_session
from calcinosis.web.state import kb_of

__all__ = ["router"]


async def _no_duplicate_keys(request: Request) -> None:
    """A JSON body whose object repeats a key is refused, as a case is (the strict reader): the
    last value silently won, so a second ``birth_year`` or ``area_cm2`` replaced the first."""
    from calcinosis.case.document import load_document
    from calcinosis.web.lang import lang_of

    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and (media == "application/json" or media.endswith("+json")):
        load_document(await request.body(), source="body", fmt="json", lang=lang_of(request))


router = APIRouter(prefix="/registry", tags=["registry"], dependencies=[Depends(_no_duplicate_keys)])

_REQUEST = ConfigDict(extra="forbid")
"""Request bodies refuse fields they do not know, naming them: a lesion sent with ``"pain": 7``
lost its pain score, a patient sent with ``sexe`` its sex."""
Kb = Annotated[KnowledgeBase, Depends(kb_of)]
# a JSON number or boolean as itself: pydantic's lax mode read "yes", "on", 1 and "1" as true,
# "1970" as 1970 and true as 1.0 (an area of true cm2), where a case body refuses them all
Number = Annotated[float | None, Field(strict=True)]
Whole = Annotated[int | None, Field(strict=True)]
Flag = Annotated[bool | None, Field(strict=True)]


class Credentials(BaseModel):
    """A sign-in."""

    model_config = _REQUEST

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class SessionInfo(BaseModel):
    """The signed-in user and the token writes must carry."""

    username: str
    role: str
    csrf_token: str


class NewPatient(BaseModel):
    """A patient to add."""

    model_config = _REQUEST

    code: str = Field(max_length=64)
    sex: str | None = Field(None, max_length=16)
    birth_year: Whole = None


class PatientRow(BaseModel):
    """A patient in the list."""

    code: str
    visits: int
    last_visit: dt.date | None


class NewVisit(BaseModel):
    """A visit: its date and its case (case format v1, as JSON)."""

    model_config = _REQUEST

    date: dt.date
    case: dict[str, Any]
    note: str | None = Field(None, max_length=2000, description="a free-text note kept with the visit")


class VisitRow(BaseModel):
    """A recorded visit and what the engine said that day."""

    date: dt.date
    category: str | None
    leading_diagnosis: str | None
    leading_probability: float | None
    kb_version: str


@router.post("/session", response_model=SessionInfo)
async def sign_in(request: Request, credentials: Credentials) -> SessionInfo:
    user = await start_session(request, credentials.username, credentials.password)
    return SessionInfo(username=user.username, role=user.role, csrf_token=csrf_token(request))


@router.get("/patients", response_model=list[PatientRow])
def list_patients(
    request: Request, q: Annotated[str, Query(max_length=64)] = "", limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[PatientRow]:
    user = signed_in(request)
    with session_scope(request.app.state.calcinosis.registry()) as s:
        query = select(Patient).where(Patient.team == user.team).order_by(Patient.code).limit(limit)
        if q:
            query = query.where(Patient.code.contains(q, autoescape=True))
        return [
            PatientRow(code=p.code, visits=len(p.visits), last_visit=p.visits[-1].date if p.visits else None)
            for p in s.scalars(query)
        ]


@router.post("/patients", response_model=PatientRow, status_code=201)
def create_patient(request: Request, body: NewPatient) -> PatientRow:
    user = signed_in(request)
    check_csrf(request, None)
    user.require_writer()
    with session_scope(request.app.state.calcinosis.registry()) as s:
        p = store.add_patient(
            s, body.code, actor=user.username, sex=body.sex, birth_year=body.birth_year, team=user.team
        )
        return PatientRow(code=p.code, visits=0, last_visit=None)


@router.get("/patients/{code}/visits", response_model=list[VisitRow])
def list_visits(request: Request, code: str) -> list[VisitRow]:
    user = signed_in(request)
    with session_scope(request.app.state.calcinosis.registry()) as s:
        return [
            VisitRow(
                date=v.date,
                category=v.category,
                leading_diagnosis=v.leading_diagnosis,
                leading_probability=v.leading_probability,
                kb_version=v.kb_version,
            )
            for v in store.get_patient(s, code, user.team).visits
        ]


@router.post("/patients/{code}/visits", response_model=VisitRow, status_code=201)
def create_visit(request: Request, kb: Kb, code: str, body: NewVisit) -> VisitRow:
    from calcinosis.case.reader import parse_case

    user = signed_in(request)
    check_csrf(request, None)
    user.require_writer()
    case = parse_case(body.case, kb, source="case")
    with session_scope(request.app.state.calcinosis.registry()) as s:
        v = store.add_visit(
            s,
            store.get_patient(s, code, user.team),
            case,
            kb,
            date=store.parse_date(body.date, "date"),
            actor=user.username,
            note=body.note,
        )
        return VisitRow(
            date=v.date,
            category=v.category,
            leading_diagnosis=v.leading_diagnosis,
            leading_probability=v.leading_probability,
            kb_version=v.kb_version,
        )


class NewMeasurement(BaseModel):
    """A lesion measured at a visit (the lesion is created on its first measurement: give its site)."""

    model_config = _REQUEST

    date: dt.date
    label: str = Field(max_length=100)
    site: str | None = Field(None, max_length=64)
    largest_dimension_mm: Number = None
    area_cm2: Number = None
    volume_mm3: Number = None
    ulcerated: Flag = None
    infected: Flag = None
    pain_vas: Number = None


class MeasurementRow(BaseModel):
    """A recorded measurement."""

    date: dt.date
    label: str


@router.post("/patients/{code}/lesions", response_model=MeasurementRow, status_code=201)
def create_measurement(request: Request, kb: Kb, code: str, body: NewMeasurement) -> MeasurementRow:
    user = signed_in(request)
    check_csrf(request, None)
    user.require_writer()
    with session_scope(request.app.state.calcinosis.registry()) as s:
        values = body.model_dump(exclude={"date", "label", "site"})
        store.record_lesion(
            s,
            store.get_patient(s, code, user.team),
            kb,
            date=store.parse_date(body.date, "date"),
            label=body.label,
            site=body.site,
            actor=user.username,
            **values,
        )
    return MeasurementRow(date=body.date, label=body.label)


@router.get("/patients/{code}/response", response_model=PatientResponse)
def response(request: Request, code: str) -> PatientResponse:
    user = signed_in(request)
    with session_scope(request.app.state.calcinosis.registry()) as s:
        return patient_response(s, store.get_patient(s, code, user.team))


@router.get("/due", response_model=list[DueItem])
def due_list(request: Request, kb: Kb, today: dt.date | None = None) -> list[DueItem]:
    user = signed_in(request)
    with session_scope(request.app.state.calcinosis.registry()) as s:
        return due(s, kb, today or dt.date.today(), team=user.team)
