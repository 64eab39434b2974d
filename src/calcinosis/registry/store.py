"""What a clinic does with the registry, as functions the CLI (and later the API) call.

Every function takes an open session (one transaction, :func:`calcinosis.registry.db.session_scope`)
and an ``actor`` (who is doing it), checks its input with a clear message naming the item and
what was expected, writes, and appends the change to the audit log with the old and new values.
Nothing is overwritten silently: recording a visit on a date that already has one, a lesion
label twice, a treatment started twice on one day or a diagnosis held twice on one date, is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calcinosis import __version__
from calcinosis.case.model import Case
from calcinosis.issues import closest
from calcinosis.kb.model import KnowledgeBase
from calcinosis.registry.db import RegistryError
from calcinosis.registry.models import (
    DEFAULT_TEAM,
    ROLES,
    Audit,
    ClinicalDiagnosis,
    Identity,
    ImagingStudy,
    Lesion,
    LesionMeasurement,
    Patient,
    Treatment,
    User,
    Visit,
)

__all__ = [
    "CODE_PATTERN",
    "add_imaging",
    "add_patient",
    "add_treatment",
    "add_user",
    "add_visit",
    "authenticate",
    "get_patient",
    "identity_of",
    "parse_date",
    "parse_number",
    "record_diagnosis",
    "record_lesion",
    "set_active",
]

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
r"""A patient code or a team: ``\Z``, not ``$``, which also matches before a final newline (a
hardening audit: 'P001\n' was stored, and reached terminals, exports and file names as is)."""
MAX_SIZE_MM = 2500.0  # 2.5 m: the case format's largest size (250 cm)


def audit(session: Session, actor: str, action: str, entity: str, entity_id: int | None, old: Any, new: Any) -> None:
    """Append one change to the audit log (never updated, never deleted)."""
    session.add(Audit(actor=actor, action=action, entity=entity, entity_id=entity_id, old=old, new=new))


Repeat = tuple[Select[Any], str, dict[str, str]]
"""What makes a row a repeat: the query finding the same record, the message key, its values
(:func:`_refuse_repeat`)."""


def _insert(session: Session, actor: str, row: Any, recorded: dict[str, Any], *, repeat: Repeat | None = None) -> None:
    """Add ``row``, give it its id, and audit the insertion with ``recorded`` as the new value.

    With ``repeat``, a unique constraint refusing the row at the flush is the record another
    writer committed between :func:`_refuse_repeat`'s look and this insert (two workers, one
    form sent twice): the transaction is rolled back whole, as any refusal leaves it, and the
    writer who lost the race gets the same 409 as if it had come second, never a 500."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        if repeat is None:
            raise
        session.rollback()
        _refuse_repeat(session, repeat)
        raise  # not that record: session_scope says the change conflicts with another
    audit(session, actor, "insert", row.__tablename__, row.id, None, recorded)


def parse_date(text: str | dt.date, what: str) -> dt.date:
    """An ISO date (YYYY-MM-DD), not in the future."""
    if isinstance(text, dt.date):
        value = text
    else:
        try:
            value = dt.date.fromisoformat(str(text).strip())
        except ValueError:
            raise RegistryError.said("reg_err_not_a_date", what=what, value=str(text)[:40]) from None
    if value > dt.date.today():
        raise RegistryError.said("reg_err_future", what=what, value=value.isoformat())
    return value


