"""What every request shares: the settings and the knowledge base, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.settings import Settings

__all__ = ["AppState", "app_state", "kb_of"]


@dataclass(frozen=True)
class AppState:
    """Read-only state of one app instance (the knowledge base is immutable once compiled)."""

    settings: Settings
    kb: KnowledgeBase


async def app_state(request: Request) -> AppState:
    """FastAPI dependency: the app's state (async: a plain function would cost a thread-pool hop)."""
    state: AppState = request.app.state.calcinosis
    return state


async def kb_of(request: Request) -> KnowledgeBase:
    """FastAPI dependency: the knowledge base."""
    state: AppState = request.app.state.calcinosis
    return state.kb
