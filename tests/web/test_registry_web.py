"""The registry behind sign-in: pages and API, roles, CSRF, rate limit, hostile text (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase
from calcinosis.registry import store
from calcinosis.registry.db import migrate, open_engine, session_scope
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

from ..conftest import SHARED
from ..registry.conftest import postgres_url, registry_url  # noqa: F401 - fixtures

PASSWORD = "correct horse battery staple"
CREST = (SHARED / "cases" / "dev-003-crest-fingertips.yaml").read_text(encoding="utf-8")


@pytest.fixture
def site(registry_url: str, kb: KnowledgeBase) -> Iterator[TestClient]:  # noqa: F811
    engine = open_engine(registry_url)
    migrate(engine)
    with session_scope(engine) as s:
        store.add_user(s, "doc", PASSWORD, "clinician", actor="setup")
        store.add_user(s, "res", PASSWORD, "researcher", actor="setup")
        store.add_user(s, "other", PASSWORD, "clinician", actor="setup", team="team-b")
    engine.dispose()
    app = create_app(Settings(database_url=registry_url), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _login(client: TestClient, username: str = "doc") -> str:
    token = _token(client.get("/login").text)
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return _token(client.get("/registry").text)


def test_unauthenticated_requests(site: TestClient) -> None:
    page = site.get("/registry/patients/P1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2Fregistry%2Fpatients%2FP1")
    french = site.get("/registry?lang=fr", follow_redirects=False)
    assert french.headers["location"].endswith("&lang=fr")  # the sign-in page in the page's language
    assert '<html lang="fr">' in site.get(french.headers["location"]).text
    api = site.get("/api/v1/registry/patients")
    assert api.status_code == 401 and api.headers["content-type"] == "application/problem+json"
    assert site.get("/registry/patients/P1/chart.svg").status_code == 401


def test_a_clinician_records_and_sees_the_response(site: TestClient) -> None:
    token = _login(site)
    assert (
        site.post(
            "/registry/patients", data={"code": "P1", "sex": "female", "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    for date, area, vas in (("2025-01-10", "2", "6"), ("2025-07-12", "1,2", "3")):
        r = site.post(
            "/registry/patients/P1/visits",
            data={"date": date, "case_text": CREST, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        data = {"date": date, "label": "L1", "site": "fingertips", "area_cm2": area, "vas": vas, "csrf_token": token}
        assert site.post("/registry/patients/P1/lesions", data=data, follow_redirects=False).status_code == 303
    dx = {"diagnosis": "systemic_sclerosis", "date": "2025-07-12", "csrf_token": token}
    assert site.post("/registry/patients/P1/diagnoses", data=dx, follow_redirects=False).status_code == 303
    page = site.get("/registry/patients/P1")
    assert (
        page.status_code == 200 and "improved" in page.text and "-40%" in page.text and "-40 %" not in page.text
    )  # English: no space before %
    assert page.text.count("Systemic sclerosis") >= 3  # the clinician's, the engine's, the visits'
    cohort = site.get("/registry/cohort")
    assert cohort.status_code == 200 and "Diltiazem" not in cohort.text  # no treatment recorded here
    chart = site.get("/registry/cohort/chart.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    svg = site.get("/registry/patients/P1/chart.svg")
    assert svg.status_code == 200 and svg.text.lstrip().startswith(("<?xml", "<svg"))
    listed = site.get("/registry?q=P1")
    assert "Systemic sclerosis" in listed.text
    api = site.get("/api/v1/registry/patients/P1/response").json()
    assert api["response"] == "improved" and api["lesions"][0]["change_from_baseline"] == pytest.approx(-0.4)
    refused = site.post(
        "/registry/patients/P1/visits", data={"date": "2025-07-12", "case_text": CREST, "csrf_token": token}
    )
    assert refused.status_code == 409 and "already has a visit" in refused.text


def test_a_refused_form_keeps_what_was_typed(site: TestClient) -> None:
    """A lesion with a size that is no number, a visit whose case cannot be read, a diagnosis
    with an impossible date: the page says why and every field still holds what the clinician typed."""
    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    lesion = {"date": "2025-03-01", "label": "Index pulp", "site": "fingertips", "size_mm": "abc", "vas": "6"}
    page = site.post("/registry/patients/P1/lesions", data={**lesion, "ulcerated": "yes", "csrf_token": token})
    assert page.status_code == 422
    for value in lesion.values():
        assert f'value="{value}"' in page.text, value
    assert '<option value="yes" selected>' in page.text
    typed = "id: x\npatient: {age: 40}\nfindings: [no_such_finding]\n"
    page = site.post(
        "/registry/patients/P1/visits", data={"date": "2025-03-02", "case_text": typed, "csrf_token": token}
    )
    assert page.status_code == 422 and "no_such_finding" in page.text and 'value="2025-03-02"' in page.text
    assert ">id: x" in page.text  # the pasted case is back in its text area
    page = site.post(
        "/registry/patients/P1/diagnoses", data={"diagnosis": "gout", "date": "2025-13-45", "csrf_token": token}
    )
    assert (
        page.status_code == 422 and '<option value="gout" selected>' in page.text and 'value="2025-13-45"' in page.text
    )
    assert '<option value="">—</option>' in page.text  # no diagnosis is chosen for the clinician


def test_a_refusal_is_said_in_the_pages_language(site: TestClient) -> None:
    """The registry's refusals on a French page are French (they were English), the field named
    as the page names it; the English page keeps the English text."""
    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    lesion = {"date": "2025-03-01", "label": "L1", "site": "fingertips", "size_mm": "abc", "csrf_token": token}
    french = site.post("/registry/patients/P1/lesions?lang=fr", data=lesion)
    assert french.status_code == 422 and "taille (mm)\u00a0: «\u00a0abc\u00a0» n'est pas un nombre" in html.unescape(
        french.text
    )
    english = site.post("/registry/patients/P1/lesions?lang=en", data=lesion)
    assert "size (mm): 'abc' is not a number" in html.unescape(english.text)
    no_visit = site.post("/registry/patients/P1/lesions?lang=fr", data={**lesion, "size_mm": "4"})
    assert "n'a pas de visite le 2025-03-01" in html.unescape(no_visit.text)


def test_a_researcher_reads_and_cannot_write(site: TestClient) -> None:
    _login(site, "doc")
    token = _token(site.get("/registry").text)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    site.cookies.clear()
    token = _login(site, "res")
    page = site.get("/registry")
    assert "P1" in page.text and "Add a patient" not in page.text
    assert site.post("/registry/patients", data={"code": "P2", "csrf_token": token}).status_code == 403
    api = site.post("/api/v1/registry/patients", json={"code": "P3"}, headers={"x-csrf-token": token})
    assert api.status_code == 403
    assert [p["code"] for p in site.get("/api/v1/registry/patients").json()] == ["P1"]


def test_forms_without_their_token_are_refused(site: TestClient) -> None:
    _login(site)
    assert site.post("/registry/patients", data={"code": "P1"}).status_code == 403
    assert site.post("/registry/patients", data={"code": "P1", "csrf_token": "forged"}).status_code == 403
    assert site.post("/api/v1/registry/patients", json={"code": "P1"}).status_code == 403
    assert site.get("/api/v1/registry/patients").json() == []


def test_sign_in_is_rate_limited_and_redirects_stay_on_site(site: TestClient) -> None:
    token = _token(site.get("/login").text)
    for _ in range(5):
        r = site.post("/login", data={"username": "doc", "password": "wrong password!", "csrf_token": token})
        assert r.status_code == 401
    assert 'value="doc"' in r.text  # the user name typed is kept beside the refusal
    r = site.post("/login", data={"username": "doc", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429


def test_no_open_redirect_and_cookie_flags(site: TestClient) -> None:
    token = _token(site.get("/login").text)
    r = site.post(
        "/login",
        data={"username": "doc", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/registry"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "<script>alert(1)</script>", "P1'); DROP TABLE patient; --"])
def test_hostile_strings_are_harmless(site: TestClient, hostile: str) -> None:
    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    site.post("/registry/patients/P1/visits", data={"date": "2025-01-10", "case_text": CREST, "csrf_token": token})
    search = site.get("/registry", params={"q": hostile})
    assert search.status_code == 200 and "<script>alert(1)</script>" not in search.text
    refused = site.post("/registry/patients", data={"code": hostile, "csrf_token": token})
    assert refused.status_code == 422 and "<script>alert" not in refused.text
    r = site.post(
        "/registry/patients/P1/treatments",
        data={"treatment": "diltiazem", "start": "2025-02-01", "dose": hostile, "csrf_token": token},
    )
    assert r.status_code in (200, 303)
    page = site.get("/registry/patients/P1")
    assert "<script>alert(1)</script>" not in page.text
    assert site.get("/api/v1/registry/patients").json()[0]["code"] == "P1"  # the table is still there


def test_identity_is_shown_to_clinicians_only(site: TestClient) -> None:
    token = _login(site, "doc")
    site.post("/registry/patients", data={"code": "P1", "name": "Jeanne Dupont", "csrf_token": token})
    assert "Jeanne Dupont" in site.get("/registry/patients/P1").text
    site.cookies.clear()
    _login(site, "res")
    page = site.get("/registry/patients/P1")
    assert page.status_code == 200 and "Jeanne Dupont" not in page.text
    assert "Jeanne" not in site.get("/api/v1/registry/patients/P1/visits").text


def test_registry_pages_are_french(site: TestClient, kb: KnowledgeBase) -> None:
    from .test_web_french import problems, visible_text

    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    site.post("/registry/patients/P1/visits", data={"date": "2025-01-10", "case_text": CREST, "csrf_token": token})
    for path in ("/registry?lang=fr", "/registry/patients/P1?lang=fr", "/registry/cohort?lang=fr", "/login?lang=fr"):
        found = problems(visible_text(site.get(path).text), kb)
        assert not found, (path, found[:5])


def test_eight_api_clients_writing_at_once_lose_nothing(site: TestClient, registry_url: str) -> None:  # noqa: F811
    """8 signed-in API clients add visits and lesion measurements to the same 4 patients at once;
    every row is there and the audit log has one entry per row."""
    import threading

    import yaml
    from sqlalchemy import func, select

    from calcinosis.registry.models import Audit, LesionMeasurement, Visit

    case = yaml.safe_load(CREST)
    token = _login(site)
    for i in range(4):
        assert (
            site.post("/api/v1/registry/patients", json={"code": f"C{i}"}, headers={"x-csrf-token": token}).status_code
            == 201
        )
    app = site.app
    errors: list[str] = []

    def client_thread(w: int) -> None:
        c = TestClient(app)  # no `with`: the app's lifespan (and its engine) belongs to the fixture's client
        signed = c.post("/api/v1/registry/session", json={"username": "doc", "password": PASSWORD})
        headers = {"x-csrf-token": signed.json()["csrf_token"]}
        for k in range(5):
            day = f"2024-{1 + w:02d}-{1 + k:02d}"
            code = f"C{(w + k) % 4}"
            r1 = c.post(f"/api/v1/registry/patients/{code}/visits", json={"date": day, "case": case}, headers=headers)
            r2 = c.post(
                f"/api/v1/registry/patients/{code}/lesions",
                json={"date": day, "label": f"W{w}", "site": "hand", "area_cm2": 1 + k},
                headers=headers,
            )
            errors.extend(f"{r.status_code} {r.text[:200]}" for r in (r1, r2) if r.status_code != 201)

    threads = [threading.Thread(target=client_thread, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    engine = open_engine(registry_url)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 40
        assert s.scalar(select(func.count()).select_from(LesionMeasurement)) == 40
        audited = s.scalar(
            select(func.count()).select_from(Audit).where(Audit.entity.in_(["visit", "lesion_measurement"]))
        )
        assert audited == 80
    engine.dispose()


def test_teams_do_not_see_each_others_patients(site: TestClient) -> None:
    """Two registries in one database: same codes allowed, nothing visible across."""
    token = _login(site, "doc")
    site.post("/registry/patients", data={"code": "P1", "name": "Alice A", "csrf_token": token})
    site.post("/registry/patients", data={"code": "A-only", "csrf_token": token})
    site.cookies.clear()
    token = _login(site, "other")
    assert (
        site.post("/registry/patients", data={"code": "P1", "csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    listed = site.get("/registry")
    assert "A-only" not in listed.text and "Alice" not in site.get("/registry/patients/P1").text
    assert site.get("/registry/patients/A-only").status_code == 404
    assert site.get("/registry/patients/A-only/chart.svg").status_code == 404
    assert site.get("/api/v1/registry/patients/A-only/visits").status_code == 404
    assert [p["code"] for p in site.get("/api/v1/registry/patients").json()] == ["P1"]
    assert site.get("/registry", params={"q": "A-only"}).text.count("A-only") == 1  # the search box only
    visit = site.post(
        "/registry/patients/A-only/visits", data={"date": "2025-01-10", "case_text": CREST, "csrf_token": token}
    )
    assert visit.status_code == 404 and "no patient" in visit.text


def test_patient_page_shows_imaging_change(site: TestClient, registry_url: str, kb: KnowledgeBase) -> None:  # noqa: F811
    import datetime as dt

    from calcinosis.imaging.measure import measure_volume

    from ..imaging.phantoms import limb_phantom

    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    for date in ("2025-01-10", "2025-07-12"):
        site.post("/registry/patients/P1/visits", data={"date": date, "case_text": CREST, "csrf_token": token})
    volume, _ = limb_phantom(shape=(24, 160, 160), spacing=(1.0, 1.0, 1.0))
    payload = measure_volume(volume, threshold=130.0)[0].model_dump(mode="json")
    engine = open_engine(registry_url)
    with session_scope(engine) as s:
        patient = store.get_patient(s, "P1")
        for day in (dt.date(2025, 1, 10), dt.date(2025, 7, 12)):
            store.add_imaging(s, patient, date=day, result=payload, actor="t")
    engine.dispose()
    page = site.get("/registry/patients/P1?lang=fr").text
    assert "dépôts suivis, 0 nouveaux, 0 disparus" in page and "+0\u00a0%" in page


def test_an_admin_manages_users(site: TestClient, registry_url: str) -> None:  # noqa: F811
    from sqlalchemy import select

    from calcinosis.registry.models import Audit

    engine = open_engine(registry_url)
    with session_scope(engine) as s:
        store.add_user(s, "boss", PASSWORD, "admin", actor="setup")
    engine.dispose()
    token = _login(site, "doc")
    assert site.get("/registry/users").status_code == 403  # a clinician does not manage users
    site.cookies.clear()
    token = _login(site, "boss")
    page = site.get("/registry/users")
    assert page.status_code == 200 and "doc" in page.text
    data = {"username": "newdoc", "password": PASSWORD, "role": "clinician", "csrf_token": token}
    assert site.post("/registry/users", data=data, follow_redirects=False).status_code == 303
    assert site.post("/registry/users", data={**data, "password": "short"}).status_code == 422
    assert (
        site.post(
            "/registry/users/doc/active", data={"active": "no", "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    site.cookies.clear()
    login = _token(site.get("/login").text)
    refused = site.post("/login", data={"username": "doc", "password": PASSWORD, "csrf_token": login})
    assert refused.status_code == 401  # switched off
    _login(site, "newdoc")
    engine = open_engine(registry_url)
    with session_scope(engine) as s:
        change = s.scalar(select(Audit).where(Audit.action == "update"))
        assert change is not None and (change.old, change.new, change.actor) == (
            {"active": True},
            {"active": False},
            "boss",
        )
    engine.dispose()


def test_an_unreadable_visit_case_is_shown_on_the_page(site: TestClient) -> None:
    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "csrf_token": token})
    bad = site.post(
        "/registry/patients/P1/visits", data={"date": "2025-01-10", "case_text": "patient: [", "csrf_token": token}
    )
    assert bad.status_code == 422 and "pasted text" in bad.text and "<html" in bad.text.lower()
    forged = site.post("/registry/patients/P1/visits", data={"date": "2025-01-10", "case_text": "patient: ["})
    assert forged.status_code == 403  # the token is checked before anything is read


def test_the_api_refuses_what_it_would_have_lost_or_mixed_up(site: TestClient) -> None:
    """A hardening review: unknown fields were dropped (a pain score sent as "pain"), a repeated
    key silently replaced the first, a man of 80 was stored for a woman born in 1960 and a visit
    dated 1800 was accepted. Each is now refused, saying what and where; nothing is written."""
    token = _login(site)
    headers = {"x-csrf-token": token}
    unknown = site.post("/api/v1/registry/patients", json={"code": "P1", "sexe": "female"}, headers=headers)
    assert unknown.status_code == 422 and "sexe" in unknown.text
    repeated = site.post(
        "/api/v1/registry/patients",
        content=b'{"code": "P1", "birth_year": 1960, "birth_year": 1970}',
        headers={**headers, "content-type": "application/json"},
    )
    assert repeated.status_code == 422 and "birth_year" in repeated.text
    assert site.get("/api/v1/registry/patients").json() == []
    made = site.post(
        "/api/v1/registry/patients", json={"code": "P1", "sex": "female", "birth_year": 1960}, headers=headers
    )
    assert made.status_code == 201, made.text
    import yaml

    crest = yaml.safe_load(CREST)
    man = {**crest, "patient": {**crest["patient"], "sex": "male"}}
    wrong_sex = site.post(
        "/api/v1/registry/patients/P1/visits", json={"date": "2025-03-01", "case": man}, headers=headers
    )
    assert wrong_sex.status_code == 422 and "right patient" in wrong_sex.text
    aged = {**crest, "patient": {**crest["patient"], "age": 80}}
    wrong_age = site.post(
        "/api/v1/registry/patients/P1/visits", json={"date": "2025-03-01", "case": aged}, headers=headers
    )
    assert wrong_age.status_code == 422 and "birth year 1960" in wrong_age.text
    early = site.post(
        "/api/v1/registry/patients/P1/visits", json={"date": "1800-01-01", "case": crest}, headers=headers
    )
    assert early.status_code == 422
    lesion = site.post(
        "/api/v1/registry/patients/P1/lesions", json={"date": "2025-03-01", "label": "L1", "pain": 7}, headers=headers
    )
    assert lesion.status_code == 422 and "pain" in lesion.text
    assert site.get("/api/v1/registry/patients/P1/visits").json() == []


def test_the_api_takes_numbers_and_booleans_as_themselves_not_as_text(site: TestClient) -> None:
    """Lax reading took "yes", "on", 1 and "1" for true, "1970" for 1970 and true for an area of
    1.0 cm2; a case body refuses each of them, and so does the registry's API now."""
    import yaml

    headers = {"x-csrf-token": _login(site)}
    as_text = site.post("/api/v1/registry/patients", json={"code": "P1", "birth_year": "1960"}, headers=headers)
    assert as_text.status_code == 422 and "birth_year" in as_text.text
    assert site.post("/api/v1/registry/patients", json={"code": "P1", "birth_year": 1960}, headers=headers).is_success
    visit = {"date": "2025-03-01", "case": yaml.safe_load(CREST)}
    assert site.post("/api/v1/registry/patients/P1/visits", json=visit, headers=headers).status_code == 201
    lesion = {"date": "2025-03-01", "label": "L1", "site": "hand"}
    for field, value in (
        ("ulcerated", "yes"),
        ("infected", 1),
        ("ulcerated", "on"),
        ("area_cm2", True),
        ("pain_vas", "3"),
    ):
        r = site.post("/api/v1/registry/patients/P1/lesions", json={**lesion, field: value}, headers=headers)
        assert r.status_code == 422 and field in r.text, (field, value, r.status_code)
    fine = {**lesion, "area_cm2": 2, "pain_vas": 3.5, "ulcerated": False}
    assert site.post("/api/v1/registry/patients/P1/lesions", json=fine, headers=headers).status_code == 201


