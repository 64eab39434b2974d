"""The patient summary PDF: the registry's data for one patient through the report renderer."""

from __future__ import annotations

import base64
import datetime as dt

from sqlalchemy.orm import Session

from calcinosis import __version__
from calcinosis.kb.model import KnowledgeBase
from calcinosis.registry.models import Patient
from calcinosis.registry.plots import course_png
from calcinosis.registry.response import patient_response

__all__ = ["patient_summary_html", "patient_summary_pdf"]


def patient_summary_html(session: Session, patient: Patient, kb: KnowledgeBase, *, lang: str = "en") -> str:
    """The summary as HTML: response, chart, visits, lesions, treatments (pseudonymous)."""
    from calcinosis.reports.render import render_registry_summary

    response = patient_response(session, patient)

    def category(c: str | None) -> str:
        return "—" if not c else (kb.categories[c].fr if lang == "fr" else kb.categories[c].en)

    def diagnosis(d: str | None) -> str:
        return "—" if not d else kb.disease(d).name(lang)

    context: dict[str, object] = {
        "patient": {"code": patient.code},
        "versions": {"code": __version__, "kb": kb.version},
        "generated": dt.date.today().isoformat(),
        "response": response,
        "chart": base64.b64encode(course_png(patient, lang=lang)).decode("ascii"),
        "visits": [
            {
                "date": v.date,
                "category": category(v.category),
                "leading": diagnosis(v.leading_diagnosis),
                "kb": v.kb_version,
            }
            for v in patient.visits
        ],
        "lesions": [
            {
                "label": r.label,
                "site": kb.vocabulary.label("sites", r.site, lang),
                "response": r.response,
                "change": r.change_from_baseline,
                "vas": "—"
                if r.vas_baseline is None or r.vas_latest is None
                else f"{r.vas_baseline:g} → {r.vas_latest:g}",
            }
            for r in response.lesions
        ],
        "treatments": [
            {
                "name": kb.treatments[t.treatment].names.get(lang) if t.treatment in kb.treatments else t.treatment,
                "dose": t.dose,
                "start": t.start,
                "stop": t.stop,
            }
            for t in sorted(patient.treatments, key=lambda t: t.start)
        ],
    }
    return render_registry_summary(context, lang=lang)


def patient_summary_pdf(session: Session, patient: Patient, kb: KnowledgeBase, *, lang: str = "en") -> bytes:
    """The summary as PDF (WeasyPrint)."""
    from calcinosis.reports.render import pdf_bytes

    return pdf_bytes(patient_summary_html(session, patient, kb, lang=lang))
