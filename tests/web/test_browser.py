"""The web app in a real browser (Debian's headless Chromium driven by Playwright), on a live server.

A clinician's path: fill the form through the pickers for three dev cases and see the expected
diagnosis first; answer a next question; switch to French; download the PDF report; upload a
case file; walk the form with the keyboard only. axe-core (vendored from its npm package) runs
on each page: no serious or critical violation. Screenshots at desktop and tablet width are
saved under .test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import playwright.sync_api as playwright_api  # installed by scripts/setup: a missing one fails, never skips
import pytest
import yaml

from calcinosis import KnowledgeBase, diagnose, read_case

from ..conftest import REPO, SHARED

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/lib/chromium/chromium") if os.path.exists(p)), None)
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = REPO / ".test-artifacts" / "screenshots"
FORM_CASES = ["dev-003-crest-fingertips", "dev-020-nadroparin-calcium-nodules", "dev-013-ckd-calcinosis-hands"]
PICKERS = {
    "history": "conditions",
    "exposures": "exposures",
    "findings": "findings",
    "sites": "sites",
    "absent": "findings",
}


REGISTRY_PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn serving the app on a free loopback port, for this module, with a registry of its own
    (an SQLite file in a temporary folder) holding one clinician."""
    from calcinosis.registry import store
    from calcinosis.registry.db import migrate, open_engine, session_scope

    database = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.sqlite3'}"
    engine = open_engine(database)
    migrate(engine)
    with session_scope(engine) as s:
        store.add_user(s, "doc", REGISTRY_PASSWORD, "clinician", actor="test")
    engine.dispose()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "CALCINOSIS_PORT": str(port), "CALCINOSIS_DATABASE_URL": database}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "calcinosis.web.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(url + "/api/v1/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup (it installs Debian's chromium package)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[OFFLINE])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"browser console errors: {errors}"  # CSP violations and script errors included


def _first_diagnosis(page: Any) -> str:
    return str(page.locator("#result ol.differential > li").first.get_attribute("data-diagnosis"))


def _wait_for_first(page: Any, diagnosis: str) -> None:
    page.wait_for_function(
        "d => { const li = document.querySelector('#result ol.differential > li'); return li && li.dataset.diagnosis === d; }",
        arg=diagnosis,
        timeout=15000,
    )


def _settle(page: Any) -> None:
    """Wait until the result panel has stopped changing (the form posts itself after a short delay)."""
    page.wait_for_function(
        """() => {
            const t = document.querySelector('#result').innerText;
            const now = performance.now();
            if (window.__lastText !== t) { window.__lastText = t; window.__since = now; return false; }
            return !document.querySelector('.htmx-request') && now - window.__since > 1000;
        }""",
        polling=100,
        timeout=20000,
    )


def _pick(page: Any, name: str, label: str) -> None:
    """Type a term and press Enter, as a clinician does, then wait for its chip.

    On a loaded 2-core machine the Enter was twice lost (the chip never came, the text stayed in
    the field) while the suite ran beside other work; a clinician whose Enter is lost presses it
    again, and so does the test, once, only when the text is still there. The chip must come."""
    field = page.locator(f"#pick-{name}")
    chip = page.locator(f'.picker[data-name="{name}"] .chips input[type="hidden"]').last
    field.fill(label)
    field.press("Enter")
    try:
        chip.wait_for(state="attached", timeout=10000)
    except playwright_api.TimeoutError:
        if field.input_value() != label:
            raise
        field.press("Enter")
        chip.wait_for(state="attached")


def _fill(page: Any, case: dict[str, Any], kb: KnowledgeBase) -> None:
    """Enter a case the way a clinician would: typed numbers, chosen sexes, terms through the pickers."""
    patient = case["patient"]
    page.fill("#f-age", str(patient["age"]))
    page.select_option("#f-sex", patient["sex"])
    for key, list_name in PICKERS.items():
        for term in case.get(key, []):
            _pick(page, key, kb.vocabulary.label(list_name, term, "en"))
    if "duration_months" in case:
        page.fill("#f-duration", str(case["duration_months"]))
    for i, entry in enumerate(case.get("imaging", [])[:1]):
        page.select_option(f"#img-{i}-modality", entry["modality"])
        if "distribution" in entry:
            page.select_option(f"#img-{i}-distribution", entry["distribution"])
        for key in ("sites", "tissues", "patterns"):
            for term in entry.get(key, []):
                _pick(page, f"img-{i}-{key}", kb.vocabulary.label(key, term, "en"))


def _axe(page: Any, where: str) -> None:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{where}: {serious}"


@pytest.mark.parametrize("name", FORM_CASES)
def test_fill_the_form_and_see_the_expected_diagnosis(page: Any, server: str, kb: KnowledgeBase, name: str) -> None:
    path = SHARED / "cases" / f"{name}.yaml"
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    engine_first = diagnose(read_case(path, kb), kb).differential[0].diagnosis
    assert engine_first == case["expected"]["diagnosis"]
    page.goto(server + "/?lang=en")
    _fill(page, case, kb)
    _wait_for_first(page, engine_first)
    assert page.locator("#result meter").count() >= 6  # category bars and differential bars


def test_answer_a_question_whatif_tabs_and_axe(page: Any, server: str, kb: KnowledgeBase) -> None:
    case = yaml.safe_load((SHARED / "cases" / "dev-003-crest-fingertips.yaml").read_text(encoding="utf-8"))
    page.goto(server + "/?lang=en")
    _axe(page, "empty case page")
    _fill(page, case, kb)
    _wait_for_first(page, "systemic_sclerosis")
    _settle(page)
    before = page.locator("#result").inner_text()
    answer = page.locator("#result button.answer").first
    term = answer.get_attribute("data-term")
    answer.click()
    page.locator(f'.chips input[value="{term}"]').wait_for(state="attached")
    page.wait_for_function("t => document.querySelector('#result').innerText !== t", arg=before, timeout=15000)
    # what-if on an entered finding: the panel compares as entered / not reported / absent
    page.locator('.chip button.whatif[data-term="raynaud_phenomenon"]').click()
    page.locator("#whatif .whatif-panel tbody tr").nth(2).wait_for()
    assert page.locator("#whatif tbody tr").count() == 3
    # tabs: management shows options, the work-up panel is hidden then
    page.get_by_role("tab", name="Management").click()
    assert page.locator("#panel-management").is_visible() and page.locator("#panel-workup").is_hidden()
    _axe(page, "case page with a result")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "case-desktop-en.png"), full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path=str(SHOTS / "case-tablet-en.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768  # no sideways scrolling on a tablet


def test_french_pages(page: Any, server: str) -> None:
    page.goto(server + "/?lang=en&demo=demo-scleroderma-fingertips")
    age = page.input_value("#f-age")
    page.fill("#f-id", "typed before switching")
    page.get_by_role("link", name="Français").click()
    page.wait_for_url("**lang=fr**")
    assert page.locator("html").get_attribute("lang") == "fr"
    # the case being typed comes along: the switch redraws the page from the form, not empty
    assert page.input_value("#f-id") == "typed before switching" and page.input_value("#f-age") == age
    assert page.locator('.picker[data-name="history"] .chips input[type="hidden"]').count() > 0
    assert page.get_by_role("heading", level=1).inner_text().startswith("Patient présentant")
    page.goto(server + "/?lang=fr&demo=demo-scleroderma-fingertips")
    result = page.locator("#result").inner_text()
    assert "Catégorie" in result and "Diagnostic différentiel" in result
    assert "\u00a0%" in result or "\u202f%" in result  # Babel's French percent: no-break space before %
    _axe(page, "French case page")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "case-desktop-fr.png"), full_page=True)