def test_a_refused_new_patient_keeps_what_was_typed_and_says_why_in_french(site: TestClient) -> None:
    token = _login(site)
    page = site.post(
        "/registry/patients?lang=fr",
        data={"code": "P7", "sex": "female", "birth_year": "19x0", "name": "Jeanne", "csrf_token": token},
    )
    text = html.unescape(page.text)
    assert page.status_code == 422
    assert "année de naissance" in text and "« 19x0 » n'est pas un nombre" in text.replace("\u00a0", " ")
    assert 'value="P7"' in page.text and 'value="19x0"' in page.text and 'value="Jeanne"' in page.text
    assert '<option value="female" selected>' in page.text


def test_signing_out_ends_the_session_on_the_server(site: TestClient) -> None:
    """A hardening review: a copied session cookie still signed in after its owner signed out (the
    cookie is signed, not stored), and registry pages could be kept by a cache. Signing out now
    ends the session server side, and every page but the static files says no-store."""
    token = _login(site)
    cookie = site.cookies.get("calcinosis_session")
    assert cookie and site.get("/api/v1/registry/patients").status_code == 200
    page = site.get("/registry")
    assert page.headers["cache-control"] == "no-store"
    assert "no-store" not in site.get("/static/app.css").headers.get("cache-control", "")
    site.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    site.cookies.set("calcinosis_session", cookie)  # the copy kept from before signing out
    assert site.get("/api/v1/registry/patients").status_code == 401


