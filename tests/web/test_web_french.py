"""The pages in French: no English on the French path, French typography (the checks of test_french)."""

from __future__ import annotations

import html
from pathlib import Path

import html5lib
import pytest
from fastapi.testclient import TestClient

from calcinosis import KnowledgeBase

from ..conftest import DEV_CASES
from ..test_french import problems

__all__ = ["problems", "visible_text"]


def visible_text(page: str) -> str:
    """What a reader sees: text nodes and the labels of options, without scripts and styles."""
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    parts: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if node.tag in ("script", "style", "template", "datalist"):
            return
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(tree)
    return "\n".join(p.strip() for p in parts if p.strip())


@pytest.mark.parametrize("case", DEV_CASES[::4], ids=lambda p: p.stem)
def test_case_page_with_its_result_is_french(client: TestClient, kb: KnowledgeBase, case: Path) -> None:
    page = client.post("/ui/load?lang=fr", data={"case_text": case.read_text(encoding="utf-8")})
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Diagnostic différentiel" in text
    assert "patients publiés qui n'ont servi ni à construire ni à régler ce moteur" in text  # measured performance
    found = problems(text, kb)
    assert not found, "\n".join(found[:10])


def test_empty_imaging_and_error_pages_are_french(client: TestClient, kb: KnowledgeBase) -> None:
    for page in (
        client.get("/?lang=fr"),
        client.get("/imaging?lang=fr"),
        client.post("/ui/load?lang=fr", data={"case_text": "patient: {age: 40, sex: female}\nfindings: [raynod]\n"}),
    ):
        assert page.status_code == 200
        found = problems(visible_text(page.text), kb)
        assert not found, "\n".join(found[:10])


def test_a_newborn_read_in_its_form_gets_the_newborns_management_page_in_french(
    client: TestClient, kb: KnowledgeBase
) -> None:
    """The page says which form the management follows, in French, and shows the newborn's
    follow-up rather than the adults' yearly imaging."""
    case = (
        "patient: {age: 0.06, sex: male}\nfindings: [palpable_nodules]\nsites: [back, buttock]\n"
        "labs:\n  - {test: calcium, value: 3.2, unit: mmol/L}\n"
    )
    page = client.post("/ui/load?lang=fr", data={"case_text": case})
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Forme retenue\u00a0: Cytostéatonécrose du nouveau-né" in text
    assert "Calcémie ionisée, même chez un nourrisson" in text and "Imagerie des zones atteintes" not in text
    found = problems(text, kb)
    assert not found, "\n".join(found[:10])