def parse_number(text: str, what: str) -> float | None:
    """A number typed by a person (a decimal comma accepted); blank is not reported (None)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise RegistryError.said("reg_err_not_a_number", what=what, value=text.strip()[:20]) from None


def get_patient(session: Session, code: str, team: str | None = None) -> Patient:
    """The patient with this code (in ``team`` when given: a user sees their own team only);
    refuses an unknown code naming the closest ones of that team, and a code that several teams
    use when no team is given."""
    query = select(Patient).where(Patient.code == code)
    if team is not None:
        query = query.where(Patient.team == team)
    found = list(session.scalars(query.limit(2)))
    if len(found) == 1:
        return found[0]
    if found:
        raise RegistryError.said("reg_err_several_teams", code=code[:64])
    import difflib

    codes = select(Patient.code).limit(100_000)
    known = session.scalars(codes.where(Patient.team == team) if team is not None else codes).all()
    near = difflib.get_close_matches(code, known, n=3, cutoff=0.6)
    raise RegistryError.said("reg_err_no_patient", status=404, code=code[:64], near=", ".join(near))


def add_patient(
    session: Session,
    code: str,
    *,
    actor: str,
    sex: str | None = None,
    birth_year: int | None = None,
    identity: dict[str, Any] | None = None,
    team: str = DEFAULT_TEAM,
) -> Patient:
    """A new patient under a pseudonymous code (letters, digits, '.', '_', '-'; at most 64).

    ``identity`` (``name``, ``birth_date``, ``hospital_number``), when given, goes to the identity
    table, which only clinicians and admins read; the audit log records that it was set, not its values.
    """
    if not CODE_PATTERN.match(code):
        raise RegistryError.said("reg_err_code", value=code[:70])
    if not CODE_PATTERN.match(team):
        raise RegistryError.said("reg_err_team", value=team[:70])
    if session.scalar(select(Patient.id).where(Patient.code == code, Patient.team == team)) is not None:
        raise RegistryError.said("reg_err_patient_exists", status=409, code=code)
    if sex is not None and sex not in ("female", "male", "other", "unknown"):
        raise RegistryError.said("reg_err_sex", value=sex[:20])
    if birth_year is not None and not 1880 <= birth_year <= dt.date.today().year:
        raise RegistryError.said("reg_err_birth_year", value=birth_year)
    patient = Patient(code=code, sex=sex, birth_year=birth_year, team=team)
    _insert(session, actor, patient, {"code": code, "team": team, "sex": sex, "birth_year": birth_year})
    if identity:
        unknown = set(identity) - {"name", "birth_date", "hospital_number"}
        if unknown:
            raise RegistryError.said("reg_err_identity_items", items=", ".join(sorted(unknown))[:200])
        birth = identity.get("birth_date")
        session.add(
            Identity(
                patient_id=patient.id,
                name=(str(identity["name"])[:200] or None) if identity.get("name") else None,
                birth_date=parse_date(birth, "birth_date") if birth else None,
                hospital_number=(str(identity["hospital_number"])[:64] or None)
                if identity.get("hospital_number")
                else None,
            )
        )
        audit(
            session, actor, "insert", "identity", patient.id, None, {"set": sorted(k for k, v in identity.items() if v)}
        )
    return patient


def identity_of(session: Session, patient: Patient, role: str) -> Identity | None:
    """The identity of a patient, for a clinician or an admin only (None for anyone else)."""
    if role not in ("clinician", "admin"):
        return None
    return session.get(Identity, patient.id)


AGE_SLACK_YEARS = 1.5
"""How far a visit's case age may sit from the registry's birth year at the visit date: a birth
year gives the age within a year, and a case's age may be rounded."""


def _check_visit_is_the_patients(patient: Patient, case: Case, date: dt.date) -> None:
    """A visit whose case cannot be this patient's is refused, saying why: another sex than the
    registry's, an age the birth year rules out, a date before the birth year (a man of 80 was
    stored for a woman born in 1960, and a visit dated 1800 was accepted)."""
    if patient.birth_year is not None and date.year < patient.birth_year:
        raise RegistryError.said("reg_err_visit_before_birth", date=date.isoformat(), year=patient.birth_year)
    sexes = ("female", "male")
    if patient.sex in sexes and case.patient.sex in sexes and patient.sex != case.patient.sex:
        raise RegistryError.said("reg_err_visit_sex", code=patient.code, registry=patient.sex, case=case.patient.sex)
    if patient.birth_year is not None:
        expected = date.year - patient.birth_year
        if abs(case.patient.age - expected) > AGE_SLACK_YEARS:
            raise RegistryError.said(
                "reg_err_visit_age", age=f"{case.patient.age:g}", expected=expected, year=patient.birth_year
            )


VISIT_AGE_SLACK_YEARS = 1.0 + 2 / 365.25
"""How far the ages of two visits may sit from the time between their dates: each age may be
given in completed years (a 24-year-old is 24 to 25), so two ages differ from the time between
them by less than a year; the two days allow for leap years in the count of days."""


def _check_age_across_visits(session: Session, patient: Patient, case: Case, date: dt.date) -> None:
    """A visit whose age does not follow from another visit's age and the time between them is
    refused, saying which visit: a hostile-input audit recorded, for a patient without a birth
    year, ages 24 on 2024-01-01, 60 a month later and 24 five years before."""
    rows = session.execute(select(Visit.date, Visit.case).where(Visit.patient_id == patient.id).order_by(Visit.date))
    for other_date, other_case in rows:
        other_age = (other_case.get("patient") or {}).get("age") if isinstance(other_case, dict) else None
        if not isinstance(other_age, int | float) or isinstance(other_age, bool):
            continue
        expected = other_age + (date - other_date).days / 365.25
        if abs(case.patient.age - expected) > VISIT_AGE_SLACK_YEARS:
            raise RegistryError.said(
                "reg_err_visit_age_visit",
                age=float(case.patient.age),
                other_years=float(other_age),
                date=other_date.isoformat(),
                expected_years=max(expected, 0.0),
            )