def test_a_browser_refused_on_a_french_page_reads_a_french_page_not_json(site: TestClient) -> None:
    """A hardening review: an out-of-date form token answered every registry form with the API's
    raw English JSON, and the sign-in errors were English on the French sign-in page."""
    _login(site)
    browser = {"accept": "text/html,application/xhtml+xml"}
    stale = site.post("/registry/patients?lang=fr", data={"code": "P1", "csrf_token": "old"}, headers=browser)
    assert stale.status_code == 403 and stale.headers["content-type"].startswith("text/html")
    assert "jeton de sécurité du formulaire" in html.unescape(stale.text) and '<html lang="fr">' in stale.text
    site.cookies.clear()
    ended = site.post("/registry/patients?lang=fr", data={"code": "P1"}, headers=browser, follow_redirects=False)
    assert (
        ended.status_code == 303
        and ended.headers["location"].startswith("/login?next=")
        and "lang=fr" in ended.headers["location"]
    )
    api = site.post("/api/v1/registry/patients?lang=fr", json={"code": "P1"})
    assert api.status_code == 401 and "connectez-vous" in api.json()["detail"]


def test_a_form_value_that_is_not_one_of_its_choices_is_refused_not_guessed(site: TestClient) -> None:
    """A hardening review: 'ulcerated=oui' was stored as not reported, and a case file sent with
    pasted text had the text dropped without a word; each is now refused, saying why."""
    token = _login(site)
    site.post("/registry/patients", data={"code": "P1", "sex": "female", "csrf_token": token})
    visit = site.post(
        "/registry/patients/P1/visits?lang=fr",
        data={"date": "2025-03-01", "case_text": CREST, "csrf_token": token},
        files={"case_file": ("crest.yaml", CREST.encode(), "application/yaml")},
    )
    assert visit.status_code == 422 and "n'en donner qu'un" in html.unescape(visit.text)
    lesion = {"date": "2025-03-01", "label": "L1", "site": "hand", "ulcerated": "oui", "csrf_token": token}
    site.post("/registry/patients/P1/visits", data={"date": "2025-03-01", "case_text": CREST, "csrf_token": token})
    refused = site.post("/registry/patients/P1/lesions?lang=fr", data=lesion)
    assert refused.status_code == 422 and "« oui » n'est ni yes, ni no, ni vide" in html.unescape(refused.text).replace(
        "\u00a0", " "
    )


