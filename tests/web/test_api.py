"""The REST API: every endpoint, every error path, and the CLI's result for every dev case."""

from __future__ import annotations

import html
import io
import json
import logging
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from calcinosis.cli.main import app as cli
from calcinosis.kb.model import KnowledgeBase
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings, SettingsError

from ..conftest import DEV_CASES, PUBLISHED_CASES
from ..imaging.phantoms import limb_phantom

YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


def _without_time(result: dict) -> dict:
    result = dict(result)
    result["metadata"] = {k: v for k, v in result["metadata"].items() if k != "analysis_time"}
    return result


@pytest.mark.parametrize("case", DEV_CASES, ids=lambda p: p.stem)
def test_diagnose_equals_the_cli_json(client: TestClient, case: Path) -> None:
    """POST /diagnose returns the object `calcinosis diagnose --json` prints, for every dev case."""
    response = client.post("/api/v1/diagnose", content=case.read_bytes(), headers=YAML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    cli_out = CliRunner().invoke(cli, ["diagnose", str(case), "--json"])
    assert cli_out.exit_code == 0
    assert _without_time(response.json()) == _without_time(json.loads(cli_out.stdout))


def test_diagnose_in_french_by_query_and_by_header(client: TestClient) -> None:
    """?lang=fr and Accept-Language: fr both give French texts; ?lang wins over the header."""
    body = DEV_CASES[0].read_bytes()
    by_query = client.post("/api/v1/diagnose?lang=fr", content=body, headers=YAML).json()
    by_header = client.post(
        "/api/v1/diagnose", content=body, headers={**YAML, "accept-language": "fr-CH, en;q=0.5"}
    ).json()
    english = client.post("/api/v1/diagnose?lang=en", content=body, headers={**YAML, "accept-language": "fr"}).json()
    assert by_query["metadata"]["language"] == by_header["metadata"]["language"] == "fr"
    assert english["metadata"]["language"] == "en"
    assert (
        by_query["differential"][0]["name"] != english["differential"][0]["name"]
        or by_query["metadata"]["disclaimer"] != english["metadata"]["disclaimer"]
    )


def test_the_result_page_quotes_the_measured_performance(client: TestClient) -> None:
    """The page shows the sentence the result object carries (metadata.measured), escaped."""
    body = DEV_CASES[0].read_text(encoding="utf-8")
    api = client.post("/api/v1/diagnose", content=body.encode(), headers=YAML).json()
    sentence = api["metadata"]["measured"]["text"]
    page = client.post("/ui/load", data={"case_text": body})
    assert page.status_code == 200
    assert '<p class="measured">' in page.text
    assert sentence.split(" (")[0] in page.text  # its opening words, before any character the page escapes


def test_a_report_asked_of_an_incomplete_form_gives_the_page_back(client: TestClient) -> None:
    """The PDF buttons on a form without a sex: the case page again, the form as typed, the
    problem named (it was a problem document shown raw, the form lost); a complete form downloads."""
    fields = {"id": "half typed", "age": "52", "findings": "raynaud_phenomenon"}
    page = client.post("/ui/report?lang=fr&format=pdf&audience=clinician", data=fields)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert 'value="half typed"' in page.text and 'value="52"' in page.text and "raynaud_phenomenon" in page.text
    assert "patient.sex" in page.text
    pdf = client.post("/ui/report?lang=fr&format=pdf&audience=clinician", data={**fields, "sex": "female"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


FORM_BASE = [("age", "40"), ("sex", "female"), ("findings", "palpable_nodules")]


def _post_form(client: TestClient, url: str, fields: list[tuple[str, str]]) -> Any:
    body = urllib.parse.urlencode(fields).encode()
    return client.post(url, content=body, headers={"content-type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize(
    "fields, location, said",
    [
        ([("histroy", "dialysis")], "histroy", "the form has no field &#39;histroy&#39; (histroy=dialysis was sent)"),
        ([("lab-0-value", "3.5"), ("lab-0-unit", "mmol/L")], "lab-0-test", "value=3.5, unit=mmol/L but no test"),
        ([("ab-0-result", "positive")], "ab-0-name", "result=positive but no antibody"),
        (
            [("lab-250-test", "calcium"), ("lab-250-value", "3.5"), ("lab-250-unit", "mmol/L")],
            "lab-250-*",
            "row index 250 is beyond the 200 rows",
        ),
        ([("extra", "{not json")], "extra", "is not valid JSON (from character 2)"),
        ([("extra", "[1, 2]")], "extra", "must hold a JSON object"),
        ([("extra", '{"history": ["gout"]}')], "extra.history", "holds history, which the form edits itself"),
    ],
    ids=[
        "misspelt-field",
        "lab-without-test",
        "antibody-without-name",
        "row-250",
        "extra-not-json",
        "extra-list",
        "extra-form-key",
    ],
)
def test_a_form_field_that_cannot_be_read_is_said_not_dropped(
    client: TestClient, fields: list[tuple[str, str]], location: str, said: str
) -> None:
    """A hostile-input audit: each of these gave the result of the case without it, word for
    word the base case's, and no message. The result panel now lists it (422, which htmx swaps
    in) and runs nothing."""
    base = _post_form(client, "/ui/result", FORM_BASE)
    assert base.status_code == 200 and 'class="differential"' in base.text
    panel = _post_form(client, "/ui/result", FORM_BASE + fields)
    assert panel.status_code == 422 and 'class="differential"' not in panel.text
    assert f"<code>{location}</code>" in panel.text and said in panel.text


def test_a_form_field_that_cannot_be_read_gives_the_form_back_as_typed(client: TestClient) -> None:
    """The language switch and the report buttons give the page back, 422, with every row typed
    kept (the row beyond the limit, the row without its test) and a refused extra sent back as it came."""
    fields = [
        *FORM_BASE,
        ("lab-250-test", "calcium"),
        ("lab-250-value", "3.5"),
        ("lab-250-unit", "mmol/L"),
        ("lab-3-value", "7.25"),
        ("extra", "{not json"),
    ]
    for url in ("/ui/page?lang=en", "/ui/report?format=pdf&audience=clinician"):
        page = _post_form(client, url, fields)
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
        assert 'value="calcium" selected' in page.text and 'value="3.5"' in page.text and 'value="7.25"' in page.text
        assert "value='{not json'" in page.text
        assert "<code>lab-250-*</code>" in page.text and "<code>lab-3-test</code>" in page.text
    french = _post_form(client, "/ui/result?lang=fr", [*FORM_BASE, ("histroy", "dialysis")])
    assert "le formulaire n&#39;a pas de champ « histroy »" in french.text.replace("\xa0", " ")


def _long_series(rows: int) -> dict[str, Any]:
    """A case with ``rows`` calcium results, each with its laboratory's interval (five fields a row)."""
    labs = [
        {"test": "calcium", "value": 2.4, "unit": "mmol/L", "reference_range": {"low": 2.2, "high": 2.6}}
        for _ in range(rows)
    ]
    return {"patient": {"age": 60, "sex": "female"}, "findings": ["palpable_nodules"], "labs": labs}


def test_a_case_the_form_loads_is_saved_by_the_form(client: TestClient) -> None:
    """A case with 200 labs and their intervals loaded into the form, but posting the same
    form back was refused with a bare 400 problem document ('Too many fields', Starlette's 1,000):
    the page, and all that was typed in it, was gone. The form posts what it loaded."""
    from calcinosis.web.pages.form import MAX_ROWS, case_to_form
    from calcinosis.web.pages.routes import _form_fields

    case = _long_series(MAX_ROWS)
    loaded = client.post("/ui/load", data={"case_text": json.dumps(case)})
    assert loaded.status_code == 200 and 'class="differential"' in loaded.text
    fields = _form_fields(case_to_form(case))
    assert len(fields) > 1000
    for url in ("/ui/page?lang=en", "/ui/result"):
        saved = _post_form(client, url, fields)
        assert saved.status_code == 200 and saved.headers["content-type"].startswith("text/html")
        assert 'class="differential"' in saved.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_case_longer_than_the_form_is_refused_at_load_not_at_save(client: TestClient, lang: str) -> None:
    """201 labs loaded into the form, and every save answered 422 (the 201st row is beyond the
    form's 200): what the page showed could never be saved. The load now says the limit, with the
    text pasted kept in its box; the command line and the API still read the case."""
    from calcinosis.web.pages.form import MAX_ROWS

    case = json.dumps(_long_series(MAX_ROWS + 1))
    page = client.post(f"/ui/load?lang={lang}", data={"case_text": case})
    assert page.status_code == 422
    said = {
        "en": "the case has 201 rows in labs, and the form holds at most 200 per table",
        "fr": "le cas a 201 lignes dans labs, et le formulaire en tient au plus 200 par tableau\u00a0: il",
    }[lang]
    assert said in html.unescape(page.text)
    assert 'class="differential"' not in page.text and 'value="calcium" selected' not in page.text
    assert case[:200] in html.unescape(page.text)  # the pasted text is still in its box
    api = client.post("/api/v1/diagnose", content=case.encode(), headers={"content-type": "application/json"})
    assert api.status_code == 200


def test_htmx_swaps_a_422_panel_in(client: TestClient) -> None:
    """htmx leaves a 4xx response out of the page by default: the form's problems would not show."""
    page = client.get("/")
    assert '{"code": "422", "swap": true}' in page.text


def test_manage_stage_and_report(client: TestClient) -> None:
    """manage (with and without an established diagnosis), CVI staging, PDF and HTML reports."""
    body = next(p for p in DEV_CASES if "ssc" in p.name or "scleroderma" in p.name).read_bytes()
    managed = client.post("/api/v1/manage", content=body, headers=YAML)
    assert managed.status_code == 200 and managed.json()["options"]
    given = client.post("/api/v1/manage?diagnosis=calciphylaxis", content=body, headers=YAML).json()
    assert given["diagnosis"] == "calciphylaxis" and given["diagnosis_given"] is True
    staged = client.post("/api/v1/stage/cvi", content=body, headers=YAML)
    assert staged.status_code == 200 and {"porter", "ceap", "missing"} <= staged.json().keys()
    pdf = client.post("/api/v1/report?format=pdf&lang=fr", content=body, headers=YAML)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf" and "attachment" in pdf.headers["content-disposition"]
    html = client.post("/api/v1/report?format=html&audience=patient", content=body, headers=YAML)
    assert html.status_code == 200 and html.text.lstrip().lower().startswith("<!doctype html")
    assert "script-src" not in html.headers["content-security-policy"]  # no script at all in a report


def test_knowledge_vocabulary_health_version(client: TestClient) -> None:
    """The read-only endpoints."""
    listed = client.get("/api/v1/knowledge/diagnoses?lang=fr").json()
    assert len(listed) >= 50 and {"id", "name", "category"} <= listed[0].keys()
    detail = client.get("/api/v1/knowledge/diagnoses/calciphylaxis").json()
    assert detail["category"] == "calciphylaxis" and detail["findings"] and detail["references"]
    assert all(f["basis"] in ("reported", "derived", "judgement") for f in detail["findings"])
    terms = client.get("/api/v1/vocabulary/findings?lang=fr").json()
    assert any(t["id"] == "raynaud_phenomenon" for t in terms)
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    version = client.get("/api/v1/version").json()
    assert version["code"] and version["knowledge"] and version["case_format"] == 1


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_bad_term_is_422_naming_the_item_and_the_closest_terms(client: TestClient) -> None:
    body = b'{"patient": {"age": 40, "sex": "female"}, "findings": ["raynaud_phenomenom"]}'
    problem = _problem(client.post("/api/v1/diagnose", content=body, headers=JSON), 422)
    issue = problem["issues"][0]
    assert issue["location"] == "findings[0]" and "raynaud_phenomenon" in issue["suggestions"]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"patient": {"age": 40, "sex": "female", "age": 41}}', "duplicate"),
        (b'{"patient": {"age": NaN, "sex": "female"}}', "NaN"),
        (b"[1, 2]", "mapping"),
        (b'{"patient": ', "syntax"),
    ],
)
def test_malformed_json_is_422(client: TestClient, body: bytes, what: str) -> None:
    _problem(client.post("/api/v1/diagnose", content=body, headers=JSON), 422)


def test_wrong_content_type_is_415_and_oversized_body_413(client: TestClient) -> None:
    _problem(client.post("/api/v1/diagnose", content=b"patient: {}", headers={"content-type": "text/plain"}), 415)
    huge = b'{"id": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    _problem(client.post("/api/v1/diagnose", content=huge, headers=JSON), 413)


def test_unknown_ids_are_404_with_close_ids(client: TestClient) -> None:
    body = _problem(client.get("/api/v1/knowledge/diagnoses/calciphylaxs"), 404)
    assert "calciphylaxis" in body["detail"]
    _problem(client.get("/api/v1/vocabulary/findingz"), 404)
    _problem(client.post("/api/v1/manage?diagnosis=gout2", content=DEV_CASES[0].read_bytes(), headers=YAML), 404)


def test_bad_language_and_bad_query_are_422(client: TestClient) -> None:
    _problem(client.get("/api/v1/knowledge/diagnoses?lang=de"), 422)
    _problem(client.post("/api/v1/report?format=docx", content=DEV_CASES[0].read_bytes(), headers=YAML), 422)


def test_security_headers_and_no_cors_by_default(client: TestClient) -> None:
    response = client.get("/api/v1/health", headers={"origin": "https://evil.example"})
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "access-control-allow-origin" not in response.headers


def test_an_unexpected_error_keeps_the_security_headers(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The 500 of an unexpected error is sent below the user middleware: it had no CSP, nosniff,
    frame or no-store header."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}"), kb=kb)

    def boom() -> None:
        raise RuntimeError("/srv/secret/path")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "/srv/secret" not in r.text and "Traceback" not in r.text
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"):
        assert name in r.headers, name
    assert r.headers["cache-control"] == "no-store"