def add_visit(
    session: Session,
    patient: Patient,
    case: Case,
    kb: KnowledgeBase,
    *,
    date: dt.date,
    actor: str,
    note: str | None = None,
) -> Visit:
    """A visit: the case as entered and its diagnosis result, with the versions that computed it."""
    from calcinosis.engine.diagnose import diagnose

    if session.scalar(select(Visit.id).where(Visit.patient_id == patient.id, Visit.date == date)) is not None:
        raise RegistryError.said("reg_err_visit_exists", status=409, code=patient.code, date=date.isoformat())
    # the note is free text like a dose: an ANSI escape, a bidi override or a NUL in it went into
    # the registry as sent (PostgreSQL refuses a NUL: an error the API could not say)
    note = _free_text(note, "note", 2000, lines=True)
    _check_visit_is_the_patients(patient, case, date)
    _check_age_across_visits(session, patient, case, date)
    report = diagnose(case, kb)
    result = report.model_dump(mode="json", by_alias=True)
    lead = report.differential[0] if report.differential else None
    visit = Visit(
        patient_id=patient.id,
        date=date,
        case=case.model_dump(mode="json", exclude_none=True),
        result=result,
        category=report.category,
        leading_diagnosis=lead.diagnosis if lead else None,
        leading_probability=lead.probability if lead else None,
        code_version=__version__,
        kb_version=kb.version,
        note=note,
    )
    _insert(session, actor, visit, {"patient": patient.code, "date": date.isoformat()})
    return visit


def _visit_on(session: Session, patient: Patient, date: dt.date) -> Visit:
    visit = session.scalar(select(Visit).where(Visit.patient_id == patient.id, Visit.date == date))
    if visit is None:
        raise RegistryError.said("reg_err_no_visit", code=patient.code, date=date.isoformat())
    return visit


