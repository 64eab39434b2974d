"""Reports: HTML that parses strictly, PDFs whose text has the expected sections, PNG pages to look at."""

from __future__ import annotations

import subprocess
from pathlib import Path

import html5lib
import pytest
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, read_case
from calcinosis.cli.main import app
from calcinosis.reports.render import render_html

from .conftest import DEV_CASES, REPO

runner = CliRunner()
ARTIFACTS = REPO / ".test-artifacts"  # rendered pages a person can open after the run

SECTIONS = {
    ("clinician", "en"): [
        "Case summary",
        "Differential diagnosis",
        "Next best questions",
        "Management",
        "Follow-up",
        "References",
        "Decision support only",
    ],
    ("clinician", "fr"): [
        "Résumé du cas",
        "Diagnostic différentiel",
        "Questions les plus utiles",
        "Prise en charge",
        "Suivi",
        "Références",
        "Aide à la décision",
    ],
    ("patient", "en"): [
        "What is calcinosis?",
        "What you may notice",
        "When to see a doctor quickly",
        "not contagious",
        "Your follow-up",
    ],
    ("patient", "fr"): [
        "Qu'est-ce que la calcinose\u202f?",  # French typography: narrow no-break space before '?'
        "Ce que vous pouvez remarquer",
        "Quand consulter rapidement",
        "pas contagieuse",
        "Votre suivi",
    ],
}


@pytest.mark.parametrize(("audience", "lang"), sorted(SECTIONS))
def test_html_parses_strictly_and_has_the_sections(kb: KnowledgeBase, audience: str, lang: str) -> None:
    """The HTML is well-formed HTML5 (html5lib strict mode) and holds every section."""
    html = render_html(read_case(DEV_CASES[5], kb), kb, lang=lang, audience=audience)  # type: ignore[arg-type]
    html5lib.HTMLParser(strict=True).parse(html)
    for section in SECTIONS[(audience, lang)]:
        assert section in html.replace("&#39;", "'"), section


