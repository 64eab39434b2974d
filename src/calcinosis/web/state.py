"""What every request shares: the settings, the knowledge base (loaded once per process), the
registry's database engine (opened on first use) and the sign-in limiter."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from calcinosis.web.auth import EndedSessions, LoginLimiter

__all__ = ["AppState", "kb_of"]


@dataclass
class AppState:
    """State of one app instance (the knowledge base is immutable once compiled)."""

    settings: Settings
    kb: KnowledgeBase
    _engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _limiter: LoginLimiter | None = None
    _ended: EndedSessions | None = None

    def registry(self) -> Engine:
        """The registry's engine: an SQLite file is created or upgraded on first use; a PostgreSQL
        registry must already be initialised (``calcinosis registry init``), else a clear error."""
        with self._lock:
            if self._engine is None:
                from calcinosis.registry.db import check_ready, migrate, open_engine

                engine = open_engine(self.settings.database_url)
                if engine.dialect.name == "sqlite":
                    migrate(engine)
                check_ready(engine)
                self._engine = engine
            return self._engine

    def close(self) -> None:
        """Close the registry's connections (at shutdown)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def ended(self) -> EndedSessions:
        """The sessions signed out before their cookie expires, per process."""
        with self._lock:
            if self._ended is None:
                from calcinosis.web.auth import EndedSessions

                self._ended = EndedSessions()
            return self._ended

    def limiter(self) -> LoginLimiter:
        """Failed sign-ins, counted per process."""
        with self._lock:
            if self._limiter is None:
                from calcinosis.web.auth import LoginLimiter

                self._limiter = LoginLimiter()
            return self._limiter


async def kb_of(request: Request) -> KnowledgeBase:
    """FastAPI dependency: the knowledge base."""
    state: AppState = request.app.state.calcinosis
    return state.kb
