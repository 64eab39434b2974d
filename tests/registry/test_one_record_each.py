"""The same treatment started on the same day, or the same diagnosis on the same date, recorded
twice for a patient was two records of one: refused with 409 naming the record already there, as
a repeated patient, visit or lesion measurement is. Checked by the store, not by a unique
constraint: a registry may already hold such repeats, and a migration that added the constraint
would have to delete them (nothing a user entered may be lost); two writers at the same instant
remain the gap this leaves."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from calcinosis import KnowledgeBase
from calcinosis.registry import store
from calcinosis.registry.db import RegistryError, session_scope
from calcinosis.registry.models import ClinicalDiagnosis, Treatment

D = dt.date


def test_a_repeated_treatment_or_diagnosis_is_a_409_naming_the_record(engine: Engine, kb: KnowledgeBase) -> None:
    with session_scope(engine) as s:
        p = store.add_patient(s, "P1", actor="dr-a", birth_year=1960)
        first = store.add_treatment(s, p, kb, "diltiazem", start=D(2025, 2, 1), dose="60 mg", actor="dr-a")
        held = store.record_diagnosis(s, p, kb, "systemic_sclerosis", date=D(2025, 2, 1), actor="dr-a")
        ids = (first.id, held.id)
    for lang in ("en", "fr"):
        with pytest.raises(RegistryError) as info, session_scope(engine) as s:
            p = store.get_patient(s, "P1")
            store.add_treatment(s, p, kb, "diltiazem", start=D(2025, 2, 1), dose="90 mg", actor="dr-b")
        assert info.value.status == 409
        said = info.value.text(lang)
        assert "diltiazem" in said and "2025-02-01" in said and str(ids[0]) in said
        assert ("rien n'a été modifié" if lang == "fr" else "nothing was changed") in said
        with pytest.raises(RegistryError) as info, session_scope(engine) as s:
            p = store.get_patient(s, "P1")
            store.record_diagnosis(s, p, kb, "systemic_sclerosis", date=D(2025, 2, 1), actor="dr-b")
        assert info.value.status == 409 and "systemic_sclerosis" in info.value.text(lang)
        assert str(ids[1]) in info.value.text(lang)
    with session_scope(engine) as s:  # another start, another date: recorded
        p = store.get_patient(s, "P1")
        store.add_treatment(s, p, kb, "diltiazem", start=D(2025, 3, 1), actor="dr-a")
        store.record_diagnosis(s, p, kb, "systemic_sclerosis", date=D(2025, 3, 1), actor="dr-a")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Treatment)) == 2
        assert s.scalar(select(func.count()).select_from(ClinicalDiagnosis)) == 2