def test_a_deeply_nested_hidden_extra_is_said_on_the_form_not_a_500(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json recurses per level: a RecursionError was a 500
    for path in ("/ui/result", "/ui/page", "/ui/report"):
        r = client.post(path, data={"extra": deep, "age_years": "40"})
        assert r.status_code == 422, (path, r.status_code)
        assert "nested deeper than the limit" in html.unescape(r.text), path


def test_cors_only_for_configured_origins(kb) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(cors_origins=("https://ehr.example",)), kb=kb)
    with TestClient(app) as c:
        ok = c.get("/api/v1/health", headers={"origin": "https://ehr.example"})
        other = c.get("/api/v1/health", headers={"origin": "https://evil.example"})
    assert ok.headers["access-control-allow-origin"] == "https://ehr.example"
    assert "access-control-allow-origin" not in other.headers


def test_settings_refuse_unsafe_combinations() -> None:
    """Binding beyond loopback needs a secret; '*' is not an origin; errors name the variable."""
    with pytest.raises(SettingsError, match="CALCINOSIS_SECRET"):
        Settings.from_env({"CALCINOSIS_HOST": "0.0.0.0"})
    # beyond loopback, the links the app sends out need the address clients reach it at
    with pytest.raises(SettingsError, match="CALCINOSIS_PUBLIC_URL"):
        Settings.from_env({"CALCINOSIS_HOST": "0.0.0.0", "CALCINOSIS_SECRET": "s" * 20})
    beyond = {"CALCINOSIS_HOST": "0.0.0.0", "CALCINOSIS_SECRET": "s" * 20, "CALCINOSIS_PUBLIC_URL": "https://c.example"}
    assert Settings.from_env(beyond).host == "0.0.0.0"
    for bad in ("c.example/x?y", "https://", "https://user@c.example", "https://c.example/a b", "https://c\\x"):
        with pytest.raises(SettingsError, match="CALCINOSIS_PUBLIC_URL"):
            Settings.from_env({"CALCINOSIS_PUBLIC_URL": bad})
    with pytest.raises(SettingsError, match="CALCINOSIS_TRUSTED_PROXIES"):
        Settings.from_env({"CALCINOSIS_TRUSTED_PROXIES": "10.0.0.1, proxy.example"})
    assert Settings.from_env({"CALCINOSIS_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}).trusted_proxies == (
        "10.0.0.1",
        "10.1.0.0/16",
    )
    with pytest.raises(SettingsError, match="CALCINOSIS_CORS_ORIGINS"):
        Settings.from_env({"CALCINOSIS_CORS_ORIGINS": "*"})
    with pytest.raises(SettingsError, match="CALCINOSIS_PORT"):
        Settings.from_env({"CALCINOSIS_PORT": "eighty"})
    assert Settings.from_env({}).host == "127.0.0.1"


def test_serve_reads_its_address_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`calcinosis serve` takes CALCINOSIS_HOST/PORT/WORKERS when no option is given (it used to
    announce 127.0.0.1:8000 whatever they said), and an option wins over the variable; the
    settings are refused before anything is served or created."""
    import uvicorn
    from typer.testing import CliRunner

    from calcinosis.cli.main import app

    started: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))  # the server itself is not under test
    runner = CliRunner(env={"CALCINOSIS_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite'}"})
    refused = runner.invoke(app, ["serve"], env={"CALCINOSIS_HOST": "0.0.0.0", "CALCINOSIS_SECRET": ""})
    assert refused.exit_code == 2 and "CALCINOSIS_SECRET" in refused.stderr and not started
    bad_port = runner.invoke(app, ["serve"], env={"CALCINOSIS_PORT": "eighty"})
    assert bad_port.exit_code == 2 and "CALCINOSIS_PORT" in bad_port.stderr and not started
    beyond = {
        "CALCINOSIS_HOST": "0.0.0.0",
        "CALCINOSIS_SECRET": "s" * 20,
        "CALCINOSIS_PORT": "8123",
        "CALCINOSIS_PUBLIC_URL": "https://calcinosis.example",
    }
    served = runner.invoke(app, ["serve"], env=beyond)
    assert served.exit_code == 0, served.output
    assert started[-1]["host"] == "0.0.0.0" and started[-1]["port"] == 8123
    # X-Forwarded-For is believed from no one unless proxies are named (uvicorn believed 127.0.0.1)
    assert started[-1]["proxy_headers"] is False
    proxied = runner.invoke(app, ["serve"], env={**beyond, "CALCINOSIS_TRUSTED_PROXIES": "10.0.0.5"})
    assert proxied.exit_code == 0, proxied.output
    assert started[-1]["proxy_headers"] is True and started[-1]["forwarded_allow_ips"] == "10.0.0.5"
    # behind an HTTPS proxy with no proxy named, every client has the proxy's address: said
    unnamed = runner.invoke(app, ["serve"], env={**beyond, "CALCINOSIS_HTTPS": "1"})
    assert unnamed.exit_code == 0 and "CALCINOSIS_TRUSTED_PROXIES" in unnamed.stderr
    assert "http://0.0.0.0:8123/" in served.stdout
    given = runner.invoke(app, ["serve", "--host", "127.0.0.1", "--port", "8124"], env=beyond)
    assert given.exit_code == 0, given.output
    assert started[-1]["host"] == "127.0.0.1" and started[-1]["port"] == 8124
    assert (tmp_path / "registry.sqlite").is_file()  # the loopback run's demo user went there, nowhere else


def test_access_log_holds_no_case_content(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "PATIENT-NAME-DUPONT"
    body = json.dumps({"id": marker, "patient": {"age": 50, "sex": "male"}}).encode()
    with caplog.at_level(logging.INFO, logger="calcinosis.web.access"):
        client.post(f"/api/v1/diagnose?note={marker}", content=body, headers=JSON)
    lines = [r.getMessage() for r in caplog.records if r.name == "calcinosis.web.access"]
    assert lines and all(marker not in line for line in lines)
    assert any(line.startswith("POST /api/v1/diagnose 200") for line in lines)


def _nifti_bytes(tmp_path: Path) -> bytes:
    volume, _ = limb_phantom(shape=(24, 160, 160), spacing=(1.0, 1.0, 1.0))
    path = tmp_path / "limb.nii.gz"
    nib.save(nib.Nifti1Image(np.transpose(volume.array, (2, 1, 0)).astype(np.int16), np.eye(4)), path)
    return path.read_bytes()


def test_image_quantify_upload(client: TestClient, tmp_path: Path) -> None:
    """A NIfTI upload: deposits, the case entry they support, PNG overlays; no server path leaks."""
    response = client.post("/api/v1/image/quantify", files={"study": ("limb.nii.gz", _nifti_bytes(tmp_path))})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["result"]["deposits"] and data["case_imaging"]["modality"] == "ct"
    assert data["result"]["source"] == "limb.nii.gz"
    assert data["overlays"] and all(o["data_base64"].startswith("iVBOR") for o in data["overlays"])
    assert "/tmp" not in response.text


def test_image_quantify_errors(client: TestClient) -> None:
    _problem(client.post("/api/v1/image/quantify", files={"study": ("notes.txt", b"hello")}), 415)
    body = _problem(client.post("/api/v1/image/quantify", files={"study": ("bad.nii", b"not a nifti file")}), 422)
    assert "bad.nii" in body["detail"] and "/tmp" not in body["detail"]
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../etc/evil.dcm", b"x")
    body = _problem(client.post("/api/v1/image/quantify", files={"study": ("series.zip", evil.getvalue())}), 422)
    assert "unsafe" in body["detail"]
    _problem(client.post("/api/v1/image/quantify", files={"study": ("a.nii", b"x")}, data={"threshold": "nan"}), 422)


def test_openapi_document_describes_the_case_body(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/diagnose"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    assert "patient" in doc["components"]["schemas"]["Case"]["properties"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text and "<script>" not in docs.text


def test_image_quantify_zip_of_a_dicom_series(client: TestClient, tmp_path: Path) -> None:
    """A zip of a DICOM series (in a sub-folder, as PACS exports are) is unpacked safely and measured."""
    from ..imaging.test_reading import write_ct_series

    volume, _ = limb_phantom(shape=(20, 160, 160), spacing=(1.0, 1.0, 1.0))
    write_ct_series(volume.array, tmp_path / "series", px=1.0, dz=1.0)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted((tmp_path / "series").iterdir()):
            z.write(f, f"export/SERIES1/{f.name}")
    response = client.post("/api/v1/image/quantify", files={"study": ("ct.zip", archive.getvalue())})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["result"]["modality"] == "ct" and data["result"]["deposits"]
    assert data["result"]["source"] == "ct.zip" and len(data["overlays"]) == 2


def test_the_page_shows_the_summarys_must_not_miss_alert(client: TestClient, kb: KnowledgeBase) -> None:
    """A known breast cancer with lung uptake: the summary (the PDF, CDS Hooks) said 'a cancer is
    already known' while the web page chose its own alert ('look for an underlying cancer'): a code
    review. Both now take it from reports.summary.must_not_miss_alert."""
    from calcinosis.case.reader import read_case
    from calcinosis.engine.diagnose import diagnose
    from calcinosis.reports.summary import build_summary

    path = PUBLISHED_CASES / "pub-meta-15-breast-cancer-lung-uptake.yaml"
    summary = build_summary(diagnose(read_case(path, kb), kb, lang="en"), kb, lang="en")
    known = [a for a in summary.must_not_miss if "already known" in a]
    assert known, summary.must_not_miss
    page = html.unescape(client.post("/ui/load", data={"case_text": path.read_text()}).text)
    said = known[0].split(": ", 1)[1]
    assert said in page
