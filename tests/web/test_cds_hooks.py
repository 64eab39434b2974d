"""CDS Hooks 2.0: discovery, the patient-view service replayed from sample requests, the card rules of
the specification, the card trigger, the signed report link, and every dev case as a hook request."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.servicerequest import ServiceRequest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from calcinosis import KnowledgeBase
from calcinosis.case.document import load_document
from calcinosis.case.reader import parse_case
from calcinosis.interop.cds_hooks import SERVICE_ID, Trigger, card_trigger, lab_orders, md, parse_request
from calcinosis.interop.cds_hooks.card import _summary
from calcinosis.interop.fhir.write import case_resources
from calcinosis.kb.codes import CodeTable, load_codes
from calcinosis.kb.loader import default_kb_path
from calcinosis.web.api.cds_hooks import _SALT, LINK_MAX_AGE_S
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

from ..conftest import DEV_CASES

DATA = Path(__file__).resolve().parents[1] / "data" / "cds_hooks"
SERVICE = f"/cds-services/{SERVICE_ID}"
INDICATORS = {"info", "warning", "critical"}
# English words of the card's own templates: none may appear in a French card
ENGLISH = (
    "most likely",
    "must not be missed",
    "Category",
    "Leading diagnoses",
    "Work-up",
    "clinician's",
    "Full report",
)


@pytest.fixture(scope="module")
def codes() -> CodeTable:
    return load_codes(default_kb_path())


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def call(client: TestClient, body: object, lang: str = "en") -> Any:
    # called on this machine (the app served on loopback builds its links from such a Host)
    return client.post(SERVICE, json=body, headers={"accept-language": lang, "host": "localhost"})


def no_empty(value: object, where: str = "$") -> None:
    """CDS Hooks: no null and no empty string, array or object anywhere (``cards: []`` is checked apart)."""
    assert value is not None, f"{where} is null"
    assert value not in ("", [], {}), f"{where} is empty"
    if isinstance(value, dict):
        for key, item in value.items():
            no_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            no_empty(item, f"{where}[{i}]")


def spec_card(card: dict[str, Any]) -> None:
    """The rules of a Card in CDS Hooks 2.0, on one card."""
    no_empty(card, "card")
    assert len(card["summary"]) < 140
    assert card["indicator"] in INDICATORS
    assert card["source"]["label"]
    if "suggestions" in card:
        assert card["selectionBehavior"] in ("any", "at-most-one")
        for suggestion in card["suggestions"]:
            assert suggestion["label"]
            for action in suggestion["actions"]:
                assert action["type"] == "create" and action["description"]
                request = ServiceRequest.model_validate(action["resource"])  # a valid R4(B) resource
                assert (request.status, request.intent) == ("draft", "proposal")
    for link in card.get("links", []):
        assert link["type"] in ("absolute", "smart") and link["label"]
        assert link["url"].startswith(("http://", "https://"))


def one_card(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    no_empty(body)
    assert len(body["cards"]) == 1
    card: dict[str, Any] = body["cards"][0]
    spec_card(card)
    return card


# ---- discovery ---------------------------------------------------------------------------------


def test_discovery_lists_the_patient_view_service(client: TestClient, codes: CodeTable) -> None:
    """GET /cds-services: one patient-view service, its four prefetch templates, no empty attribute."""
    response = client.get("/cds-services")
    assert response.status_code == 200
    body = response.json()
    no_empty(body)
    (service,) = body["services"]
    assert service["hook"] == "patient-view" and service["id"] == SERVICE_ID
    assert service["title"] and service["description"]
    assert "usageRequirements" not in service
    prefetch = service["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert prefetch["medications"] == "MedicationRequest?patient={{context.patientId}}"
    query, _, listed = prefetch["observations"].partition("&code=")
    assert query == "Observation?patient={{context.patientId}}"
    exported = {
        c.code
        for table in (codes.labs, codes.antibodies)
        for e in table.values()
        for c in e.codes
        if c.system == "loinc" and c.export
    }
    assert {item.removeprefix("http://loinc.org|") for item in listed.split(",")} == exported
    assert "http://loinc.org|17861-6" in listed.split(",")  # serum calcium, mass


def test_discovery_follows_accept_language(client: TestClient) -> None:
    """The title and description are French for a French client."""
    (service,) = client.get("/cds-services", headers={"accept-language": "fr"}).json()["services"]
    assert service["title"].startswith("Calcification des tissus mous\u00a0:")


def test_openapi_documents_the_service(client: TestClient) -> None:
    """The OpenAPI document builds, with the service, its 412 and its request body; the link route is not in it."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    post = paths[SERVICE]["post"]
    assert {"200", "400", "412", "503"} <= set(post["responses"])
    hook = post["requestBody"]["content"]["application/json"]["schema"]["properties"]["hook"]
    assert hook.get("const") == "patient-view" or hook.get("enum") == ["patient-view"]
    assert "/cds-services" in paths
    assert f"{SERVICE}/report" not in paths


