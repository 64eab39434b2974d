"""The web app and the API under hostile or mistaken requests: the right status for every refusal,
HEAD wherever GET is, conflicts as 409, a bounded sign-in limiter, the Host header checked, and
whatever a client can send (sizes, media types, characters, methods) refused clearly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings, SettingsError

from .test_web_french import problems, visible_text


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    """The problem document of a refusal: its status, its media type, a title and a detail."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


# (a) a failed measurement is a 4xx, said on the page in its language and in the API's problem


def test_a_study_that_cannot_be_measured_gives_the_imaging_page_again_with_422(
    client: TestClient, kb: KnowledgeBase
) -> None:
    """A study that cannot be read answered 200: a script or a proxy saw a success. It is a 422
    now, the form again with the reason, in French on the French page, and what was typed kept."""
    page = client.post("/imaging?lang=fr", files={"study": ("radio.png", b"\x89PNG")}, data={"threshold": "150"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    text = visible_text(page.text)
    assert "L'examen ne peut pas être mesuré" in text and "radio.png" in text and "radio.png/" not in text
    assert 'id="study"' in page.text and 'value="150"' in page.text  # the form again, as typed
    assert not problems(text, kb)


def test_a_file_of_a_kind_the_reader_does_not_open_is_415_on_the_page_and_the_api(client: TestClient) -> None:
    """A text file sent as a study: 415 Unsupported Media Type, the suffixes it takes named."""
    page = client.post("/imaging?lang=fr", files={"study": ("notes.txt", b"hello")})
    assert page.status_code == 415 and ".nii.gz" in visible_text(page.text)
    assert "doit se terminer par" in visible_text(page.text)
    body = _problem(client.post("/api/v1/image/quantify?lang=fr", files={"study": ("notes.txt", b"hello")}), 415)
    assert "doit se terminer par" in body["detail"]


def test_a_number_the_imaging_page_cannot_read_is_422(client: TestClient) -> None:
    """A threshold that is no number is said on the page (it was, with a 200)."""
    page = client.post("/imaging?lang=en", files={"study": ("a.png", b"x")}, data={"threshold": "abc"})
    assert page.status_code == 422 and "abc" in visible_text(page.text)


# (b) HEAD wherever GET is


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every route's full path and methods (FastAPI 0.165 keeps an included router as one entry)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)
        elif hasattr(route, "original_router"):  # fastapi.routing._IncludedRouter
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app, its path parameters filled with a value each route knows."""
    values = {"diagnosis_id": "calciphylaxis", "list_name": "findings", "code": "P1"}
    paths = []
    for path, methods in _routes(app.routes):
        if "GET" in methods:
            for name, value in values.items():
                path = path.replace("{" + name + "}", value)
            paths.append(path)
    return paths


def test_head_is_answered_wherever_get_is_with_the_same_headers_and_no_body(client: TestClient, app: FastAPI) -> None:
    """Every route that answers GET answered HEAD with 405 (a monitoring probe or a link checker
    saw the app as down). HEAD now gets GET's status and headers, Content-Length included, and no body."""
    paths = [*_get_paths(app), "/static/app.js", "/?lang=fr", "/no/such/page"]
    assert len(paths) > 15
    for path in paths:
        got, head = client.get(path, follow_redirects=False), client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, path
        for header in ("content-type", "content-length", "location", "content-security-policy", "cache-control"):
            assert head.headers.get(header) == got.headers.get(header), (path, header)
        assert head.content == b"", path


def test_a_405_names_head_beside_get(client: TestClient) -> None:
    """The Allow header of a refused method lists what the resource answers, HEAD included."""
    refused = client.delete("/api/v1/health")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert client.put("/api/v1/diagnose").headers["allow"] == "POST"


# (c) conflicts are 409


def test_two_writers_recording_the_same_thing_at_once_is_a_409(tmp_path: Path) -> None:
    """The second of two simultaneous writes is refused by the database's unique constraint: a
    conflict with what the first wrote (409), not an unusable request (422)."""
    from calcinosis.registry.db import RegistryError, migrate, open_engine, session_scope
    from calcinosis.registry.models import Patient

    engine = open_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine)
    with pytest.raises(RegistryError) as refused, session_scope(engine) as s:
        s.add_all([Patient(code="P1", team="default"), Patient(code="P1", team="default")])
    engine.dispose()
    assert refused.value.status == 409 and "conflicts with one recorded at the same time" in str(refused.value)


# (d) the sign-in limiter holds only the failures that still count


def test_many_clients_do_not_grow_the_sign_in_limiter_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sign-in left an entry for its name and its address for the life of the process (a
    successful one too): a client cycling through addresses grew the server's memory without
    bound. Only failures within the window are held now, and the limit still holds."""
    from calcinosis.web import auth

    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    limiter = auth.LoginLimiter(attempts=5, window=900.0)
    for i in range(5000):  # successful sign-ins: checked, never failed
        limiter.check("doc", f"10.0.{i // 250}.{i % 250}")
    assert len(limiter._failures) == 0
    for i in range(5000):  # a spray of failures, each from another name and address
        limiter.failed(f"user{i}", f"10.1.{i // 250}.{i % 250}")
    assert len(limiter._failures) == 10_000  # held while they count
    now[0] += 901.0
    limiter.failed("late", "10.2.0.1")
    assert len(limiter._failures) == 2  # the expired ones dropped
    for _ in range(4):
        limiter.failed("late", "10.2.0.2")
    with pytest.raises(auth.AuthError):  # the limit per name still holds
        limiter.check("late", "10.2.0.3")
    now[0] += 901.0
    limiter.check("late", "10.2.0.3")  # and ends with its window
    assert len(limiter._failures) == 0


# (e) the Host header names this server


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST.:80", "[::1]:8000", "testserver"])
def test_loopback_names_are_served(client: TestClient, host: str) -> None:
    assert client.get("/api/v1/health", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example:8000", "[::2]"])
def test_a_foreign_host_header_is_refused_with_400(client: TestClient, host: str) -> None:
    """No Host check: a page elsewhere whose name is made to resolve to 127.0.0.1 (DNS rebinding)
    could read the app, and the registry, from the user's browser. A foreign Host is 400 now,
    with the problem document and the security headers, before any route runs."""
    for response in (client.get("/", headers={"host": host}), client.head("/api/v1/health", headers={"host": host})):
        assert response.status_code == 400
        assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"
    body = _problem(client.post("/api/v1/registry/session", json={}, headers={"host": host}), 400)
    assert "CALCINOSIS_ALLOWED_HOSTS" in body["detail"]


def test_two_host_headers_are_refused(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers=[("host", "127.0.0.1"), ("host", "evil.example")])
    assert _problem(response, 400)["detail"].startswith("the request needs exactly one Host header")


def test_the_hosts_served_are_set_by_the_environment(kb: KnowledgeBase, tmp_path: Path) -> None:
    """CALCINOSIS_ALLOWED_HOSTS adds names (``*.domain`` for sub-domains); the public URL's host
    and an address the server is bound to are served too; '*' and what is no host are refused."""
    env = {
        "CALCINOSIS_ALLOWED_HOSTS": "calcinosis.hospital.example, *.ward.example, fd00::5",
        "CALCINOSIS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
    }
    app = create_app(Settings.from_env(env), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as c:
        for host, status in (
            ("calcinosis.hospital.example", 200),
            ("a.ward.example:443", 200),
            ("ward.example", 400),
            ("[fd00::5]:8000", 200),
            ("127.0.0.1", 200),
            ("other.example", 400),
        ):
            assert c.get("/api/v1/health", headers={"host": host}).status_code == status, host
    hosted = Settings.from_env(
        {"CALCINOSIS_HOST": "10.0.0.5", "CALCINOSIS_SECRET": "s" * 16, "CALCINOSIS_PUBLIC_URL": "https://cds.example/x"}
    )
    assert {"10.0.0.5", "cds.example"} <= set(hosted.trusted_hosts())
    wildcard = Settings.from_env(
        {"CALCINOSIS_HOST": "0.0.0.0", "CALCINOSIS_SECRET": "s" * 16, "CALCINOSIS_PUBLIC_URL": "https://cds.example"}
    )
    assert "0.0.0.0" not in wildcard.trusted_hosts()
    for bad in ("*", "bad host!", "evil.example/path", "host:8000"):
        with pytest.raises(SettingsError, match="CALCINOSIS_ALLOWED_HOSTS"):
            Settings.from_env({"CALCINOSIS_ALLOWED_HOSTS": bad})


# a hostile-input audit


@pytest.mark.parametrize("path", ["/api/v1/knowledge/diagnoses/x%E2%80%AEy", "/api/v1/vocabulary/a%1B%5B2J%0Ab"])
def test_a_problems_instance_holds_no_control_or_bidi_character(client: TestClient, path: str) -> None:
    """The ``instance`` of a problem repeated the decoded path as sent: a bidi override or an
    ANSI escape in an id reached whatever printed the problem (the detail was already cleaned)."""
    body = _problem(client.get(path), 404)
    assert not any(ch in body["instance"] for ch in "\u202e\x1b\n") and "\ufffd" in body["instance"]


def test_the_address_given_to_serve_is_a_host_the_app_answers_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """uvicorn imports the app, which reads its settings from the environment: ``serve --host
    10.0.0.5`` must reach it, else every request to http://10.0.0.5/ is refused as a foreign Host."""
    import uvicorn
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    monkeypatch.setenv("CALCINOSIS_HOST", "127.0.0.1")  # restored after the test (serve sets it)
    seen: list[tuple[str, ...]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.append(Settings.from_env().trusted_hosts()))
    env = {
        "CALCINOSIS_SECRET": "s" * 20,
        "CALCINOSIS_PUBLIC_URL": "https://calcinosis.example",
        "CALCINOSIS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
    }
    served = CliRunner().invoke(app, ["serve", "--host", "10.0.0.5"], env=env)
    assert served.exit_code == 0, served.output
    assert "10.0.0.5" in seen[-1] and "calcinosis.example" in seen[-1]
