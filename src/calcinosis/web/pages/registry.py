"""The registry's pages: sign in, patient list with search, patient timeline (visits, lesions,
response, treatments, chart), forms to record, cohort summary.

They call :mod:`calcinosis.registry.store` and :mod:`calcinosis.registry.response`, the functions
the ``calcinosis registry`` commands call; refusals are shown on the page with their message.
Every page needs a signed-in user; every form carries the session's CSRF token.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select

from calcinosis.errors import CalcinosisError
from calcinosis.i18n import message
from calcinosis.kb.model import KnowledgeBase
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError, session_scope
from calcinosis.registry.models import Patient, Visit
from calcinosis.registry.response import CLASSES, cohort_summary, patient_response, with_history
from calcinosis.web.auth import AuthError, SignedIn, check_csrf, csrf_token, end_session, sign_in, signed_in
from calcinosis.web.lang import request_lang
from calcinosis.web.pages.view import templates
from calcinosis.web.state import kb_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]
PAGE_SIZE = 50


def _refused(exc: CalcinosisError) -> int:
    """The status of a page that shows a refused form again: 409 Conflict when the record is
    already there (a patient, a visit, a measurement, a user: the form was right but late or
    repeated), else 422 (the form cannot be used as typed)."""
    return 409 if getattr(exc, "status", None) == 409 else 422


def _alphabetical(name: str) -> str:
    """A name as a list is sorted by a reader: accents and case aside ('Épaule' with the E's)."""
    return unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode().casefold()


def _page(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"lang": lang, "csrf": csrf_token(request), **context}, status_code=status
    )


def _user_or_redirect(request: Request) -> SignedIn | RedirectResponse:
    try:
        return signed_in(request)
    except AuthError:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        lang = request.query_params.get("lang")  # the sign-in page in the language of the page asked for
        shown = f"&lang={lang}" if lang in ("en", "fr") else ""
        return RedirectResponse(f"/login?next={target}{shown}", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no '//'): no open redirect after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/registry"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, lang: Lang, next: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    return _page(request, "login.html", lang, next=_safe_next(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(
    request: Request,
    lang: Lang,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/registry",
) -> Response:
    try:
        check_csrf(request, csrf_token_field)
        await sign_in(request, username, password)
    except AuthError as exc:
        error = message("ui_wrong_credentials", lang) if exc.status == 401 else exc.text(lang)
        return _page(
            request, "login.html", lang, status=exc.status, next=_safe_next(next), error=error, username=username
        )
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", response_model=None)
async def logout(
    request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = ""
) -> Response:
    check_csrf(request, csrf_token_field)
    end_session(request)
    return RedirectResponse("/", status_code=303)


def _summaries(session: Any, patients: list[Patient]) -> list[dict[str, Any]]:
    rows = []
    for p in patients:
        last = p.visits[-1] if p.visits else None
        rows.append(
            {
                "code": p.code,
                "visits": len(p.visits),
                "last": last.date if last else None,
                "category": last.category if last else None,
                "leading": last.leading_diagnosis if last else None,
                "response": patient_response(session, p).response,
            }
        )
    return rows