# ---- the service ---------------------------------------------------------------------------------


def test_dialysis_warfarin_necrosis_gives_a_calciphylaxis_warning(
    client: TestClient, kb: KnowledgeBase, codes: CodeTable
) -> None:
    """Full prefetch: dialysis, warfarin, high phosphate, skin necrosis → a warning card on calciphylaxis."""
    card = one_card(call(client, sample("dialysis-necrosis-full")))
    assert card["indicator"] == "warning"
    assert "calciphylaxis" in card["summary"].lower()
    detail = card["detail"]
    assert "Calciphylaxis" in detail and "Skin necrosis (present)" in detail and "Dialysis (present)" in detail
    assert "The decision is the clinician's." in detail
    assert "No calcification is recorded" in detail  # the card says why it appears without one
    assert "published patients never used to build or tune this engine" in detail  # what such figures have meant
    assert card["source"]["label"] == f"calcinosis (knowledge {kb.version})"
    # the observation of another patient is left out, and said so
    assert "Observation/o-other" in detail and "another patient" in detail
    # one suggestion per missing lab step, each test proposed once, LOINC where the lab has one
    actions = [a for s in card["suggestions"] for a in s["actions"]]
    texts = [a["resource"]["code"]["text"] for a in actions]
    assert len(texts) == len(set(texts)) and "Albumin" in texts
    albumin = next(a["resource"] for a in actions if a["resource"]["code"]["text"] == "Albumin")
    assert albumin["code"]["coding"] == [
        {"system": "http://loinc.org", "code": "1751-7", "display": "Albumin [Mass/volume] in Serum or Plasma"}
    ]
    assert albumin["subject"] == {"reference": "Patient/pat-cua"}
    assert albumin["encounter"] == {"reference": "Encounter/enc-77"}
    exported = {c.code for t in (codes.labs, codes.antibodies) for e in t.values() for c in e.codes if c.export}
    for action in actions:
        for coding in action["resource"]["code"].get("coding", []):
            assert coding["system"] == "http://loinc.org" and coding["code"] in exported
    # phosphate and calcium are in the record: not proposed again
    assert not {"Phosphate", "Calcium (total)"} & set(texts)