def test_a_json_media_type_with_a_suffix_is_checked_for_repeated_keys_and_roles_are_french(site: TestClient) -> None:
    """A code review: 'application/vnd.api+json' skipped the repeated-key check, and a
    researcher's refusal on a French page read 'les comptes researcher'."""
    token = _login(site)
    repeated = site.post(
        "/api/v1/registry/patients",
        content=b'{"code": "P1", "code": "P2"}',
        headers={"x-csrf-token": token, "content-type": "application/vnd.api+json"},
    )
    assert repeated.status_code == 422
    site.cookies.clear()
    token = _login(site, "res")
    refused = site.post("/api/v1/registry/patients?lang=fr", json={"code": "P3"}, headers={"x-csrf-token": token})
    assert refused.status_code == 403 and "les comptes chercheur" in refused.json()["detail"]


def _conflict(response, *words: str) -> dict:  # type: ignore[no-untyped-def]
    """A 409 problem document whose detail names what conflicts with what."""
    assert response.status_code == 409, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 409 and body["title"] == "Conflict"
    assert all(word in body["detail"] for word in words), body["detail"]
    return body


def test_what_is_already_recorded_is_a_409_conflict_on_the_api(site: TestClient) -> None:
    """A patient, a visit, a measurement that exist, and a lesion sent with another site, were
    422 (the request unusable as sent): they are 409 Conflict, naming the record already there,
    and nothing is written (a client that retries a timed-out write can tell 'done already')."""
    token = _login(site)
    headers = {"x-csrf-token": token}
    import yaml

    crest = yaml.safe_load(CREST)
    assert site.post("/api/v1/registry/patients", json={"code": "P1"}, headers=headers).status_code == 201
    _conflict(site.post("/api/v1/registry/patients", json={"code": "P1"}, headers=headers), "'P1'", "already")
    visit = {"date": "2025-03-01", "case": crest}
    assert site.post("/api/v1/registry/patients/P1/visits", json=visit, headers=headers).status_code == 201
    _conflict(site.post("/api/v1/registry/patients/P1/visits", json=visit, headers=headers), "'P1'", "2025-03-01")
    lesion = {"date": "2025-03-01", "label": "L1", "site": "fingertips", "area_cm2": 2.0}
    assert site.post("/api/v1/registry/patients/P1/lesions", json=lesion, headers=headers).status_code == 201
    _conflict(site.post("/api/v1/registry/patients/P1/lesions", json=lesion, headers=headers), "'L1'", "2025-03-01")
    elsewhere = {**lesion, "site": "elbow"}
    body = _conflict(
        site.post("/api/v1/registry/patients/P1/lesions?lang=fr", json=elsewhere, headers=headers), "«\u00a0L1\u00a0»"
    )
    assert "fingertips" in body["detail"] and "elbow" in body["detail"] and "rien n'a été modifié" in body["detail"]
    assert len(site.get("/api/v1/registry/patients/P1/visits").json()) == 1
    assert site.get("/api/v1/registry/patients").json()[0]["visits"] == 1
    doc = site.get("/api/v1/openapi.json").json()["paths"]
    assert "409" in doc["/api/v1/registry/patients/{code}/visits"]["post"]["responses"]
    assert "409" not in doc["/api/v1/registry/session"]["post"]["responses"]


