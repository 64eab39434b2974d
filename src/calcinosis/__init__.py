"""calcinosis: decision support for soft-tissue calcification.

>>> import calcinosis
>>> kb = calcinosis.load_kb()
>>> case = calcinosis.parse_case({"patient": {"age": 50, "sex": "male"}, "findings": ["scrotal_nodules"]}, kb)
>>> calcinosis.diagnose(case, kb).differential[0].diagnosis
'idiopathic_scrotal_calcinosis'
"""

from calcinosis._version import __version__
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
