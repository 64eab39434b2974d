"""``/api/v1/health`` and ``/api/v1/version``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from calcinosis import __version__
from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.state import kb_of

__all__ = ["router"]

router = APIRouter(tags=["service"])


class Health(BaseModel):
    """The server answers and its knowledge base is loaded."""

    status: Literal["ok"] = "ok"


class Version(BaseModel):
    """The versions a result depends on (keep them beside any stored result)."""

    code: str
    knowledge: str
    case_format: int


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: answers as soon as the knowledge base is loaded."""
    return Health()


@router.get("/version", response_model=Version)
def version(kb: Annotated[KnowledgeBase, Depends(kb_of)]) -> Version:
    """Code and knowledge-base versions."""
    return Version(code=__version__, knowledge=kb.version, case_format=kb.vocabulary.format_version)
