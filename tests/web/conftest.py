"""Fixtures of the web tests: one app (bundled knowledge base) and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings


@pytest.fixture(scope="session")
def app(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app on the shipped knowledge base, default (safe) settings, a registry of its own."""
    database = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.sqlite3'}"
    return create_app(Settings(database_url=database), kb=kb)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process HTTP client (no server, no socket)."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