def test_full_report_link_opens_the_clinician_report(client: TestClient) -> None:
    """The card's link is absolute and opens the clinician report of the case, in the card's language."""
    card = one_card(call(client, sample("dialysis-necrosis-full"), lang="fr"))
    (link,) = card["links"]
    assert link["label"] == "Compte rendu complet" and link["type"] == "absolute"
    assert link["url"].startswith("http://localhost/cds-services/")
    assert "pat-cua" not in link["url"]  # the case travels without the patient's id
    page = client.get(link["url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "Calciphylaxie" in page.text and 'lang="fr"' in page.text


def test_a_cards_link_is_built_from_the_public_address_not_the_host_header(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A hostile review: the card's link took the request's Host header, which whoever calls the
    service chooses (a link to another site in the clinician's EHR). With the public address
    configured (required beyond loopback), the link starts with it whatever the Host says; a
    Host the app does not answer to is refused before the service runs."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}",
        public_url="https://calcinosis.example/app/",
        allowed_hosts=("internal.example",),
    )
    with TestClient(create_app(settings, kb=kb)) as hosted:
        answer = hosted.post(SERVICE, json=sample("dialysis-necrosis-full"), headers={"host": "internal.example"})
        (link,) = one_card(answer)["links"]
        assert link["url"].startswith("https://calcinosis.example/app/cds-services/") and "internal" not in link["url"]
        assert "/app/app/" not in link["url"]
        foreign = hosted.post(SERVICE, json=sample("dialysis-necrosis-full"), headers={"host": "evil.example"})
        assert foreign.status_code == 400 and "evil.example/" not in foreign.text
    # without a public address, a Host that is not this machine (a proxy on the same machine
    # forwards the client's) gives a card with no link rather than a link to it (a code review)
    plain_settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", allowed_hosts=("proxied.example",))
    with TestClient(create_app(plain_settings, kb=kb)) as local:
        answer = local.post(SERVICE, json=sample("dialysis-necrosis-full"), headers={"host": "proxied.example"})
        assert "links" not in one_card(answer)


def test_a_tampered_or_expired_link_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A link the server did not sign is 403; one older than 8 hours is 410."""
    secret = "s" * 32
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}", session_secret=secret), kb=kb)
    client = TestClient(app)
    card = one_card(call(client, sample("dialysis-necrosis-full")))
    url = card["links"][0]["url"]
    assert client.get(url).status_code == 200
    assert client.get(url[:-3] + "abc").status_code == 403

    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - LINK_MAX_AGE_S - 60

    old = URLSafeTimedSerializer(secret, salt=_SALT, signer=Yesterday).dumps(
        {"case": {"patient": {"age": 50, "sex": "male"}}, "lang": "en"}
    )
    expired = client.get(f"{SERVICE}/report", params={"t": old})
    assert expired.status_code == 410 and expired.headers["content-type"] == "application/problem+json"
    fresh = URLSafeTimedSerializer(secret, salt=_SALT).dumps(
        {"case": {"patient": {"age": 50, "sex": "male"}}, "lang": "en"}
    )
    assert client.get(f"{SERVICE}/report", params={"t": fresh}).status_code == 200


@pytest.mark.parametrize("name", ["missing-patient", "fetch-offered"])
def test_missing_patient_prefetch_is_412(client: TestClient, name: str) -> None:
    """No Patient prefetched → 412 naming the missing prefetch; offering fhirServer changes nothing (no fetching)."""
    response = call(client, sample(name))
    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Precondition failed"
    assert "'patient' prefetch is missing" in problem["detail"]
    assert problem["issues"][0]["location"] == "prefetch.patient"
    assert ("never fetches from the FHIR server" in problem["detail"]) == (name == "fetch-offered")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "empty (null)"),
        (
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "not-found", "diagnostics": "no such patient"}],
            },
            "no such patient",
        ),
    ],
)
def test_a_patient_prefetch_without_a_patient_is_412(client: TestClient, value: object, words: str) -> None:
    """A null or an OperationOutcome in place of the Patient: 412 with the reason."""
    body = sample("dialysis-necrosis-full")
    body["prefetch"]["patient"] = value
    response = call(client, body)
    assert response.status_code == 412 and words in response.json()["detail"]


def test_operation_outcome_in_place_of_conditions_still_gives_a_card(client: TestClient) -> None:
    """Conditions answered by an OperationOutcome, medications null: the card comes, and says what was missing."""
    card = one_card(call(client, sample("conditions-operation-outcome")))
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Soft-tissue calcification: systemic sclerosis most likely")
    detail = card["detail"]
    assert "conditions: the EHR answered with an error (“Condition search timed out after 3000 ms”)" in detail
    assert "medications: the EHR sent no data" in detail
    assert "observations: the EHR reported “results limited to the last 2 years”" in detail


def test_the_same_card_in_french(client: TestClient) -> None:
    """Accept-Language: fr → the card in French, no English of its own, no-break spaces before the colons."""
    card = one_card(call(client, sample("conditions-operation-outcome"), lang="fr"))
    assert re.fullmatch(
        "Calcification des tissus mous\u00a0: sclérodermie systémique en tête \\((?:> )?\\d+\u00a0%\\)", card["summary"]
    )
    text = card["summary"] + card["detail"] + card["source"]["label"]
    assert not [w for w in ENGLISH if w in text]
    assert "**Catégorie\u00a0:**" in card["detail"] and "La décision revient au clinicien." in card["detail"]
    assert "pathologies\u00a0: le DPI a répondu par une erreur" in card["detail"]
    assert "patients publiés qui n'ont servi ni à construire ni à régler ce moteur" in card["detail"]


def test_no_calcification_no_card(client: TestClient) -> None:
    """A dialysis patient with a high phosphate and no lesion: the hook fires, no card (no noise)."""
    response = call(client, sample("no-signal"))
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_the_same_patient_with_a_calcification_gets_a_card(client: TestClient) -> None:
    """The no-signal patient with a coded calcinosis cutis (ICD-10 L94.2): now a card."""
    body = sample("no-signal")
    body["prefetch"]["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c-calc",
                "subject": {"reference": "Patient/pat-hd"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "L94.2"}],
                    "text": "Calcinosis cutis",
                },
            }
        }
    )
    card = one_card(call(client, body))
    assert card["summary"].startswith("Soft-tissue calcification:")
    refuted = copy.deepcopy(body)  # a refuted calcinosis is not a calcification
    refuted["prefetch"]["conditions"]["entry"][-1]["resource"]["verificationStatus"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]
    }
    assert call(client, refuted).json() == {"cards": []}


def _variant(path: str, value: object) -> dict[str, Any]:
    body = sample("dialysis-necrosis-full")
    node = body
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "location"),
    [
        ("hook", "order-select", "hook"),
        ("hookInstance", "not-a-uuid", "hookInstance"),
        ("hookInstance", ..., "hookInstance"),
        ("context.patientId", ..., "context.patientId"),
        ("context.patientId", "a/b", "context.patientId"),
        ("context", ..., "context"),
        ("fhirServer", "ftp://x", "fhirServer"),
        ("prefetch.conditions", ["not", "a", "resource"], "prefetch.conditions"),
    ],
)
def test_malformed_requests_are_400(client: TestClient, path: str, value: object, location: str) -> None:
    """A request that is not a CDS Hooks 2.0 patient-view call: 400 with the located issue."""
    response = call(client, _variant(path, value))
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["title"] == "Bad request"
    assert location in [i["location"] for i in problem["issues"]]


def test_token_without_server_and_wrong_patient_are_400(client: TestClient) -> None:
    """fhirAuthorization needs fhirServer; a prefetched Patient that is not the context's one is refused."""
    body = sample("fetch-offered")
    del body["fhirServer"]
    assert call(client, body).status_code == 400
    wrong = _variant("prefetch.patient.id", "pat-other")
    response = call(client, wrong)
    assert response.status_code == 400 and "wrong patient" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "media", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"hook": "patient-view", "hook": "patient-view"}', "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"a": NaN}', "application/json", 400),
        (b"hook: patient-view", "application/yaml", 415),
    ],
)
def test_bodies_that_are_not_json_objects(client: TestClient, content: bytes, media: str, status: int) -> None:
    """Bad JSON, duplicate keys, a list, NaN: 400; another media type: 415; all as problem details."""
    response = client.post(SERVICE, content=content, headers={"content-type": media})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_a_patient_without_birth_date_is_a_clear_422(client: TestClient) -> None:
    """The reader cannot make a case without an age: 422 with its message, never a 500."""
    body = _variant("prefetch.patient.birthDate", ...)
    response = call(client, body)
    assert response.status_code == 422
    assert "birth date" in response.json()["detail"]