def test_enter_and_update_redraw_in_place_accents_are_read_and_must_not_miss_is_said(page: Any, server: str) -> None:
    """Enter in a field and "Update the result" redraw the result in the page (they opened the
    bare result fragment as a page of its own); an accented French term is found whatever the
    accents typed; a must-not-miss diagnosis is said in words, not only in a tooltip."""
    page.goto(server + "/?lang=fr")
    page.fill("#f-age", "62")
    page.select_option("#f-sex", "female")
    field = page.locator("#pick-history")
    field.fill("dialyse")
    field.press("Enter")
    page.locator('.picker[data-name="history"] .chips input[value="dialysis"]').wait_for(state="attached")
    field.fill("Sclerodermie systemique")  # typed without its accents
    field.press("Enter")
    page.locator('.picker[data-name="history"] .chips input[value="systemic_sclerosis"]').wait_for(state="attached")
    _pick(page, "findings", "Nécrose cutanée")
    page.locator("#result .differential").wait_for(timeout=15000)
    page.locator("#f-age").press("Enter")
    page.get_by_role("button", name="Mettre à jour le résultat").click()
    page.wait_for_timeout(500)
    assert "/ui/result" not in page.url and page.locator("#case-form").count() == 1
    alert = page.locator("#result .must-not-miss")
    alert.wait_for(timeout=15000)
    assert "Calciphylaxie" in alert.inner_text() and "À ne pas méconnaître" in alert.inner_text()


