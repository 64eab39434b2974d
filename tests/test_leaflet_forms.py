"""The leaflet reads what manage reads: the forms in play beside the diagnoses, the leading
diagnosis' own warning signs under the same conditions as the other signs (a code review of
reports/leaflet.py), the diagnoses in play listed once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from calcinosis import KnowledgeBase, diagnose, load_kb, read_case
from calcinosis.engine.diagnose import analyse
from calcinosis.kb.loader import default_kb_path
from calcinosis.management.manage import form_masses, in_play, manage
from calcinosis.reports import leaflet as leaflet_module
from calcinosis.reports.leaflet import build_leaflet

from .conftest import PUBLISHED_CASES


def _case(kb: KnowledgeBase, prefix: str):  # type: ignore[no-untyped-def]
    return read_case(next(PUBLISHED_CASES.glob(f"{prefix}*.yaml")), kb)


def _section(kb: KnowledgeBase, case: Any, section: str, lang: str) -> str:
    sections = build_leaflet(diagnose(case, kb, lang=lang), kb, lang=lang).sections
    return next(s.text for s in sections if s.id == section)


@pytest.mark.parametrize("prefix", ["pub-calci-12-", "pub-calci-11-", "pub-calci-14-", "pub-meta-04-"])
def test_the_leaflet_puts_in_play_the_forms_manage_puts_in_play(kb: KnowledgeBase, prefix: str) -> None:
    """A non-uraemic calciphylaxis at 88 % (its form carrying 99 % of it), and a newborn's fat
    necrosis at 11 %: the leaflet's lines and signs written for a form read the forms in play as
    manage's follow-up does (the leaflet read the diagnoses alone, every form out of play)."""
    case = _case(kb, prefix)
    report = diagnose(case, kb)
    _, _, scores = analyse(case, kb)
    leading = report.differential[0].diagnosis
    managed = in_play(kb, scores.posterior, form_masses(kb, scores.posterior, scores.row_weight), leading)
    read = leaflet_module._playing(report, kb, leaflet_module._posterior(report, kb))
    assert {k for k in managed if "/" in k}, prefix  # a form is in play for manage
    assert read == managed - {""}


def _edited_followup(tmp_path: Path, edit: Callable[[dict[str, Any]], Any]) -> KnowledgeBase:
    """The shipped knowledge with ``followup.yaml`` changed by ``edit``."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "followup.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_kb(root, cache=False)


def _neck_sign(data: dict[str, Any]) -> dict[str, Any]:
    signs = data["by_diagnosis"]["calcific_tendinitis"]["warning_signs"]
    return next(s for s in signs if s["id"] == "tendinitis_neck_emergency")


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda s: s.update(unless=["site:spine"]), False),  # a neck deposit's sign, not for this neck
        (lambda s: (s.pop("when"), s.update(in_play=["calcific_tendinitis"])), True),  # while it is in play
    ],
)
def test_the_leading_diagnosis_signs_honour_unless_and_in_play_as_manage_does(
    tmp_path: Path, edit: Callable[[dict[str, Any]], Any], said: bool
) -> None:
    """The leaflet said a leading diagnosis' sign of one site wherever one of its ``when`` was
    reported, its ``unless`` ignored, and never one written for the diagnoses in play: the
    patient could read a sign the clinician's plan left out, or miss one it lists."""
    kb = _edited_followup(tmp_path, lambda data: edit(_neck_sign(data)))
    neck = _case(kb, "pub-dys-02-")  # a longus colli tendinitis
    assert any("difficulty swallowing" in w for w in manage(neck, kb).followup.warning_signs) is said
    for lang, words in (("en", "harder and harder to swallow"), ("fr", "difficile d'avaler")):
        assert (words in _section(kb, neck, "when_to_consult", lang)) is said


def test_the_diagnoses_in_play_are_listed_once_per_leaflet(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The causes' words of every section and the rare-disease centres read one list of the
    diagnoses in play, not one walk of the differential each (a code review)."""
    calls: list[int] = []
    listing = leaflet_module._likeliest_in_play

    def counted(*args: Any) -> Any:
        calls.append(1)
        return listing(*args)

    monkeypatch.setattr(leaflet_module, "_likeliest_in_play", counted)
    report = diagnose(_case(kb, "pub-meta-02-"), kb)  # the causes' words in several sections
    build_leaflet(report, kb, lang="en")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("prefix", "kidney"),
    [
        ("pub-calci-12-", False),  # non-uraemic, normal kidneys: a skin and wound team
        ("pub-calci-11-", True),  # its form non-uraemic, a kidney disease reported: nephrology too
        ("pub-calci-01-", True),  # on haemodialysis
    ],
)
def test_a_calciphylaxis_leaflet_names_the_team_its_plan_names(kb: KnowledgeBase, prefix: str, kidney: bool) -> None:
    """A woman with a non-uraemic calciphylaxis and normal kidneys read 'kidney doctors' in her
    leaflet's treatment and 'a team of skin and wound specialists' in her plan (a code review):
    the leaflet names the kidney doctors where the follow-up names them, and no dialysis to adjust
    without a kidney disease."""
    case = _case(kb, prefix)
    for lang, team, planned, dialysis in (
        ("en", "kidney doctors", "kidney", "dialysis"),
        ("fr", "néphrologues", "reins", "dialyse"),
    ):
        plan = " ".join(i.patient or "" for i in manage(case, kb, lang=lang).followup.schedule)
        treatment = _section(kb, case, "treatment", lang)
        assert (planned in plan) is kidney and (team in treatment) is kidney, lang
        assert (dialysis in treatment) is kidney, lang


def test_the_calciphylaxis_treatment_texts_read_plainly(kb: KnowledgeBase) -> None:
    from .conftest import assert_plain_leaflet_texts

    variants = [v for v in kb.leaflet_variants.variants if "calciphylaxis" in v.diagnoses]
    assert len([v for v in variants if v.section == "treatment"]) == 2
    assert_plain_leaflet_texts(variants)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_leading_form_is_named_in_the_patient_s_words(kb: KnowledgeBase, lang: str) -> None:
    """The leaflet of a non-uraemic calciphylaxis opened on the form's clinician label, capital
    inside the sentence: 'The most likely cause being considered is: Non-uraemic calciphylaxis (no
    kidney failure).' It names the form by its plain name, which says what it is."""
    report = diagnose(_case(kb, "pub-calci-12-"), kb, lang=lang)
    assert report.differential[0].form is not None and report.differential[0].form.id == "non_uraemic"
    lf = build_leaflet(report, kb, lang=lang)
    plain = kb.leaflet.plain_names["calciphylaxis/non_uraemic"].get(lang)
    assert lf.named == plain and plain in lf.heading
    assert report.differential[0].form.name not in lf.heading and "(" not in lf.heading


def test_a_form_without_a_plain_name_is_refused(tmp_path: Path) -> None:
    from calcinosis.errors import KnowledgeBaseError

    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "leaflet.yaml"
    kept = [
        line for line in path.read_text(encoding="utf-8").splitlines() if "calciphylaxis/non_uraemic: {" not in line
    ]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="calciphylaxis/non_uraemic"):
        load_kb(root, cache=False)
