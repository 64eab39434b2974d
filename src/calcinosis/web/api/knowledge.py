"""``/api/v1/knowledge/...`` and ``/api/v1/vocabulary/{list}``: what the engine knows, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from calcinosis.errors import UnknownEntityError
from calcinosis.issues import closest
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.views import (
    DiagnosisDetail,
    DiagnosisSummary,
    TermView,
    diagnosis_detail,
    diagnosis_list,
    vocabulary_list,
)
from calcinosis.kb.vocabulary import VOCABULARY_LISTS
from calcinosis.web.lang import request_lang
from calcinosis.web.state import kb_of

__all__ = ["router"]

router = APIRouter(tags=["knowledge"])
Kb = Annotated[KnowledgeBase, Depends(kb_of)]
Lang = Annotated[str, Depends(request_lang)]


@router.get("/knowledge/diagnoses", response_model=list[DiagnosisSummary])
def diagnoses(kb: Kb, lang: Lang) -> list[DiagnosisSummary]:
    """Every diagnosis the engine ranks, by category."""
    return diagnosis_list(kb, lang)


@router.get("/knowledge/diagnoses/{diagnosis_id}", response_model=DiagnosisDetail)
def diagnosis(kb: Kb, lang: Lang, diagnosis_id: Annotated[str, Path(max_length=200)]) -> DiagnosisDetail:
    """One diagnosis: definition, codes, prior, every frequency with its basis, references."""
    return diagnosis_detail(kb, diagnosis_id, lang)


@router.get("/vocabulary/{list_name}", response_model=list[TermView])
def vocabulary(kb: Kb, lang: Lang, list_name: Annotated[str, Path(max_length=100)]) -> list[TermView]:
    """The terms of one list of case format v1 (conditions, findings, sites...), labelled in ``lang``."""
    try:
        return vocabulary_list(kb, list_name, lang)
    except KeyError:
        raise UnknownEntityError(
            f"no vocabulary list {list_name!r}", entity_id=list_name, close=closest(list_name, VOCABULARY_LISTS)
        ) from None
