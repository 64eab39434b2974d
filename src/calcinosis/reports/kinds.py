"""The kinds of report, shared by the CLI (`calcinosis report`) and the API (`/api/v1/report`).

A module of its own, without imports, so that the CLI can declare its options without loading
the renderer.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ReportAudience", "ReportFormat"]


class ReportFormat(StrEnum):
    """Output formats."""

    html = "html"
    pdf = "pdf"


class ReportAudience(StrEnum):
    """Who the report is for: the clinician's full report or the patient's plain-language leaflet."""

    clinician = "clinician"
    patient = "patient"