def test_the_case_page_fits_a_phone(page: Any, server: str) -> None:
    """At 390 px (a phone) the case page with a loaded case does not scroll sideways: a fieldset
    and a grid column shrink to the screen, wide result tables scroll in their own box."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + "/?lang=fr&demo=demo-scleroderma-fingertips")
    page.locator("#result .differential").wait_for(timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_download_the_pdf_report(page: Any, server: str, tmp_path: Path) -> None:
    page.goto(server + "/?lang=fr&demo=demo-dialysis-necrosis")
    with page.expect_download() as download:
        page.get_by_role("button", name="Compte rendu clinicien (PDF)").click()
    target = tmp_path / "report.pdf"
    download.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_upload_a_case_file(page: Any, server: str, kb: KnowledgeBase) -> None:
    path = SHARED / "cases" / "dev-022-subepidermal-nodule-eyelid.yaml"
    page.goto(server + "/?lang=en")
    page.get_by_text("Load a case file or a demo case").click()
    page.set_input_files("#case-file", str(path))
    page.get_by_role("button", name="Fill the form").click()
    page.wait_for_url("**/ui/load**")
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert page.input_value("#f-age") == str(case["patient"]["age"])
    _wait_for_first(page, diagnose(read_case(path, kb), kb).differential[0].diagnosis)
    # a broken file: its located error on the page, never a traceback
    broken = Path(page.context.browser.version and "/tmp") / "broken-case.yaml"
    broken.write_text("patient: {age: 40, sex: female}\nfindings: [raynod]\n", encoding="utf-8")
    page.goto(server + "/?lang=en")
    page.get_by_text("Load a case file or a demo case").click()
    page.set_input_files("#case-file", str(broken))
    page.get_by_role("button", name="Fill the form").click()
    problems = page.locator(".problems").inner_text()
    assert "findings[0]" in problems and "raynaud_phenomenon" in problems
    broken.unlink()


def test_keyboard_only(page: Any, server: str) -> None:
    """Tab to the findings picker, type, Enter adds the chip; its remove button is reachable and works."""
    page.goto(server + "/?lang=en")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "pick-findings":
            break
    else:
        pytest.fail("the findings picker is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.type("Raynaud phenomenon")
    page.keyboard.press("Enter")
    chip = page.locator('.picker[data-name="findings"] .chip')
    chip.wait_for()
    # no sex entered yet: the result panel says which required item is missing, located
    page.locator("#result .problems").wait_for(timeout=15000)
    assert "patient.sex" in page.locator("#result .problems").inner_text()
    page.locator('.picker[data-name="findings"] .chip button.remove').focus()
    page.keyboard.press("Enter")
    assert chip.count() == 0


def test_imaging_page(page: Any, server: str, tmp_path: Path) -> None:
    import nibabel as nib
    import numpy as np

    from ..imaging.phantoms import limb_phantom

    volume, _ = limb_phantom(shape=(24, 160, 160), spacing=(1.0, 1.0, 1.0))
    study = tmp_path / "limb.nii.gz"
    nib.save(nib.Nifti1Image(np.transpose(volume.array, (2, 1, 0)).astype(np.int16), np.eye(4)), study)
    page.goto(server + "/imaging?lang=en")
    _axe(page, "imaging page")
    page.set_input_files("#study", str(study))
    page.get_by_role("button", name="Measure").click()
    page.locator(".overlays img").first.wait_for()
    assert page.locator("table.deposits tbody tr").count() >= 1
    _axe(page, "imaging result")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "imaging-desktop-en.png"), full_page=True)
    page.get_by_role("button", name="Use in a case").click()
    page.wait_for_url("**/ui/load**")
    assert page.locator("#img-0-modality").input_value() == "ct"


def test_chromium_is_the_debian_one() -> None:
    assert CHROMIUM is not None and shutil.which("chromium") is not None


def test_registry_follow_up_in_the_browser(page: Any, server: str) -> None:
    """Sign in, add a patient, a visit with a lesion, a second visit; see the chart and the response."""
    case_text = (SHARED / "cases" / "dev-003-crest-fingertips.yaml").read_text(encoding="utf-8")
    page.goto(server + "/registry?lang=en")
    page.wait_for_url("**/login**")
    _axe(page, "sign-in page")
    page.fill("#username", "doc")
    page.fill("#password", REGISTRY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/registry" in url and "/login" not in url)
    page.fill("#new-code", "P-001")
    page.select_option("#new-sex", "female")
    page.get_by_role("button", name="Add a patient").click()
    page.wait_for_url("**/registry/patients/P-001**")
    for date, area, vas in (("2025-01-10", "2", "6"), ("2025-07-12", "1.2", "3")):
        page.fill("#v-date", date)
        page.fill("#v-text", case_text)
        page.get_by_role("button", name="Record a visit").click()
        page.wait_for_load_state()
        page.fill("#l-date", date)
        page.fill("#l-label", "L1")
        page.fill("#l-site", "fingertips")
        page.fill("#l-area", area)
        page.fill("#l-vas", vas)
        page.get_by_role("button", name="Record a lesion measurement").click()
        page.wait_for_load_state()
    assert page.locator(".response-class").inner_text() == "improved"
    chart = page.locator("figure.chart img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    _axe(page, "patient page")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "registry-patient-desktop-en.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the 720-px chart scaled down, no sideways scroll
    page.reload()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert chart.bounding_box()["width"] <= 390
    page.goto(server + "/registry?lang=fr")
    assert "Registre de suivi" in page.locator("h1").inner_text()
    _axe(page, "registry list (French)")


def test_read_a_clinical_note(page: Any, server: str) -> None:
    """Paste a French note: the form is filled, the note comes back with its phrases marked."""
    note = (
        "Patiente de 52 ans suivie pour une sclérodermie systémique. Nodules calciques des pulpes digitales, "
        "pas d'ulcération. Calcémie 2,35 mmol/L."
    )
    page.goto(server + "/?lang=fr")
    page.get_by_text("Lire une note clinique").click()
    page.fill("#note-text", note)
    page.get_by_role("button", name="Lire la note").click()
    page.wait_for_url("**/ui/note**")
    assert page.input_value("#f-age") == "52"
    assert page.locator("mark.st-absent").first.inner_text() == "ulcération"
    assert page.locator(".note-review").is_visible()
