"""calcinosis: decision support for soft-tissue calcification.

>>> import calcinosis
>>> kb = calcinosis.load_kb()
>>> case = calcinosis.parse_case({"patient": {"age": 50, "sex": "male"}, "findings": ["scrotal_nodules"]}, kb)
>>> calcinosis.diagnose(case, kb).differential[0].diagnosis
'idiopathic_scrotal_calcinosis'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from calcinosis._version import __version__

if TYPE_CHECKING:
    from calcinosis.case.model import Case
    from calcinosis.case.reader import parse_case, read_case
    from calcinosis.engine.diagnose import diagnose
    from calcinosis.engine.results import DiagnosisReport, DiagnosisResult
    from calcinosis.errors import (
        CalcinosisError,
        CaseValidationError,
        KnowledgeBaseError,
        UnknownEntityError,
    )
    from calcinosis.kb.loader import load_kb
    from calcinosis.kb.model import KnowledgeBase

# Imported on first use, so that `calcinosis --help` starts without loading pydantic models
# or numpy (PEP 562).
_LAZY = {
    "Case": "calcinosis.case.model",
    "parse_case": "calcinosis.case.reader",
    "read_case": "calcinosis.case.reader",
    "diagnose": "calcinosis.engine.diagnose",
    "DiagnosisReport": "calcinosis.engine.results",
    "DiagnosisResult": "calcinosis.engine.results",
    "CalcinosisError": "calcinosis.errors",
    "CaseValidationError": "calcinosis.errors",
    "KnowledgeBaseError": "calcinosis.errors",
    "UnknownEntityError": "calcinosis.errors",
    "load_kb": "calcinosis.kb.loader",
    "KnowledgeBase": "calcinosis.kb.model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'calcinosis' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "CalcinosisError",
    "Case",
    "CaseValidationError",
    "DiagnosisReport",
    "DiagnosisResult",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "UnknownEntityError",
    "__version__",
    "diagnose",
    "load_kb",
    "parse_case",
    "read_case",
]