def _list_page(
    request: Request,
    kb: KnowledgeBase,
    lang: str,
    user: SignedIn,
    *,
    q: str = "",
    page: int = 1,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The patient list (a page of it, filtered by ``q``), with ``error`` shown above it and the
    new-patient form holding what was ``typed`` (a refused form kept nothing: the code, name,
    sex and birth year had to be typed again)."""
    with session_scope(request.app.state.calcinosis.registry()) as s:
        query = select(Patient).where(Patient.team == user.team).order_by(Patient.code).options(*with_history())
        if q:
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    Patient.code.ilike(like, escape="\\"),
                    Patient.visits.any(Visit.leading_diagnosis.ilike(like, escape="\\")),
                )
            )
        total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = _summaries(s, list(s.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))))
    context = {
        "user": user,
        "rows": rows,
        "q": q,
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "kb": kb,
        "error": error,
        "typed": typed or {},
    }
    return _page(request, "registry.html", lang, status=status, **context)


@router.get("/registry", response_class=HTMLResponse, response_model=None)
def registry_home(
    request: Request,
    kb: Kb,
    lang: Lang,
    q: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    user = _user_or_redirect(request)
    if isinstance(user, RedirectResponse):
        return user
    return _list_page(request, kb, lang, user, q=q, page=page)


def _yes_no(text: str, what: str) -> bool | None:
    """A select's yes, no or blank (not reported); anything else is refused, not read as
    blank ('oui' was stored as not reported)."""
    if text in ("", "yes", "no"):
        return {"yes": True, "no": False}.get(text)
    raise RegistryError.said("reg_err_yes_no", what=what, value=text[:8])


def _birth_year(text: str) -> int | None:
    """A birth year as typed (blank: not given); anything but plain digits is refused, saying what
    was typed ('19x0' read as year -1 before)."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise RegistryError.said("reg_err_not_a_number", what="birth_year", value=text[:20])
    return int(text)


@router.post("/registry/patients", response_class=HTMLResponse, response_model=None)
async def create_patient(
    request: Request,
    kb: Kb,
    lang: Lang,
    code: Annotated[str, Form(max_length=64)],
    sex: Annotated[str, Form(max_length=16)] = "",
    birth_year: Annotated[str, Form(max_length=8)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    user = signed_in(request)
    check_csrf(request, csrf_token_field)
    user.require_writer()
    state = request.app.state.calcinosis
    typed = {"code": code, "sex": sex, "name": name, "birth_year": birth_year}
    try:
        year = _birth_year(birth_year)
        with session_scope(state.registry()) as s:
            identity = {"name": name.strip()} if name.strip() else None
            store.add_patient(
                s,
                code.strip(),
                actor=user.username,
                sex=sex or None,
                birth_year=year,
                identity=identity,
                team=user.team,
            )
    except CalcinosisError as exc:
        said = exc.text(lang) if isinstance(exc, RegistryError) else str(exc)
        return _list_page(request, kb, lang, user, error=said.splitlines()[0], status=_refused(exc), typed=typed)
    return RedirectResponse(f"/registry/patients/{quote(code.strip())}?lang={lang}", status_code=303)


def _timeline(
    request: Request,
    kb: KnowledgeBase,
    lang: str,
    code: str,
    user: SignedIn,
    *,
    error: str | None = None,
    status: int = 200,
    posted: tuple[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    """The patient's page; ``posted``: the form that failed and what was typed in it, put back
    in its fields beside the error (nothing a user entered is lost)."""
    state = request.app.state.calcinosis
    with session_scope(state.registry()) as s:
        patient = store.get_patient(s, code, user.team)
        response = patient_response(s, patient)
        dates = {v.id: v.date for v in patient.visits}
        lesions = [
            {
                "label": lesion.label,
                "site": lesion.site,
                "points": [
                    {
                        "date": dates[m.visit_id],
                        "size": m.largest_dimension_mm,
                        "area": m.area_cm2,
                        "volume": m.volume_mm3,
                        "vas": m.pain_vas,
                        "ulcerated": m.ulcerated,
                    }
                    for m in sorted(lesion.measurements, key=lambda m: dates[m.visit_id])
                ],
            }
            for lesion in sorted(patient.lesions, key=lambda x: x.label)
        ]
        visits = [
            {
                "date": v.date,
                "category": v.category,
                "leading": v.leading_diagnosis,
                "p": v.leading_probability,
                "kb": v.kb_version,
            }
            for v in patient.visits
        ]
        diagnoses = [
            {
                "date": d.date,
                "name": kb.disease(d.diagnosis).name(lang),
                "engine": kb.disease(d.engine_suggestion).name(lang) if d.engine_suggestion in kb.disease_ids else None,
                "p": d.engine_probability,
                "kb": d.kb_version,
            }
            for d in sorted(patient.diagnoses, key=lambda d: d.date)
        ]
        treatments = [
            {"name": t.treatment, "dose": t.dose, "start": t.start, "stop": t.stop, "reason": t.reason_stopped}
            for t in sorted(patient.treatments, key=lambda t: t.start)
        ]
        from calcinosis.registry.imaging_course import hand_course, hand_rows, imaging_course, region_rule

        studies, imaging_steps = imaging_course(patient)
        course = hand_course(studies, imaging_steps)
        hand = (
            None
            if course is None
            else {
                "dates": course.dates,
                "rows": hand_rows(course, lang),
                "rule": region_rule(course, lang),
                "words": {
                    k: message(f"reg_region_{k}", lang) for k in ("title", "col_region", "col_change", "col_class")
                },
            }
        )
        identity = store.identity_of(s, patient, user.role)
        info = {
            "code": patient.code,
            "sex": patient.sex,
            "birth_year": patient.birth_year,
            "name": identity.name if identity else None,
            "hospital_number": identity.hospital_number if identity else None,
        }
    return _page(
        request,
        "patient.html",
        lang,
        status=status,
        user=user,
        patient=info,
        visits=visits,
        lesions=lesions,
        treatments=treatments,
        diagnoses=diagnoses,
        studies=studies,
        imaging_steps=imaging_steps,
        unreadable=[
            message("reg_region_unreadable", lang, reason=st.unreadable) if st.unreadable else None for st in studies
        ],
        hand=hand,
        response=response,
        kb=kb,
        error=error,
        posted_form=posted[0] if posted else "",
        posted=posted[1] if posted else {},
        diagnosis_choices=sorted(((d.name(lang), d.id) for d in kb.diseases), key=lambda c: _alphabetical(c[0])),
        treatment_choices=sorted(
            ((t.names.get(lang), tid) for tid, t in kb.treatments.items()), key=lambda c: _alphabetical(c[0])
        ),
    )


@router.get("/registry/patients/{code}", response_class=HTMLResponse, response_model=None)
def patient_page(request: Request, kb: Kb, lang: Lang, code: str) -> Response:
    user = _user_or_redirect(request)
    if isinstance(user, RedirectResponse):
        return user
    try:
        return _timeline(request, kb, lang, code, user)
    except CalcinosisError as exc:
        said = exc.text(lang) if isinstance(exc, RegistryError) else str(exc)
        return _list_page(request, kb, lang, user, error=said.splitlines()[0], status=404)


@router.get("/registry/patients/{code}/summary.pdf", response_model=None)
def patient_summary(request: Request, kb: Kb, lang: Lang, code: str) -> Response:
    user = signed_in(request)
    from calcinosis.registry.summary import patient_summary_pdf

    with session_scope(request.app.state.calcinosis.registry()) as s:
        pdf = patient_summary_pdf(s, store.get_patient(s, code, user.team), kb, lang=lang)
    name = f"calcinosis-{code}-{lang}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"content-disposition": f'attachment; filename="{quote(name)}"'}
    )


@router.get("/registry/patients/{code}/chart.svg", response_model=None)
def patient_chart(request: Request, lang: Lang, code: str) -> Response:
    user = signed_in(request)
    from calcinosis.registry.plots import course_svg

    with session_scope(request.app.state.calcinosis.registry()) as s:
        svg = course_svg(store.get_patient(s, code, user.team), lang=lang)
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "no-store"})


async def _record(
    request: Request, kb: KnowledgeBase, lang: str, code: str, csrf: str, work: Any, posted: tuple[str, dict[str, str]]
) -> Response:
    user = signed_in(request)
    check_csrf(request, csrf)
    user.require_writer()
    state = request.app.state.calcinosis
    try:

        def run() -> None:
            with session_scope(state.registry()) as s:
                work(s, store.get_patient(s, code, user.team), user.username)

        await anyio.to_thread.run_sync(run)
    except CalcinosisError as exc:
        said = exc.text(lang) if isinstance(exc, RegistryError) else str(exc)
        return _timeline(request, kb, lang, code, user, error=said.splitlines()[0], status=_refused(exc), posted=posted)
    return RedirectResponse(f"/registry/patients/{quote(code)}?lang={lang}", status_code=303)


@router.post("/registry/patients/{code}/visits", response_model=None)
async def record_visit(
    request: Request,
    kb: Kb,
    lang: Lang,
    code: str,
    date: Annotated[str, Form(max_length=20)],
    case_text: Annotated[str, Form(max_length=1_048_576)] = "",
    case_file: Annotated[UploadFile | str | None, File()] = None,
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    from calcinosis.interop.fhir.read import read_document_case
    from calcinosis.web.cases import read_posted_document

    unreadable: CalcinosisError | None = None
    try:
        data, source = await read_posted_document(case_file, case_text, lang=lang)
    except CalcinosisError as exc:  # shown on the page by _record, after the sign-in and token checks
        unreadable, data, source = exc, None, "case"

    def work(s: Any, patient: Patient, actor: str) -> None:
        if unreadable is not None:
            raise unreadable
        case = read_document_case(data, kb, source=source, lang=lang)[0]  # a case file or a FHIR Bundle
        store.add_visit(s, patient, case, kb, date=store.parse_date(date, "date"), actor=actor)

    typed = {"date": date, "case_text": case_text}
    return await _record(request, kb, lang, code, csrf_token_field, work, ("visit", typed))


@router.post("/registry/patients/{code}/lesions", response_model=None)
async def record_lesion(
    request: Request,
    kb: Kb,
    lang: Lang,
    code: str,
    date: Annotated[str, Form(max_length=20)],
    label: Annotated[str, Form(max_length=100)],
    site: Annotated[str, Form(max_length=64)] = "",
    size_mm: Annotated[str, Form(max_length=20)] = "",
    area_cm2: Annotated[str, Form(max_length=20)] = "",
    vas: Annotated[str, Form(max_length=20)] = "",
    ulcerated: Annotated[str, Form(max_length=8)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    def work(s: Any, patient: Patient, actor: str) -> None:
        store.record_lesion(
            s,
            patient,
            kb,
            date=store.parse_date(date, "date"),
            label=label,
            actor=actor,
            site=site or None,
            largest_dimension_mm=store.parse_number(size_mm, "size_mm"),
            area_cm2=store.parse_number(area_cm2, "area_cm2"),
            pain_vas=store.parse_number(vas, "vas"),
            ulcerated=_yes_no(ulcerated, "ulcerated"),
        )

    typed = {"date": date, "label": label, "site": site, "size_mm": size_mm, "area_cm2": area_cm2, "vas": vas}
    typed["ulcerated"] = ulcerated
    return await _record(request, kb, lang, code, csrf_token_field, work, ("lesion", typed))


@router.post("/registry/patients/{code}/diagnoses", response_model=None)
async def record_diagnosis(
    request: Request,
    kb: Kb,
    lang: Lang,
    code: str,
    diagnosis: Annotated[str, Form(max_length=100)],
    date: Annotated[str, Form(max_length=20)],
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    def work(s: Any, patient: Patient, actor: str) -> None:
        store.record_diagnosis(s, patient, kb, diagnosis, date=store.parse_date(date, "date"), actor=actor)

    typed = {"diagnosis": diagnosis, "date": date}
    return await _record(request, kb, lang, code, csrf_token_field, work, ("diagnosis", typed))


@router.post("/registry/patients/{code}/treatments", response_model=None)
async def record_treatment(
    request: Request,
    kb: Kb,
    lang: Lang,
    code: str,
    treatment: Annotated[str, Form(max_length=100)],
    start: Annotated[str, Form(max_length=20)],
    stop: Annotated[str, Form(max_length=20)] = "",
    dose: Annotated[str, Form(max_length=200)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    def work(s: Any, patient: Patient, actor: str) -> None:
        store.add_treatment(
            s,
            patient,
            kb,
            treatment,
            start=store.parse_date(start, "start"),
            stop=store.parse_date(stop, "stop") if stop.strip() else None,
            dose=dose or None,
            actor=actor,
        )

    typed = {"treatment": treatment, "start": start, "stop": stop, "dose": dose}
    return await _record(request, kb, lang, code, csrf_token_field, work, ("treatment", typed))


@router.get("/registry/cohort", response_class=HTMLResponse, response_model=None)
def cohort(request: Request, kb: Kb, lang: Lang) -> Response:
    """Response classes across the registry, and among the patients who received each treatment."""
    user = _user_or_redirect(request)
    if isinstance(user, RedirectResponse):
        return user
    with session_scope(request.app.state.calcinosis.registry()) as s:
        overall, by_treatment = cohort_summary(s, user.team)
    return _page(
        request, "cohort.html", lang, user=user, overall=overall, by_treatment=by_treatment, classes=CLASSES, kb=kb
    )


@router.get("/registry/cohort/chart.svg", response_model=None)
def cohort_chart(request: Request, kb: Kb, lang: Lang) -> Response:
    """The cohort summary as stacked bars (response classes overall and per treatment)."""
    from calcinosis.registry.plots import cohort_svg

    user = signed_in(request)
    with session_scope(request.app.state.calcinosis.registry()) as s:
        overall, by_treatment = cohort_summary(s, user.team)
    labels: dict[str, str] = {str(c): message(f"ui_class_{c}", lang) for c in CLASSES}
    labels |= {"all": message("ui_all_patients", lang), "patients": message("ui_patients_axis", lang)}
    labels |= {t: kb.treatments[t].names.get(lang) for t in by_treatment if t in kb.treatments}
    svg = cohort_svg(overall, by_treatment, labels)
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "no-store"})


def _admin(request: Request) -> SignedIn:
    user = signed_in(request)
    if user.role != "admin":
        raise AuthError("auth_admin_only", 403)
    return user


@router.get("/registry/users", response_class=HTMLResponse, response_model=None)
def users_page(request: Request, lang: Lang) -> Response:
    """Users and their roles (administrators only)."""
    user = _user_or_redirect(request)
    if isinstance(user, RedirectResponse):
        return user
    return _users_view(request, lang, _admin(request))


def _users_view(
    request: Request, lang: str, user: SignedIn, error: str | None = None, status: int = 200
) -> HTMLResponse:
    from calcinosis.registry.models import ROLES, User

    with session_scope(request.app.state.calcinosis.registry()) as s:
        users = [
            {"username": u.username, "role": u.role, "team": u.team, "active": u.active}
            for u in s.scalars(select(User).order_by(User.username))
        ]
    return _page(request, "users.html", lang, status=status, user=user, users=users, roles=ROLES, error=error)


@router.post("/registry/users", response_model=None)
async def create_user(
    request: Request,
    lang: Lang,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=16)],
    team: Annotated[str, Form(max_length=64)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    admin = _admin(request)
    check_csrf(request, csrf_token_field)
    try:

        def run() -> None:
            with session_scope(request.app.state.calcinosis.registry()) as s:
                store.add_user(
                    s, username.strip(), password, role, actor=admin.username, team=team.strip() or admin.team
                )

        await anyio.to_thread.run_sync(run)
    except CalcinosisError as exc:
        said = exc.text(lang) if isinstance(exc, RegistryError) else str(exc)
        return _users_view(request, lang, admin, error=said.splitlines()[0], status=_refused(exc))
    return RedirectResponse(f"/registry/users?lang={lang}", status_code=303)


@router.post("/registry/users/{username}/active", response_model=None)
async def switch_user(
    request: Request,
    lang: Lang,
    username: str,
    active: Annotated[str, Form(max_length=8)],
    csrf_token_field: Annotated[str, Form(alias="csrf_token", max_length=100)] = "",
) -> Response:
    admin = _admin(request)
    check_csrf(request, csrf_token_field)
    if username == admin.username:
        return _users_view(request, lang, admin, error=message("ui_own_account", lang), status=422)
    if active not in ("yes", "no"):  # anything but 'yes' switched the account off
        return _users_view(
            request,
            lang,
            admin,
            error=RegistryError.said("reg_err_yes_no", what="active", value=active[:8]).text(lang),
            status=422,
        )
    with session_scope(request.app.state.calcinosis.registry()) as s:
        store.set_active(s, username, active == "yes", actor=admin.username)
    return RedirectResponse(f"/registry/users?lang={lang}", status_code=303)
