"""A citation's editorial notes in French: the readers' "[Authors not seen.]" never reaches a
French report in English, and the French agrees with what was not seen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calcinosis import KnowledgeBase, load_kb
from calcinosis.kb.check import check_kb
from calcinosis.kb.citation_french import french_citation, untranslated_notes
from calcinosis.kb.loader import default_kb_path


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("[Authors not seen.] A title. J X 2016;1:2.", "[Auteurs non relevés.] A title. J X 2016;1:2."),
        ("A title (year not seen).", "A title (année non relevée)."),
        ("A title (title not seen).", "A title (titre non relevé)."),
        ("T (journal and year not seen).", "T (revue et année non relevées)."),
        ("T (Journal, year, volume and pages not verified.)", "T (Revue, année, volume et pages non vérifiés.)"),
        ("[Authors not displayed on the pages seen.] T.", "[Auteurs non affichés sur les pages consultées.] T."),
        (
            "T (John Wiley and Sons; journal read from the DOI prefix; volume and pages not seen).",
            "T (John Wiley and Sons\u202f; revue déduite du préfixe du DOI\u202f; volume et pages non relevés).",
        ),
        ("T (published online 22 January 2018).", "T (publié en ligne le 22 janvier 2018)."),
        ("T (in French).", "T (en français)."),
        # a French clinical review read these in English (fa-04, fa-10, pub-tumoral-03)
        (
            "T. Clin Anat 2024 (published online December 2024).",
            "T. Clin Anat 2024 (publié en ligne en décembre 2024).",
        ),
        ("DOPPS Annual Report (archived 2009 edition): T.", "DOPPS Annual Report (édition 2009 archivée): T."),
        ("T (oral presentation 8.4). J 2008.", "T (communication orale 8.4). J 2008."),
    ],
)
def test_notes_are_french_and_agree(english: str, french: str) -> None:
    assert french_citation(english) == french
    assert untranslated_notes(english) == []


def test_titles_names_and_places_are_kept() -> None:
    """A bracket that is a title or an affiliation is no note: left as written."""
    title = "Li X. [The clinicopathologic observation of 64 cases of pilomatrixoma]. Chin J 2010;3:4."
    assert french_citation(title) == title
    mixed = "[Authors not seen; Department of Pathology, University Hospital of Kinshasa.] T."
    assert (
        french_citation(mixed)
        == "[Auteurs non relevés\u202f; Department of Pathology, University Hospital of Kinshasa.] T."
    )


def test_a_note_no_rule_knows_is_flagged() -> None:
    assert untranslated_notes("T (authors seen only in a figure caption).") == ["authors seen only in a figure caption"]


def test_every_citation_reads_in_french_and_kb_check_holds_it(kb: KnowledgeBase, tmp_path: Path) -> None:
    """No reference of the shipped knowledge shows an English note in French; a reference whose
    note no rule translates, and that has no citation_fr, is an error of kb check."""
    notes = [rid for rid, r in kb.references.items() if r.citation_fr is None and untranslated_notes(r.citation)]
    assert notes == []
    translated = [r for r in kb.references.values() if r.citation_fr is None and r.text("fr") != r.citation]
    assert len(translated) > 100  # the notes of the knowledge are many: the rules reach them
    assert not any("not seen" in r.text("fr") or "not verified" in r.text("fr") for r in kb.references.values())
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    with (root / "references" / "core.yaml").open("a", encoding="utf-8") as f:
        f.write('- id: odd_note\n  kind: case_report\n  citation: "T (authors seen only in a figure caption)."\n')
    issues = [i for i in check_kb(load_kb(root, cache=False)) if i.code == "kb.citation_english"]
    assert len(issues) == 1 and "odd_note" in issues[0].message


def test_notes_said_shown_and_abstracts_are_put_in_french() -> None:
    """A French clinical review found '(title, authors and journal not shown on the record read)'
    and '(conference abstract)' left in English in a French bibliography."""
    assert french_citation("T. J 2020. (authors not shown on the page read)") == (
        "T. J 2020. (auteurs non affichés sur la page lue)"
    )
    assert french_citation("T. (title, authors and journal not shown on the record read)") == (
        "T. (titre, auteurs et revue non affichés sur la notice lue)"
    )
    assert french_citation("T. (conference abstract)") == "T. (résumé de congrès)"
    assert untranslated_notes("T. (an abstract of a talk)") == ["an abstract of a talk"]


def test_a_french_title_keeps_its_no_break_spaces(kb: KnowledgeBase) -> None:
    """A French clinician report read 'Tildiem 60 mg, comprimé (chlorhydrate de diltiazem) :
    résumé des caractéristiques du produit' with a plain space before the colon, which a line
    can break at. A space typed before ': ; ? !' becomes the no-break one French reads; an
    English title, typed without it, and the numbers of a reference ('2018;378:1704') stay."""
    tildiem = kb.references["diltiazem_smpc_fr"].text("fr")
    assert "(chlorhydrate de diltiazem)\u00a0: résumé" in tildiem
    assert " : " not in tildiem
    assert french_citation("ANSM. AINS et grossesse : rappel ; point d'information ?") == (
        "ANSM. AINS et grossesse\u00a0: rappel\u202f; point d'information\u202f?"
    )
    english = "Nigwekar SU. Calciphylaxis: a review. N Engl J Med 2018;378:1704-1714."
    assert french_citation(english) == english


def test_a_reader_s_dates_and_chapters_outside_brackets_are_flagged(kb: KnowledgeBase) -> None:
    """'Springer; accepted 10 September 2020' and 'Chapters on cysticercosis (ch. 7) ... consulted
    in the online edition' reached a French report in English: kb check flags such a sentence, and
    the two references carry their French citation."""
    assert untranslated_notes("T. Springer; accepted 10 September 2020.") == [" accepted 10 September 2020"]
    for rid in ("nepal2020", "palmer2001"):
        french = kb.references[rid].text("fr")
        assert "accepted" not in french and "consulted" not in french and "Chapters" not in french