def _number(value: float | None, what: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise RegistryError.said(
            "reg_err_out_of_range", what=what, value=f"{value!r}", low=f"{low:g}", high=f"{high:g}"
        )
    return float(value)


def record_lesion(
    session: Session,
    patient: Patient,
    kb: KnowledgeBase,
    *,
    date: dt.date,
    label: str,
    actor: str,
    site: str | None = None,
    tissue: str | None = None,
    largest_dimension_mm: float | None = None,
    area_cm2: float | None = None,
    volume_mm3: float | None = None,
    ulcerated: bool | None = None,
    infected: bool | None = None,
    pain_vas: float | None = None,
) -> LesionMeasurement:
    """A lesion measured at a visit; the lesion is created on its first measurement (its site then required)."""
    label = label.strip()
    if not 0 < len(label) <= 100 or not label.isprintable():
        raise RegistryError.said("reg_err_lesion_label")
    values = {
        "largest_dimension_mm": _number(largest_dimension_mm, "largest_dimension_mm", 0.1, MAX_SIZE_MM),
        "area_cm2": _number(area_cm2, "area_cm2", 0.001, 62500.0),
        "volume_mm3": _number(volume_mm3, "volume_mm3", 0.001, 1e10),
        "pain_vas": _number(pain_vas, "pain_vas", 0.0, 10.0),
        "ulcerated": ulcerated,
        "infected": infected,
    }
    visit = _visit_on(session, patient, date)
    lesion = session.scalar(select(Lesion).where(Lesion.patient_id == patient.id, Lesion.label == label))
    if lesion is None:
        if site is None:
            raise RegistryError.said("reg_err_lesion_site", label=label, code=patient.code)
        lesion = Lesion(
            patient_id=patient.id,
            label=label,
            site=_term(kb, "sites", site),
            tissue=_term(kb, "tissues", tissue) if tissue else None,
        )
        _insert(session, actor, lesion, {"patient": patient.code, "label": label, "site": lesion.site})
    elif site is not None and _term(kb, "sites", site) != lesion.site:
        raise RegistryError.said(
            "reg_err_lesion_other_site", status=409, label=label, recorded=lesion.site, given=_term(kb, "sites", site)
        )
    exists = session.scalar(
        select(LesionMeasurement.id).where(
            LesionMeasurement.lesion_id == lesion.id, LesionMeasurement.visit_id == visit.id
        )
    )
    if exists is not None:
        raise RegistryError.said("reg_err_measurement_exists", status=409, label=label, date=date.isoformat())
    measurement = LesionMeasurement(lesion_id=lesion.id, visit_id=visit.id, **values)
    _insert(session, actor, measurement, {"lesion": label, "date": date.isoformat(), **values})
    return measurement


IMAGING_MODALITIES = ("ct", "radiograph")
"""The modalities ``calcinosis image quantify`` measures (``ImagingResult.modality``)."""


def add_imaging(
    session: Session, patient: Patient, *, date: dt.date, result: dict[str, Any], actor: str
) -> ImagingStudy:
    """Attach an ``image quantify`` result (its JSON) to the visit of that date."""
    visit = _visit_on(session, patient, date)
    modality, total, deposits = result.get("modality"), result.get("total_volume_mm3"), result.get("deposits")
    if (
        modality not in IMAGING_MODALITIES
        or not isinstance(total, int | float)
        or isinstance(total, bool)
        or not math.isfinite(total)
        or total < 0
        or not isinstance(deposits, list)
    ):
        # a hostile-input audit: a volume of -5 with deposits "abc" was stored (3 deposits), and
        # a volume of NaN was refused as 'conflicts with one recorded at the same time'
        raise RegistryError(
            "the imaging result is not an `image quantify` result: expected modality "
            f"({' or '.join(IMAGING_MODALITIES)}), total_volume_mm3 (a number, 0 or more) and deposits (a list)"
        )
    total, deposits = float(total), len(deposits)
    study = ImagingStudy(
        visit_id=visit.id, modality=str(modality), total_volume_mm3=total, deposits=deposits, result=result
    )
    _insert(session, actor, study, {"date": date.isoformat(), "modality": modality, "deposits": deposits})
    return study


def add_treatment(
    session: Session,
    patient: Patient,
    kb: KnowledgeBase,
    treatment: str,
    *,
    start: dt.date,
    actor: str,
    dose: str | None = None,
    stop: dt.date | None = None,
    reason_stopped: str | None = None,
    adverse_events: str | None = None,
) -> Treatment:
    """A treatment period; the treatment is an id of the management knowledge (``calcinosis kb`` lists them)."""
    if treatment not in kb.treatments:
        near = closest(treatment, kb.treatments)
        raise RegistryError.said("reg_err_unknown_treatment", value=treatment[:60], near=", ".join(near))
    if stop is not None and stop < start:
        raise RegistryError.said(
            "reg_err_stop_before_start", treatment=treatment, stop=stop.isoformat(), start=start.isoformat()
        )
    _not_before_birth(patient, start, "start")
    same = select(Treatment.id).where(
        Treatment.patient_id == patient.id, Treatment.treatment == treatment, Treatment.start == start
    )
    repeat: Repeat = (
        same,
        "reg_err_treatment_exists",
        {"code": patient.code, "treatment": treatment, "start": start.isoformat()},
    )
    _refuse_repeat(session, repeat)
    dose = _free_text(dose, "dose", 200)
    reason_stopped = _free_text(reason_stopped, "reason_stopped", 200)
    adverse_events = _free_text(adverse_events, "adverse_events", 4000, lines=True)
    row = Treatment(
        patient_id=patient.id,
        treatment=treatment,
        dose=dose,
        start=start,
        stop=stop,
        reason_stopped=reason_stopped,
        adverse_events=adverse_events,
    )
    _insert(
        session,
        actor,
        row,
        {"treatment": treatment, "start": start.isoformat(), "stop": stop.isoformat() if stop else None},
        repeat=repeat,
    )
    return row


def _refuse_repeat(session: Session, repeat: Repeat) -> None:
    """Refuse with 409 what ``same`` finds already recorded, the message ``key`` naming the record
    there (its id): a treatment started twice on one day, a diagnosis held twice on one date.
    A unique constraint stands behind this look (migration 0004), for two writers at once."""
    same, key, said = repeat
    if (existing := session.scalar(same)) is not None:
        raise RegistryError.said(key, status=409, id=existing, **said)


def _not_before_birth(patient: Patient, date: dt.date, what: str) -> None:
    """A date of the patient's course before their birth year is refused, as a visit's is (a
    hostile-input audit: a treatment started in 1900 and a diagnosis held in 1900 were recorded
    for a patient born in 1960)."""
    if patient.birth_year is not None and date.year < patient.birth_year:
        raise RegistryError.said("reg_err_date_before_birth", what=what, date=date.isoformat(), year=patient.birth_year)


def _free_text(value: str | None, what: str, limit: int, *, lines: bool = False) -> str | None:
    """A free text of the registry (a dose, a reason, adverse events): at most ``limit``
    characters, no control character (line breaks allowed where ``lines``), blank as none.

    A hostile-input audit stored a dose holding an ANSI escape, which every later terminal,
    export and report would carry, and a dose of 100,000 characters in a column of 200, which
    SQLite keeps and PostgreSQL refuses: the same command gave two registries two answers."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    printable = text.replace("\n", "").replace("\t", " ") if lines else text
    if len(text) > limit or not printable.isprintable():
        raise RegistryError.said("reg_err_free_text", what=what, limit=limit)
    return text


def _term(kb: KnowledgeBase, list_name: str, text: str) -> str:
    term = kb.vocabulary.resolve(list_name, text)
    if term is None:
        near = kb.vocabulary.suggest(list_name, text)
        raise RegistryError.said(
            "reg_err_not_in_vocabulary", what=list_name[:-1], value=text[:60], near=", ".join(near)
        )
    return term


USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}\Z")  # \Z: no final newline (CODE_PATTERN)
MIN_PASSWORD = 12


def add_user(
    session: Session, username: str, password: str, role: str, *, actor: str, team: str = DEFAULT_TEAM
) -> User:
    """A user of the registry's pages; the password is stored as an argon2 hash only."""
    from argon2 import PasswordHasher

    if not USERNAME_PATTERN.match(username):
        raise RegistryError(f"user name {username[:70]!r}: expected 2-64 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise RegistryError(f"role {role[:20]!r}: expected one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise RegistryError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise RegistryError(f"user {username!r} already exists (nothing was changed)", status=409)
    if not CODE_PATTERN.match(team):
        raise RegistryError(f"team {team[:70]!r}: expected 1-64 letters, digits, '.', '_' or '-'")
    user = User(username=username, password_hash=PasswordHasher().hash(password), role=role, active=True, team=team)
    _insert(session, actor, user, {"username": username, "role": role, "team": team})
    return user


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so that a wrong name costs the same time
    as a wrong password (no user enumeration by timing)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash("no such user: a password nobody has")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same cost either way)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError

    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    try:
        PasswordHasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (Argon2Error, InvalidHashError):
        return None
    return user


def set_active(session: Session, username: str, active: bool, *, actor: str) -> User:
    """Switch a user on or off (an inactive user cannot sign in; nothing is deleted); audited with old and new."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RegistryError(f"no user {username[:64]!r}", status=404)
    if user.active != active:
        audit(session, actor, "update", "app_user", user.id, {"active": user.active}, {"active": active})
        user.active = active
    return user


def record_diagnosis(
    session: Session, patient: Patient, kb: KnowledgeBase, diagnosis: str, *, date: dt.date, actor: str
) -> ClinicalDiagnosis:
    """The diagnosis the clinician holds, kept beside what the engine suggested at the latest visit
    on or before that date (its leading diagnosis, probability and versions)."""
    if diagnosis not in kb.disease_ids:
        near = closest(diagnosis, kb.disease_ids)
        raise RegistryError.said("reg_err_unknown_diagnosis", value=diagnosis[:60], near=", ".join(near))
    _not_before_birth(patient, date, "date")
    same = select(ClinicalDiagnosis.id).where(
        ClinicalDiagnosis.patient_id == patient.id,
        ClinicalDiagnosis.diagnosis == diagnosis,
        ClinicalDiagnosis.date == date,
    )
    repeat: Repeat = (
        same,
        "reg_err_diagnosis_exists",
        {"code": patient.code, "diagnosis": diagnosis, "date": date.isoformat()},
    )
    _refuse_repeat(session, repeat)
    visit = session.scalar(
        select(Visit).where(Visit.patient_id == patient.id, Visit.date <= date).order_by(Visit.date.desc()).limit(1)
    )
    row = ClinicalDiagnosis(
        patient_id=patient.id,
        date=date,
        diagnosis=diagnosis,
        engine_suggestion=visit.leading_diagnosis if visit else None,
        engine_probability=visit.leading_probability if visit else None,
        code_version=visit.code_version if visit else __version__,
        kb_version=visit.kb_version if visit else kb.version,
    )
    _insert(
        session,
        actor,
        row,
        {"diagnosis": diagnosis, "date": date.isoformat(), "engine_suggestion": row.engine_suggestion},
        repeat=repeat,
    )
    return row
