"""Options that wait, or are avoided, for this patient (a clinical review): a treatment of the
deposit while a sarcoma is to be excluded, a procedure on the skin while a calciphylaxis is not
excluded, and an NSAID where the knowledge says it is avoided for a condition the patient has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.management.manage import manage
from calcinosis.reports.summary import build_summary

from .conftest import PUBLISHED_CASES, TRUNCAL_NECROSIS_NO_KIDNEY_DISEASE
from .test_management_scope import _options

DEPOSIT_DRUGS = ("diltiazem", "sodium_thiosulfate_topical")
"""The drug and the topical a clinical review saw offered for an idiopathic calcinosis at 4 %
beside a synovial sarcoma leading at 27 %."""


def _data(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_a_sarcoma_to_exclude_holds_the_drugs_and_topicals_of_the_deposit(kb: KnowledgeBase) -> None:
    """Diltiazem for months and a daily topical thiosulfate were listed 'now' for a thigh mass
    whose sarcomas reached 55 %, under 'the calcinosis treatments below do not apply'. Every
    treatment aimed at the deposit waits for the sarcoma to be excluded, as the procedures did,
    and none of them is the summary's best; pain relief, and the care of a wound, do not wait."""
    for name, sarcoma_floor in (("pub-tumoral-09-*.yaml", 0.2), ("pub-dys-14-*.yaml", 0.02)):
        case = read_case(next(PUBLISHED_CASES.glob(name)), kb)
        report = diagnose(case, kb)
        synovial = next(d for d in report.differential if d.diagnosis == "synovial_sarcoma")
        assert synovial.probability >= sarcoma_floor
        result = manage(case, kb, report=report)
        options = _options(result)
        for treatment in DEPOSIT_DRUGS:
            option = options[treatment]
            assert option.wait_note.startswith("Not before th"), (name, treatment, option.wait_note)
            assert "Synovial sarcoma (" in option.wait_note and "synovial_sarcoma" in option.wait_for
        # no wound here: the prevention wound care is read for a diagnosis, and waits too (fix-fit);
        # the care of an ulcer the case reports does not (test_management_fit)
        assert options["wound_care"].wait_note.startswith("Not before th")
        steps = build_summary(report, kb, lang="en", management=result).next_steps
        assert not any(kb.treatments[t].names.en in step for step in steps for t in DEPOSIT_DRUGS)


def test_without_a_sarcoma_the_same_drugs_start_now(kb: KnowledgeBase) -> None:
    """The hold is the sarcoma's, not the drug's: a man with kidney disease and skin nodules, no
    sarcoma in his differential, keeps diltiazem and the topical among the options to start."""
    case = read_case(next(PUBLISHED_CASES.glob("pub-meta-01-*.yaml")), kb)
    options = _options(manage(case, kb))
    for treatment in DEPOSIT_DRUGS:
        assert not options[treatment].wait_note and not options[treatment].wait_for


def test_a_calciphylaxis_not_excluded_holds_the_procedures_on_the_skin(kb: KnowledgeBase) -> None:
    """A cachectic man with kidney disease, calciphylaxis 'not excluded' among the must-not-miss
    diagnoses, was offered a triamcinolone injection and a CO2 laser on his skin; trauma to that
    skin starts new necrosis, as a biopsy can (Nigwekar 2018). The procedures wait ('Not now')
    until it is excluded, its reason said; a debridement of a necrosis the case reports does not."""
    data = {  # a young man with kidney disease, Raynaud and painful nodules of the hand and thigh (written)
        "patient": {"age": 30, "sex": "male"},
        "history": ["chronic_kidney_disease"],
        "findings": ["pain", "palpable_nodules", "raynaud_phenomenon"],
        "sites": ["thigh", "hand"],
    }
    case = parse_case(data, kb)
    report = diagnose(case, kb)
    calci = next(d for d in report.differential if d.diagnosis == "calciphylaxis")
    assert kb.must_not_miss_threshold <= calci.probability < kb.management.min_probability
    options = _options(manage(case, kb, report=report))
    on_the_skin = [t for t in ("intralesional_corticosteroids", "co2_laser", "surgical_excision") if t in options]
    assert len(on_the_skin) >= 2
    for treatment in on_the_skin:
        note = options[treatment].wait_note
        assert note.startswith("Not before Calciphylaxis") and "is excluded" in note, (treatment, note)
        assert options[treatment].cautions[0] == note
    french = _options(manage(case, kb, lang="fr"))
    assert french[on_the_skin[0]].wait_note.startswith("Pas avant d'avoir écarté ce diagnostic\u00a0: Calciphylaxie")
    # a variant: the same man with a necrosis to debride; the excision (a debridement) goes ahead
    necrotic = parse_case({**data, "findings": [*data["findings"], "skin_necrosis"]}, kb)
    excision = _options(manage(necrotic, kb))["surgical_excision"]
    assert "Calciphylaxis" in excision.cautions[0] and not excision.wait_note.startswith("Not before Calciphylaxis")


