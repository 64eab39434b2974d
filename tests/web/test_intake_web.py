"""A clinical note over the API (``/api/v1/intake``) and on the case page ("read a clinical note")."""

from __future__ import annotations

from fastapi.testclient import TestClient

NOTE_FR = (
    "Patiente de 45 ans suivie pour une sclérodermie systémique, nodules calciques des pulpes digitales, "
    "pas d'ulcération, calcémie 2,35 mmol/L, phosphorémie normale. Sa mère avait un lupus."
)


def test_api_reads_a_french_note_with_spans(client: TestClient) -> None:
    r = client.post("/api/v1/intake", content=NOTE_FR.encode(), headers={"content-type": "text/plain; charset=utf-8"})
    assert r.status_code == 200, r.text
    body = r.json()
    case = body["case"]
    assert case["patient"] == {"age": 45.0, "sex": "female"}
    assert case["history"] == ["systemic_sclerosis"] and case["absent"] == ["ulceration"]
    assert {"test": "calcium", "value": 2.35, "unit": "mmol/L"} in case["labs"]
    assert "systemic_lupus_erythematosus" not in case.get("history", [])  # the mother's, set aside
    for item in body["items"]:
        assert NOTE_FR[item["start"] : item["end"]] == item["text"]
    assert any(i["status"] == "family" for i in body["dropped"])
    assert body["lang"] == "fr" and body["lang_given"] is False


def test_api_json_body_and_errors(client: TestClient) -> None:
    r = client.post("/api/v1/intake", json={"text": "A 60-year-old man on hemodialysis with no fever.", "lang": "en"})
    assert r.status_code == 200 and "dialysis" in r.json()["case"]["history"]
    assert r.json()["lang_given"] is True
    german = "Der Patient hat seit drei Wochen Schmerzen in der rechten Hand und Fieber, keine Verletzung."
    r = client.post("/api/v1/intake?lang=fr", json={"text": german})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "allemand" in r.json()["detail"]
    assert (
        client.post("/api/v1/intake", content=b"<note/>", headers={"content-type": "application/xml"}).status_code
        == 415
    )
    r = client.post("/api/v1/intake", json={"text": "x", "colour": "red"})
    assert r.status_code == 422 and "text" in r.json()["detail"]
    r = client.post("/api/v1/intake", content=b"", headers={"content-type": "text/plain"})
    assert r.status_code == 422


def test_case_page_fills_the_form_from_a_note(client: TestClient) -> None:
    note = NOTE_FR + " <script>alert(1)</script>"
    r = client.post("/ui/note?lang=fr", data={"note_text": note, "note_lang": ""})
    assert r.status_code == 200
    page = r.text
    assert 'name="age" inputmode="decimal" value="45' in page
    assert '<mark class="st-absent"' in page and "ulcération</mark>" in page
    assert '<mark class="st-family"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "La note telle qu" in page  # the review panel, in French


def test_case_page_note_without_age_asks_for_it(client: TestClient) -> None:
    r = client.post(
        "/ui/note?lang=en",
        data={"note_text": "Woman with dermatomyositis and calcified nodules of the elbows.", "note_lang": "en"},
    )
    assert r.status_code == 200 and "the note gives no age" in r.text


def test_marked_phrases_say_where_they_went_in_the_page_language(client: TestClient) -> None:
    fr = client.post("/ui/note?lang=fr", data={"note_text": NOTE_FR, "note_lang": ""}).text
    assert 'title="Affections connues\u00a0: Sclérodermie systémique' in fr
    assert 'title="Patient\u00a0: Âge' in fr or 'title="Patient\u00a0: Age' in fr
    en = client.post("/ui/note?lang=en", data={"note_text": NOTE_FR, "note_lang": ""}).text
    assert 'title="Known conditions: Systemic sclerosis' in en


def test_a_hostile_json_note_is_a_422_not_a_500(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # json recurses per level: a RecursionError was a 500
    r = client.post("/api/v1/intake", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    twice = '{"text": "A 60-year-old man on hemodialysis.", "text": "A 3-year-old girl."}'
    r = client.post("/api/v1/intake", content=twice, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "twice" in r.json()["detail"]  # the first note was dropped unsaid