def test_imaging_numbers_take_the_decimal_comma_and_a_bad_one_is_said_in_french(
    client: TestClient, kb: KnowledgeBase
) -> None:
    """'0,2' mm is a pixel spacing (a problem document in English refused it); 'abc' is said on
    the French page beside what was typed, never as a raw problem document."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    image = np.full((64, 64), 40, dtype=np.uint8)
    image[20:30, 20:30] = 250
    Image.fromarray(image).save(buffer, format="PNG")
    png = ("radio.png", buffer.getvalue(), "image/png")
    measured = client.post("/imaging?lang=fr", files={"study": png}, data={"threshold": "130", "pixel_spacing": "0,2"})
    assert measured.status_code == 200 and "dépôt" in measured.text and 'value="0,2"' in measured.text
    bad = client.post("/imaging?lang=fr", files={"study": png}, data={"threshold": "abc", "pixel_spacing": "0,2"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    text = visible_text(bad.text)
    assert "Seuil calcique (UH)\u00a0: «\u00a0abc\u00a0» n'est pas un nombre" in text and 'value="abc"' in bad.text
    found = problems(text, kb)
    assert not found, "\n".join(found[:10])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_emergency_and_a_sarcoma_to_exclude_are_alerts_on_the_case_page(client: TestClient, lang: str) -> None:
    """A calcium above 3.5 mmol/L opens the result as an alert (not among the notes); a mass with
    the sarcomas still possible shows them first among the principles, marked, and each procedure
    on the mass says first that it waits (it was a plain bullet after the dose)."""
    case = "patient: {age: 60, sex: female}\nfindings: [palpable_nodules]\nlabs:\n  - {test: calcium, value: 3.7, unit: mmol/L}\n"
    page = client.post(f"/ui/load?lang={lang}", data={"case_text": case}).text
    urgent = "Hypercalcémie sévère" if lang == "fr" else "Severe hypercalcaemia"
    alert = page.index('class="problems urgent" role="alert"')
    assert page.index(urgent) > alert and page.index(urgent) < page.index('class="summary"')
    notes = page[page.find('class="warnings" role="note"') :] if 'class="warnings" role="note"' in page else ""
    assert urgent not in notes.split("</div>")[0]
    mass = (
        Path(__file__).parents[1]
        / "data"
        / "published"
        / "cases"
        / "pub-dys-12-leg-slow-growing-densely-calcified-mass.yaml"
    )
    page = client.post(f"/ui/load?lang={lang}", data={"case_text": mass.read_text(encoding="utf-8")}).text
    assert '<p class="statement urgent">' in page
    wait = "Pas avant d&#39;avoir écarté" if lang == "fr" else "Not before these are excluded"
    assert '<strong class="wait">⚠ ' + wait in page


def test_a_pasted_case_that_cannot_be_read_comes_back_in_its_box(client: TestClient) -> None:
    """A hardening review: pasted text with a YAML error or a repeated key came back with the box
    and the form empty (what was typed was lost); it now comes back as typed, the box open, with
    the reason in the page's language."""
    pasted = "patient: {age: 40, sex: female}\npatient: {age: 41, sex: female}\nfindings: [<b>pain</b>]\n"
    page = client.post("/ui/load?lang=fr", data={"case_text": pasted})
    assert page.status_code == 422  # was 200: a page that could not read what was sent said so with a success
    assert "patient: {age: 41, sex: female}" in page.text and "&lt;b&gt;pain&lt;/b&gt;" in page.text
    assert '<details class="load" open>' in page.text
    refused = client.post("/ui/load?lang=fr", data={"case_text": "- a\n- b\n"})
    assert "un cas est un ensemble de clés" in html.unescape(refused.text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_comma_before_three_digits_is_refused_on_the_form_and_a_decimal_comma_is_read(
    client: TestClient, kb: KnowledgeBase, lang: str
) -> None:
    """A hostile-input audit: alkaline phosphatase '1,200' U/L was read as 1.2 and shown as low,
    without a word. A comma before three digits (a thousands separator in English, a decimal
    comma in French) is refused, naming the field and both ways to write it, and the text typed
    comes back in its field; '2,4' and '0,850' are still read as decimals."""
    base = {"age": "40", "sex": "female", "findings": "palpable_nodules", "lab-0-test": "alkaline_phosphatase"}
    refused = client.post(f"/ui/page?lang={lang}", data={**base, "lab-0-value": "1,200", "lab-0-unit": "U/L"})
    assert refused.status_code == 200
    text = visible_text(refused.text)
    assert "labs[0].value" in text and "Alkaline phosphatase 1.2" not in text and "1,2 U/L" not in text
    said = {
        "en": "'1,200' cannot be read: a comma before three digits separates thousands in English and marks the"
        " decimals in French; write 1200 or 1.2",
        "fr": "'1,200' ne peut pas être lu\u00a0: une virgule suivie de trois chiffres sépare les milliers en anglais"
        " et marque les décimales en français\u202f; écrire 1200 ou 1,2",
    }[lang]
    assert said in text and 'value="1,200"' in refused.text
    if lang == "fr":
        found = problems(text, kb)
        assert not found, "\n".join(found[:10])
    from calcinosis.web.pages.form import form_to_case

    for typed, read in (("2,4", 2.4), ("0,850", 0.85), ("12,5", 12.5), ("1 200", 1200)):
        assert form_to_case([("lab-0-test", "calcium"), ("lab-0-value", typed)])["labs"][0]["value"] == read


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_dot_before_three_digits_is_refused_on_the_form_as_the_comma_is(
    client: TestClient, kb: KnowledgeBase, lang: str
) -> None:
    """'CK 1.200' typed in the form was read 1.2 U/L: a dot before three digits is the decimal
    point in English and separates thousands in French, so it is refused as '1,200' is, naming
    the field and both ways to write it; the text typed comes back in its field."""
    base = {"age": "40", "sex": "female", "findings": "palpable_nodules", "lab-0-test": "ck"}
    refused = client.post(f"/ui/page?lang={lang}", data={**base, "lab-0-value": "1.200", "lab-0-unit": "U/L"})
    assert refused.status_code == 200
    text = visible_text(refused.text)
    said = {
        "en": "'1.200' cannot be read: a dot before three digits is the decimal point in English and separates"
        " thousands in French; write 1200 or 1.2",
        "fr": "'1.200' ne peut pas être lu\u00a0: un point suivi de trois chiffres est la marque décimale en anglais"
        " et sépare les milliers en français\u202f; écrire 1200 ou 1,2",
    }[lang]
    assert "labs[0].value" in text and said in text and 'value="1.200"' in refused.text
    if lang == "fr":  # the text quoted as typed is the user's, not the page's French
        found = problems(text.replace("'1.200'", "''"), kb)
        assert not found, "\n".join(found[:10])
    from calcinosis.web.pages.form import form_to_case

    for typed, read in (("1.2", 1.2), ("0.850", 0.85), ("12.50", 12.5), ("1200.500", 1200.5)):
        assert form_to_case([("lab-0-test", "ck"), ("lab-0-value", typed)])["labs"][0]["value"] == read


@pytest.mark.parametrize(("lang", "shown"), [("en", "1.1250"), ("fr", "1,1250")])
def test_a_loaded_value_with_three_decimals_is_saved_unchanged(client: TestClient, lang: str, shown: str) -> None:
    """An ionised calcium of 1.125 mmol/L loaded from a file was shown '1,125' on the French page,
    which the form then refused on save as ambiguous (1125?); it is shown with a fourth decimal,
    so that saving the form reads 1.125 again."""
    case = (
        "patient: {age: 60, sex: female}\nfindings: [palpable_nodules]\n"
        "labs:\n  - {test: ionized_calcium, value: 1.125, unit: mmol/L}\n"
    )
    page = client.post(f"/ui/load?lang={lang}", data={"case_text": case})
    assert page.status_code == 200 and f'value="{shown}"' in page.text
    saved = client.post(
        f"/ui/page?lang={lang}",
        data={
            "age": "60",
            "sex": "female",
            "findings": "palpable_nodules",
            "lab-0-test": "ionized_calcium",
            "lab-0-value": shown,
            "lab-0-unit": "mmol/L",
        },
    )
    text = visible_text(saved.text)
    assert saved.status_code == 200 and "labs[0].value" not in text and f'value="{shown}"' in saved.text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_imaging_threshold_written_with_a_separator_before_three_digits_is_refused(
    client: TestClient, lang: str
) -> None:
    """The imaging page read a threshold of '1,200' HU as 1.2 HU; it names both readings now."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64), 40, dtype=np.uint8)).save(buffer, format="PNG")
    png = ("radio.png", buffer.getvalue(), "image/png")
    for typed in ("1,200", "1.200"):
        bad = client.post(f"/imaging?lang={lang}", files={"study": png}, data={"threshold": typed})
        text = visible_text(bad.text)
        assert bad.status_code == 422 and ("write 1200 or 1.2" in text or "écrire 1200 ou 1,2" in text), text[-600:]


def test_a_number_of_thousands_of_digits_is_refused_at_its_field_not_a_500(client: TestClient) -> None:
    """A code review: an age of 5,000 nines posted to the form answered 500 (Python refused to
    read it); it is refused at its field, as the case file is."""
    base = {"sex": "female", "findings": "palpable_nodules"}
    for field, extra in (("age", {}), ("lab-0-value", {"age": "40", "lab-0-test": "calcium", "lab-0-unit": "mmol/L"})):
        response = client.post("/ui/result", data={**base, **extra, field: "9" * 5000})
        assert response.status_code < 500, field
        assert "Traceback" not in response.text and "int_max_str_digits" not in response.text
