"""The registry's tables (SQLAlchemy 2 ORM, typed mappings).

One row per thing a clinic records, with the versions that produced any computed value beside
it: a visit keeps its case as entered and the diagnosis result of that day with the code and
knowledge versions, so a later knowledge base never rewrites what was shown then. Identifying
data live in their own table (``identity``) that only some roles may read; everything else
refers to the pseudonymous patient code. ``audit`` is append-only: every change, who made it,
and the old and new values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "DEFAULT_TEAM",
    "Audit",
    "Base",
    "ClinicalDiagnosis",
    "Identity",
    "ImagingStudy",
    "Lesion",
    "LesionMeasurement",
    "Patient",
    "Treatment",
    "User",
    "Visit",
]

ROLES = ("clinician", "researcher", "admin")
DEFAULT_TEAM = "default"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base; JSON columns hold the project's result objects as plain JSON."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Patient(Base):
    """A patient, known to the registry by a pseudonymous code, unique within a team.

    ``team`` separates registries kept in one database: a user sees the patients of their own team only.
    """

    __tablename__ = "patient"
    __table_args__ = (UniqueConstraint("team", "code", name="uq_patient_team_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(64), default=DEFAULT_TEAM, server_default=DEFAULT_TEAM, index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    visits: Mapped[list[Visit]] = relationship(
        back_populates="patient", order_by="Visit.date", cascade="all, delete-orphan"
    )
    lesions: Mapped[list[Lesion]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    treatments: Mapped[list[Treatment]] = relationship(back_populates="patient", cascade="all, delete-orphan")
    diagnoses: Mapped[list[ClinicalDiagnosis]] = relationship(back_populates="patient", cascade="all, delete-orphan")


class Identity(Base):
    """Identifying data (optional), in a table of its own: only clinicians and admins read it."""

    __tablename__ = "identity"
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    hospital_number: Mapped[str | None] = mapped_column(String(64))


class ClinicalDiagnosis(Base):
    """The diagnosis the clinician recorded, with what the engine suggested at the time."""

    __tablename__ = "clinical_diagnosis"
    # one diagnosis held once on a date: the store refuses a repeat, and this refuses the second of
    # two writers that both passed that check at the same moment (migration 0004)
    __table_args__ = (
        UniqueConstraint("patient_id", "diagnosis", "date", name="uq_clinical_diagnosis_patient_diagnosis_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    diagnosis: Mapped[str] = mapped_column(String(100))
    engine_suggestion: Mapped[str | None] = mapped_column(String(100))
    engine_probability: Mapped[float | None] = mapped_column(Float)
    code_version: Mapped[str] = mapped_column(String(32))
    kb_version: Mapped[str] = mapped_column(String(32))
    patient: Mapped[Patient] = relationship(back_populates="diagnoses")


class Visit(Base):
    """One visit: the case as entered that day and the diagnosis result computed from it."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("patient_id", "date", name="uq_visit_patient_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    # the case and the result object are large (tens of kB): loaded only when read
    case: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    category: Mapped[str | None] = mapped_column(String(32))
    leading_diagnosis: Mapped[str | None] = mapped_column(String(100))
    leading_probability: Mapped[float | None] = mapped_column(Float)
    code_version: Mapped[str] = mapped_column(String(32))
    kb_version: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    measurements: Mapped[list[LesionMeasurement]] = relationship(back_populates="visit", cascade="all, delete-orphan")
    imaging: Mapped[list[ImagingStudy]] = relationship(back_populates="visit", cascade="all, delete-orphan")


class Lesion(Base):
    """A lesion followed over time (its label is unique for the patient: "L1", "left thumb")."""

    __tablename__ = "lesion"
    __table_args__ = (UniqueConstraint("patient_id", "label", name="uq_lesion_patient_label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    site: Mapped[str] = mapped_column(String(64))
    tissue: Mapped[str | None] = mapped_column(String(64))
    patient: Mapped[Patient] = relationship(back_populates="lesions")
    measurements: Mapped[list[LesionMeasurement]] = relationship(back_populates="lesion", cascade="all, delete-orphan")


class LesionMeasurement(Base):
    """A lesion at a visit: size, ulceration, infection, pain."""

    __tablename__ = "lesion_measurement"
    __table_args__ = (UniqueConstraint("lesion_id", "visit_id", name="uq_measurement_lesion_visit"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesion.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    largest_dimension_mm: Mapped[float | None] = mapped_column(Float)
    area_cm2: Mapped[float | None] = mapped_column(Float)
    volume_mm3: Mapped[float | None] = mapped_column(Float)
    ulcerated: Mapped[bool | None] = mapped_column(Boolean)
    infected: Mapped[bool | None] = mapped_column(Boolean)
    pain_vas: Mapped[float | None] = mapped_column(Float)
    lesion: Mapped[Lesion] = relationship(back_populates="measurements")
    visit: Mapped[Visit] = relationship(back_populates="measurements")


class ImagingStudy(Base):
    """An ``image quantify`` result attached to a visit."""

    __tablename__ = "imaging_study"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    modality: Mapped[str] = mapped_column(String(32))
    total_volume_mm3: Mapped[float] = mapped_column(Float)
    deposits: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    visit: Mapped[Visit] = relationship(back_populates="imaging")


class Treatment(Base):
    """A treatment period, from the management knowledge (drug or procedure)."""

    __tablename__ = "treatment"
    # a treatment started once on a day (as a diagnosis held once on a date; migration 0004)
    __table_args__ = (
        UniqueConstraint("patient_id", "treatment", "start", name="uq_treatment_patient_treatment_start"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    treatment: Mapped[str] = mapped_column(String(100))
    dose: Mapped[str | None] = mapped_column(String(200))
    start: Mapped[dt.date] = mapped_column(Date)
    stop: Mapped[dt.date | None] = mapped_column(Date)
    reason_stopped: Mapped[str | None] = mapped_column(String(200))
    adverse_events: Mapped[str | None] = mapped_column(Text)
    patient: Mapped[Patient] = relationship(back_populates="treatments")


class Audit(Base):
    """Append-only log of every change: who, when, what, old and new values."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class User(Base):
    """Someone who signs in to the registry's pages: clinician (read and write), researcher
    (pseudonymised read-only), admin (users and backups). Passwords are argon2 hashes."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    team: Mapped[str] = mapped_column(String(64), default=DEFAULT_TEAM, server_default=DEFAULT_TEAM)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