# ---- the card's parts ------------------------------------------------------------------------------


def test_summary_stays_under_140_with_a_very_long_name(kb: KnowledgeBase, codes: CodeTable) -> None:
    """A diagnosis name too long for the sentence is shortened with an ellipsis, never past 139 characters."""
    from calcinosis.engine.diagnose import diagnose

    case = parse_case({"patient": {"age": 40, "sex": "female"}, "findings": ["palpable_nodules"]}, kb)
    report = diagnose(case, kb)
    top = report.differential[0].model_copy(update={"name": "Very long name " * 15})
    long_report = report.model_copy(update={"differential": [top, *report.differential[1:]]})
    summary = _summary(long_report, kb, Trigger("named"), "en")
    assert len(summary) < 140 and "…" in summary and summary.startswith("Soft-tissue calcification: very long name")
    named = "Calcinosis cutis at injection sites of heparin (calcium nadroparin, calcium heparin and their many brand names)"
    top = top.model_copy(update={"name": named})
    summary = _summary(
        report.model_copy(update={"differential": [top, *report.differential[1:]]}), kb, Trigger("named"), "en"
    )
    assert summary.startswith("Soft-tissue calcification: calcinosis cutis at injection sites of heparin most likely (")
    assert "…" not in summary  # the parenthesis goes first, the name stays whole