@pytest.mark.parametrize(("audience", "lang"), sorted(SECTIONS))
def test_pdf_text_and_page_image(tmp_path: Path, audience: str, lang: str) -> None:
    """The PDF's text (pdftotext) has the sections; its first page is rendered to PNG for a person to see.
    The case is the HTML test's: one with next questions (dev-025's calciphylaxis is now nearly
    certain, so its report rightly has none to ask)."""
    pdf = tmp_path / f"{audience}-{lang}.pdf"
    result = runner.invoke(
        app, ["report", str(DEV_CASES[5]), "--format", "pdf", "--lang", lang, "--audience", audience, "-o", str(pdf)]
    )
    assert result.exit_code == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for section in SECTIONS[(audience, lang)]:
        assert " ".join(section.split()) in " ".join(text.split()), section
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / f"report-{audience}-{lang}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)], check=True
    )
    png = stem.with_suffix(".png")
    assert png.stat().st_size > 10_000  # a real page with text, not a blank image
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_report_command(tmp_path: Path) -> None:
    """--format html writes the file and prints its path."""
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(DEV_CASES[0]), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--format", "pdf", "-o", "/nonexistent-dir/x.pdf"], "does not exist"),
        (["--format", "docx", "-o", "x.docx"], "docx"),
        (["--audience", "family", "-o", "x.html"], "family"),
    ],
)
def test_report_bad_input_exits_2(args: list[str], fragment: str) -> None:
    """Unwritable output, an unknown format or audience: exit 2 and a clear message."""
    result = runner.invoke(app, ["report", str(DEV_CASES[0]), *args])
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_the_file_is_in_the_format_its_name_says(tmp_path: Path) -> None:
    """A hostile-input audit: ``-o r.pdf`` wrote HTML and ``-o r.html -f pdf`` a PDF. Without
    --format the suffix says the format; a --format the suffix contradicts is refused."""
    pdf = tmp_path / "r.pdf"
    result = runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(pdf)])
    assert result.exit_code == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    for name, fmt, named in (("r.html", "pdf", "HTML"), ("r.HTM", "pdf", "HTML"), ("s.pdf", "html", "PDF")):
        out = tmp_path / name
        refused = runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(out), "-f", fmt])
        assert refused.exit_code == 2 and not out.exists()
        assert f"{out}: the suffix {out.suffix} names the {named} format, but --format {fmt}" in refused.stderr
    french = runner.invoke(
        app, ["report", str(DEV_CASES[0]), "-o", str(tmp_path / "r.html"), "-f", "pdf", "--lang", "fr"]
    )
    assert french.exit_code == 2 and "le suffixe .html désigne le format HTML" in french.stderr
    # a suffix that names neither format is refused (a clinical review: '-o leaflet.md' held an
    # HTML document), unless --format says what to write; no suffix is the default, HTML
    for name in ("r.md", "r.txt"):
        other = tmp_path / name
        refused = runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(other)])
        assert refused.exit_code == 2 and not other.exists()
        assert f"the suffix {other.suffix} names neither" in refused.stderr
    other = tmp_path / "r.txt"
    assert runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(other), "-f", "html"]).exit_code == 0
    assert other.read_text(encoding="utf-8").startswith("<!doctype html>")
    bare = tmp_path / "report"
    assert runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(bare)]).exit_code == 0
    assert bare.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_unwritable_output_file(tmp_path: Path) -> None:
    """A path that cannot be written (a folder) is a clear error, exit 2."""
    result = runner.invoke(app, ["report", str(DEV_CASES[0]), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.stderr


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_clinician_report_writes_the_case_paths_of_its_reasons_in_words(kb: KnowledgeBase, lang: str) -> None:
    """Four clinical reviews read 'findings[0] skin_necrosis', 'labs[0] egfr 12', 'patient.age 73'
    and 'imaging[0].tissues[0] artery' in the clinician report as internal jargon: the page
    writes them in words; the JSON result keeps the paths."""
    from calcinosis import diagnose

    from .conftest import PUBLISHED_CASES

    case = read_case(PUBLISHED_CASES / "pub-calci-04-thigh-eschars-ckd5-radiograph.yaml", kb)
    html = render_html(case, kb, lang=lang)
    for path in ("findings[", "labs[", "patient.age", "imaging[", "history["):
        assert path not in html, path
    assert any("labs[" in b for d in diagnose(case, kb).differential for c in d.evidence for b in c.basis)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_option_that_waits_for_its_work_up_is_named_under_not_now_without_doses(
    kb: KnowledgeBase, lang: str
) -> None:
    """A clinical review read adult doses of treatments the terminal held back in a child's report:
    the page names each waiting option once, under its wait note, and prints none of its doses."""
    from markupsafe import escape

    from calcinosis.i18n import message
    from calcinosis.management.manage import manage

    case = read_case(
        next(p for p in DEV_CASES if "dev-017" in p.name), kb
    )  # a child's tumoral calcinosis: excision waits for the big toes
    result = manage(case, kb, lang=lang)
    waiting = [o for options in result.options.values() for o in options if o.wait_note]
    assert waiting, "the case was chosen because an option waits"
    html = render_html(case, kb, lang=lang)
    heading = message("ui_waiting", lang)
    assert heading in html
    after = html.split(heading, 1)[1]
    for option in waiting:
        name = str(escape(option.name))  # as the page writes it (an apostrophe is escaped)
        assert name in after
        assert html.count(f"<b>{name}</b>") == 0, option.name  # not shown as an active option
        if option.dose:
            assert str(escape(option.dose)) not in html, option.dose


def test_a_long_list_of_waiting_options_is_cut_with_its_count(kb: KnowledgeBase) -> None:
    """A French clinical review: 19 drugs stood under 'Not now' for a suspected sarcoma's other
    diagnoses, and the noise drowned the sarcoma. The page names six per wait note and says how
    many more; the JSON result keeps them all."""
    from calcinosis.management.manage import manage
    from calcinosis.management.results import WAITING_SHOWN

    from .conftest import PUBLISHED_CASES

    case = read_case(next(PUBLISHED_CASES.glob("pub-dys-16-*.yaml")), kb)
    waiting = [o for options in manage(case, kb).options.values() for o in options if o.wait_note]
    by_note: dict[str, int] = {}
    for o in waiting:
        by_note[o.wait_note] = by_note.get(o.wait_note, 0) + 1
    longest = max(by_note.values())
    assert longest > WAITING_SHOWN
    assert f"and {longest - WAITING_SHOWN} more" in render_html(case, kb, lang="en")


def test_every_reference_the_clinician_page_cites_is_listed(kb: KnowledgeBase) -> None:
    """A French clinical review: [balin2012] and [seed004] were cited by the principles and absent
    from the page's list of references."""
    import re

    for path in DEV_CASES:
        html = render_html(read_case(path, kb), kb, audience="clinician", lang="en")
        listed = set(re.findall(r"<li>\[([a-z0-9_]+)\]", html))
        cited = {
            r for group in re.findall(r"\[([a-z0-9_, ]+)\]", html) for r in group.split(", ") if r in kb.references
        }
        assert cited <= listed, (path.name, sorted(cited - listed))


def test_the_clinician_page_says_what_each_option_is_for(kb: KnowledgeBase) -> None:
    """A second clinical review: the page dropped the condition the terminal prints with a
    parathyroidectomy for a calciphylaxis ('only with uncontrolled hyperparathyroidism'): each
    option shown says what it fits, with its indication's note, as the terminal does."""
    from markupsafe import escape

    from calcinosis.management.manage import manage

    case = read_case(DEV_CASES[0], kb)
    html = render_html(case, kb, audience="clinician", lang="en")
    shown = [o for opts in manage(case, kb).options.values() for o in [x for x in opts if not x.wait_note][:2]]
    assert shown
    for o in shown:
        for why in o.why:
            assert str(escape(why.split(" — ")[0]))[:60] in html, o.treatment


def test_the_clinician_page_lists_the_references_its_options_rest_on_not_their_file_s_first_two(
    kb: KnowledgeBase,
) -> None:
    """A French clinical review: a woman of 75 on warfarin with a calciphylaxis read, among the
    page's references, the FDA's and the ANSM's NSAIDs in pregnancy and myositis ossificans in
    sport (the first two of the analgesia and excision files), and not Kodumudi 2020, ESC-ESVS
    2017 or ACCP 2022, which the pain dose and the debridement's cautions name."""
    import re

    from calcinosis import parse_case

    case = parse_case(
        {
            "patient": {"age": 75, "sex": "female"},
            "history": ["diabetes_mellitus", "obesity", "rheumatoid_arthritis"],
            "exposures": ["long_term_corticosteroids", "warfarin"],
            "findings": ["palpable_nodules", "pain", "skin_necrosis", "livedo"],
            "sites": ["thigh"],
        },
        kb,
    )
    for lang in ("en", "fr"):
        html = render_html(case, kb, audience="clinician", lang=lang)
        listed = set(re.findall(r"<li>\[([a-z0-9_]+)\]", html))
        assert not listed & {"fda2020nsaid", "ansm2017ains", "devilbiss2018", "genet2011"}
        assert {"kodumudi2020", "chinnadurai2020", "aboyans2017", "douketis2022"} <= listed
