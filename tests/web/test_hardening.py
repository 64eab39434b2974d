"""The web app and the API under hostile or mistaken requests: the right status for every refusal,
HEAD wherever GET is, conflicts as 409, a bounded sign-in limiter, the Host header checked, and
whatever a client can send (sizes, media types, characters, methods) refused clearly."""

from __future__ import annotations

from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase

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