def test_markdown_from_the_record_is_inert() -> None:
    """Text from the record cannot add a link, an image, HTML, emphasis or a list to the card."""
    escaped = md("- ![x](https://evil.example/p.png) <img src=x> **bold** `code` | [a](b)")
    assert re.search(r"(?<!\\)[\[\]<>*`|]", escaped) is None
    assert escaped.startswith("\\-")
    assert "\n" not in md("two\nlines")


def test_every_lab_step_of_the_knowledge_orders_known_tests(kb: KnowledgeBase) -> None:
    """Each lab or antibody a work-up step answers maps to vocabulary tests (guards new lab features)."""
    steps = [*kb.workup.steps, *(s for d in kb.diseases for s in d.workup)]
    checked = 0
    for step in steps:
        orders = lab_orders(step)
        for list_name, term in orders:
            assert term in kb.vocabulary.lists[list_name], (step.id, term)
        for feature in step.answers:
            if feature.startswith(("lab:", "antibody:")):
                assert orders, (step.id, feature)
                checked += 1
    assert checked > 50
    renal = next(s for s in kb.workup.steps if s.id == "renal_function")
    assert lab_orders(renal) == [("labs", "creatinine")]  # alternatives: the first only


def test_trigger_needs_a_lesion_for_a_must_not_miss(kb: KnowledgeBase) -> None:
    """Calciphylaxis probable without a lesion: no card; with skin necrosis: a must-not-miss card."""
    from calcinosis.engine.diagnose import analyse, diagnose

    base = {"patient": {"age": 60, "sex": "female"}, "history": ["dialysis"], "exposures": ["warfarin"]}
    for findings, expected in (([], None), (["skin_necrosis"], "must_not_miss")):
        case = parse_case({**base, "findings": findings} if findings else base, kb)
        analysis = analyse(case, kb)
        report = diagnose(case, kb, analysis=analysis)
        trigger = card_trigger(report, case, analysis[1], kb, names_calcification=False)
        assert (trigger.reason if trigger else None) == expected
        assert any(
            d.diagnosis == "calciphylaxis" and d.probability >= kb.must_not_miss_threshold for d in report.differential
        )


# ---- every dev case as a hook request ------------------------------------------------------------


