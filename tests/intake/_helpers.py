"""Small helpers shared by the intake tests."""

from __future__ import annotations

from typing import Any


def labs_by_test(x: Any) -> dict[str, dict[str, Any]]:
    """An extraction's lab entries by test (the last one wins when a test is read twice)."""
    return {entry["test"]: entry for entry in x.case.get("labs", [])}


def studies_by_modality(x: Any) -> dict[str, dict[str, Any]]:
    """An extraction's imaging studies by modality (one per modality, as the reader makes them)."""
    return {study["modality"]: study for study in x.case.get("imaging", [])}