def test_a_form_that_repeats_a_record_comes_back_with_409_in_the_pages_language(site: TestClient) -> None:
    """The pages said a repeated patient with a 422; the form comes back with a 409, said in French."""
    token = _login(site)
    data = {"code": "P1", "sex": "female", "birth_year": "1960", "csrf_token": token}
    assert site.post("/registry/patients", data=data, follow_redirects=False).status_code == 303
    again = site.post("/registry/patients?lang=fr", data=data)
    assert again.status_code == 409 and "est déjà dans le registre" in html.unescape(again.text)
    assert 'value="1960"' in again.text  # what was typed, kept
    lesion = {"date": "2025-03-01", "label": "L1", "site": "fingertips", "csrf_token": token}
    visit = {"date": "2025-03-01", "case_text": CREST, "csrf_token": token}
    assert site.post("/registry/patients/P1/visits", data=visit, follow_redirects=False).status_code == 303
    assert site.post("/registry/patients/P1/lesions", data=lesion, follow_redirects=False).status_code == 303
    repeated = site.post("/registry/patients/P1/lesions?lang=fr", data=lesion)
    assert repeated.status_code == 409 and "a déjà une mesure le 2025-03-01" in html.unescape(repeated.text)


@pytest.mark.parametrize("note", ["red \x1b[31malert", "a\u202eb", "nul\x00byte"])
def test_a_visit_note_with_a_control_or_bidi_character_is_refused(site: TestClient, note: str) -> None:
    """A visit's note was stored as sent, unlike every other free text of the registry: an ANSI
    escape or a bidi override went into every later export and terminal, and PostgreSQL refuses
    a NUL. It is refused now, saying which field, and nothing is written; line breaks are kept."""
    import yaml

    token = _login(site)
    headers = {"x-csrf-token": token}
    assert site.post("/api/v1/registry/patients", json={"code": "P1"}, headers=headers).status_code == 201
    visit = {"date": "2025-03-01", "case": yaml.safe_load(CREST)}
    refused = site.post("/api/v1/registry/patients/P1/visits?lang=fr", json={**visit, "note": note}, headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("note\u00a0: ")
    assert site.get("/api/v1/registry/patients/P1/visits").json() == []
    kept = site.post("/api/v1/registry/patients/P1/visits", json={**visit, "note": "seen\ntwice"}, headers=headers)
    assert kept.status_code == 201


def test_a_repeated_treatment_or_diagnosis_form_comes_back_with_409_in_the_pages_language(site: TestClient) -> None:
    """The same treatment with the same start, or the same diagnosis on the same date, was recorded
    a second time; the form comes back with a 409 naming the record there, said in French, as typed."""
    token = _login(site)
    data = {"code": "P1", "sex": "female", "birth_year": "1960", "csrf_token": token}
    assert site.post("/registry/patients", data=data, follow_redirects=False).status_code == 303
    treatment = {"treatment": "diltiazem", "start": "2025-02-01", "dose": "60 mg", "csrf_token": token}
    assert site.post("/registry/patients/P1/treatments", data=treatment, follow_redirects=False).status_code == 303
    again = site.post("/registry/patients/P1/treatments?lang=fr", data={**treatment, "dose": "90 mg"})
    assert again.status_code == 409
    said = html.unescape(again.text)
    assert (
        "a déjà le traitement «\u00a0diltiazem\u00a0» commencé le 2025-02-01" in said and 'value="90 mg"' in again.text
    )
    held = {"diagnosis": "systemic_sclerosis", "date": "2025-02-01", "csrf_token": token}
    assert site.post("/registry/patients/P1/diagnoses", data=held, follow_redirects=False).status_code == 303
    repeated = site.post("/registry/patients/P1/diagnoses?lang=en", data=held)
    assert repeated.status_code == 409
    assert "already has the diagnosis 'systemic_sclerosis' recorded on 2025-02-01" in html.unescape(repeated.text)