def hook_request(case_path: Path, kb: KnowledgeBase, codes: CodeTable, number: int) -> dict[str, Any]:
    """A dev case as an EHR would send it: its FHIR resources (calcinosis' writer) split over the prefetch keys."""
    data = load_document(case_path.read_bytes(), source=case_path.name, fmt="yaml")
    case = parse_case(data, kb, source=case_path.name)
    entries = case_resources(case, kb, codes, analysis_date=dt.datetime.now(dt.UTC).date())
    patient = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Patient")
    urn = f"urn:uuid:{patient['id']}"
    text = json.dumps([e["resource"] for e in entries]).replace(f'"{urn}"', f'"Patient/{patient["id"]}"')
    resources = json.loads(text)
    keys = {"Patient": "patient", "Condition": "conditions", "Observation": "observations"}
    prefetch: dict[str, Any] = {
        k: {"resourceType": "Bundle", "type": "searchset", "entry": []}
        for k in ("conditions", "observations", "medications")
    }
    for resource in resources:
        key = keys.get(resource["resourceType"], "medications")
        if key == "patient":
            prefetch["patient"] = resource
        else:
            prefetch[key]["entry"].append({"resource": resource})
    return {
        "hook": "patient-view",
        "hookInstance": f"00000000-0000-4000-8000-{number:012d}",
        "context": {"userId": "Practitioner/dev", "patientId": patient["id"]},
        "prefetch": prefetch,
    }


@pytest.mark.parametrize("case_path", DEV_CASES, ids=lambda p: p.stem)
def test_every_dev_case_gives_one_card_in_both_languages(
    client: TestClient, kb: KnowledgeBase, codes: CodeTable, case_path: Path
) -> None:
    """Each dev case, sent as a hook request, gives one card whose summary stays under 140 characters."""
    body = hook_request(case_path, kb, codes, DEV_CASES.index(case_path))
    parse_request(body)  # the request itself is a valid CDS Hooks call
    english = one_card(call(client, body))
    french = one_card(call(client, body, lang="fr"))
    assert english["summary"] != french["summary"]
    assert not [w for w in ENGLISH if w in french["summary"] + french["detail"]]
    assert re.search(r" [:;?!]", french["summary"]) is None
    expected = load_document(case_path.read_bytes(), source=case_path.name, fmt="yaml").get("expected", {})
    if expected.get("diagnosis") == "calciphylaxis":
        # critical when the calcium is to correct first (dev-025: 12.9 mg/dL, 3.22 mmol/L, from
        # the 3.0 mmol/L of prompt treatment, Walsh 2016), a warning otherwise
        from calcinosis import diagnose, read_case
        from calcinosis.engine.diagnose import URGENT_CODES

        urgent = any(i.code in URGENT_CODES for i in diagnose(read_case(case_path, kb), kb).issues)
        assert english["indicator"] == ("critical" if urgent else "warning")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_emergency_opens_the_card_and_makes_it_critical(
    client: TestClient, kb: KnowledgeBase, codes: CodeTable, lang: str
) -> None:
    """A code review: a tumour lysis syndrome and a symptomatic hypercalcaemia were in no part of
    the card (the summary moves them to the next steps, which the card does not show). The card
    opens on them, and is critical."""
    from calcinosis import diagnose, read_case
    from calcinosis.engine.diagnose import URGENT_CODES

    from ..conftest import PUBLISHED_CASES

    path = PUBLISHED_CASES / "pub-meta3-01-relapsed-leukaemia-flexural-plaques.yaml"
    body = hook_request(path, kb, codes, 900)
    card = one_card(call(client, body, lang=lang))
    report = diagnose(read_case(path, kb), kb, lang=lang)
    urgent = [i.message for i in report.issues if i.code in URGENT_CODES]
    assert urgent and card["indicator"] == "critical"
    opening = card["detail"].split("\n\n")[0] if "\n\n" in card["detail"] else card["detail"]
    assert all(md(u, 600) in opening for u in urgent), opening[:300]
