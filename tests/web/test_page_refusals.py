"""The pages that read what was sent (a case file, a clinical note) say a refusal with its status
(422, 413 over the case file limit), in the page's language, with what was typed kept; and a
405's problem detail is said in the request's language like every other problem."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase
from calcinosis.case.document import LIMITS
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

from .test_web_french import problems, visible_text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_pasted_case_that_cannot_be_read_is_a_422_with_the_text_kept(
    client: TestClient, kb: KnowledgeBase, lang: str
) -> None:
    pasted = "patient: {age: 40, sex: female}\npatient: {age: 41}\nfindings: [<b>pain</b>]\n"
    page = client.post(f"/ui/load?lang={lang}", data={"case_text": pasted})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;pain&lt;/b&gt;" in page.text and "<b>pain</b>" not in page.text
    refused = client.post(f"/ui/load?lang={lang}", data={"case_text": "- a\n- b\n"})
    assert refused.status_code == 422 and "- a\n- b\n</textarea>" in refused.text
    said = "un cas est un ensemble de clés" if lang == "fr" else "a case is a mapping"
    assert said in html.unescape(refused.text)
    # a case that is read, with an unknown term, fills the form: the page is a 200
    read = client.post(f"/ui/load?lang={lang}", data={"case_text": "patient: {age: 40, sex: female}\n"})
    assert read.status_code == 200


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_case_file_over_the_limit_is_a_413_not_parsed_cut(kb: KnowledgeBase, tmp_path, lang: str) -> None:  # type: ignore[no-untyped-def]
    """With a body limit above the case file limit, a file one byte over it was read cut at the
    limit and parsed (its error a YAML one about the cut); it is a 413 saying the limit."""
    database = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    app = create_app(Settings(database_url=database, max_body_bytes=4 * 1024 * 1024), kb=kb)
    big = b"# " + b"x" * LIMITS["file_bytes"] + b"\npatient: {age: 40, sex: female}\n"
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.post(f"/ui/load?lang={lang}", files={"case_file": ("big.yaml", big, "application/yaml")})
    assert page.status_code == 413, page.text[:300]
    said = "plus gros que la limite" if lang == "fr" else "larger than the limit"
    assert said in html.unescape(page.text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_note_that_cannot_be_read_is_a_422_with_the_note_kept(
    client: TestClient, kb: KnowledgeBase, lang: str
) -> None:
    note = "court <b>"
    page = client.post(f"/ui/note?lang={lang}", data={"note_text": note, "note_lang": "fr"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert ">court &lt;b&gt;</textarea>" in page.text  # the note back in its box
    assert '<option value="fr" selected>' in page.text
    assert "court <b>" not in page.text
    if lang == "fr":
        text = visible_text(page.text)
        assert "note" in text.lower()
        found = problems(text, kb)
        assert not found, "\n".join(found[:10])
    empty = client.post(f"/ui/note?lang={lang}", data={"note_text": "", "note_lang": ""})
    assert empty.status_code == 422


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ({"params": {"lang": "fr"}}, "cette adresse ne répond pas à DELETE\u202f; elle répond à GET, HEAD"),
        ({"headers": {"accept-language": "fr-FR,fr;q=0.9"}}, "cette adresse ne répond pas à DELETE"),
        ({"params": {"lang": "en"}}, "this address does not answer DELETE; it answers GET, HEAD"),
    ],
)
def test_a_405_and_a_404_are_said_in_the_requests_language(client: TestClient, how: dict, said: str) -> None:  # type: ignore[type-arg]
    """Their detail was the router's English phrase ('Method Not Allowed'), on a French request too."""
    refused = client.delete("/api/v1/health", **how)
    assert refused.status_code == 405 and refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["allow"] == "GET, HEAD" and refused.json()["detail"].startswith(said)
    missing = client.get("/api/v1/no-such-thing", **how)
    assert missing.status_code == 404
    french = "lang" not in how.get("params", {}) or how["params"]["lang"] == "fr"
    assert missing.json()["detail"].startswith("rien à cette adresse" if french else "nothing is at this address")