def test_nsaids_are_avoided_for_a_condition_the_knowledge_avoids_them_in(kb: KnowledgeBase) -> None:
    """A woman with cirrhosis read NSAIDs as an option with 'NSAIDs are avoided in cirrhosis'
    under it. They go under 'Fits, but to avoid here' with that reason (EASL 2018), as they do on
    dialysis, and analgesia names them as the part to avoid; the same woman without the liver
    disease keeps them."""
    shoulder = {  # a painful calcific tendinitis of the shoulder, NSAIDs its first line, in a cirrhosis
        "patient": {"age": 45, "sex": "female"},
        "history": ["liver_disease"],
        "findings": ["pain"],
        "sites": ["shoulder"],
        "imaging": [
            {"modality": "radiograph", "sites": ["shoulder"], "tissues": ["tendon"], "patterns": ["tendon_deposit"]}
        ],
    }
    result = manage(parse_case(shoulder, kb), kb)
    avoided = {o.treatment: o for o in result.avoid}
    assert "nsaids" in avoided and "nsaids" not in _options(result)
    assert avoided["nsaids"].cautions[0].startswith("Liver disease: NSAIDs are avoided in cirrhosis")
    assert _options(result)["analgesia"].cautions[0].startswith("Avoid NSAIDs here. Liver disease")
    healthy = {**shoulder, "history": []}
    assert "nsaids" in _options(manage(parse_case(healthy, kb), kb))
    # the other conditions the NSAIDs' cautions say they are avoided in go the same way
    for history in (["dialysis"], ["heart_failure"], ["acute_kidney_injury"]):
        variant = {**healthy, "history": [*healthy["history"], *history]}
        assert "nsaids" in {o.treatment for o in manage(parse_case(variant, kb), kb).avoid}, history


def _header(path: Path, kb: KnowledgeBase, lang: str) -> str:
    """The first line of ``calcinosis manage`` under the case's rule, unwrapped."""
    from io import StringIO

    from rich.console import Console

    from calcinosis.cli.render_management import render_management

    out = StringIO()
    result = manage(read_case(path, kb), kb, lang=lang)
    render_management(result, kb, source=path.name, console=Console(file=out, width=400), lang=lang)
    return out.getvalue().splitlines()[1]


def test_the_header_says_the_leading_diagnosis_category_beside_the_differential_one(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """'Metastatic calcification of chronic kidney disease (32%) · Dystrophic' read as a
    contradiction (a clinical review): the category shown was the whole differential's, the
    diagnosis of another. When they differ both are said, each with its own probability; when
    they agree the header is as it was."""
    # pub-meta2-02 was the published example until its near tie (primary hyperparathyroidism
    # 0.186, CPPD 0.185) turned when an adult disease's age bands lost the presentation floor
    necrosis = tmp_path / "necrosis.yaml"  # calciphylaxis leads a differential whose category is dystrophic
    necrosis.write_text(yaml.safe_dump(TRUNCAL_NECROSIS_NO_KIDNEY_DISEASE), encoding="utf-8")
    for path in (necrosis, next(PUBLISHED_CASES.glob("pub-calci-14-*.yaml"))):
        report = diagnose(read_case(path, kb), kb)
        own = kb.disease(report.differential[0].diagnosis).category
        assert own != report.category
        english = _header(path, kb, "en")
        assert english.startswith("Leading diagnosis: ") and f"its category: {own_name(kb, own, 'en')})" in english
        assert f"Category of the whole differential: {own_name(kb, report.category, 'en')} (" in english
        french = _header(path, kb, "fr")
        assert french.startswith("Diagnostic en tête\u00a0: ") and "Catégorie de l'ensemble du diagnostic" in french
        assert f"sa catégorie\u00a0: {own_name(kb, own, 'fr')})" in french
    agreeing = next(PUBLISHED_CASES.glob("pub-meta-01-*.yaml"))
    assert _header(agreeing, kb, "en").endswith(" · Metastatic")


def own_name(kb: KnowledgeBase, category: str, lang: str) -> str:
    """A category's name inside a sentence."""
    from calcinosis.i18n import lower_first

    c = kb.categories[category]
    return lower_first(c.fr if lang == "fr" else c.en)


def test_a_category_less_its_own_care_diagnoses_is_said_in_plain_words(kb: KnowledgeBase) -> None:
    """'indication : Dystrophique, hors diagnostics pris en charge comme leur propre maladie' read
    as opaque (a French review): the share of a category that leaves out the causes with a
    treatment of their own (a sarcoma, a parasite) is said as such, in French and in English."""
    for name in ("pub-meta-01-*.yaml", "pub-ctd-10-*.yaml"):
        case = read_case(next(PUBLISHED_CASES.glob(name)), kb)
        said = {
            lang: [w for o in _options(manage(case, kb, lang=lang)).values() for w in o.why] for lang in ("en", "fr")
        }
        assert any("Catégorie dystrophique, hors causes relevant d'un traitement propre (" in w for w in said["fr"])
        assert not any("pris en charge comme leur propre maladie" in w for w in said["fr"])
        assert any(
            "Dystrophic category, apart from the causes that have a treatment of their own (" in w for w in said["en"]
        )
