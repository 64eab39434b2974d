"""The knowledge base: census, sources, bilingual text, seed-fact coverage, loader errors."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from calcinosis import KnowledgeBase, KnowledgeBaseError, load_kb
from calcinosis.i18n import messages
from calcinosis.issues import IssueLevel
from calcinosis.kb.check import (
    check_kb,
    duplicate_references,
    measured_sources_scored,
    seed_fact_coverage,
    unidentified_references,
)
from calcinosis.kb.loader import default_kb_path
from calcinosis.kb.schema import CATEGORIES
from calcinosis.kb.views import diagnosis_detail

from .conftest import edited_disease


def test_census(kb: KnowledgeBase) -> None:
    """Counts of the shipped knowledge (update with the changelog when the KB changes).

    54 diagnoses = every diagnosis of case-format.md; 279 features = 9 vocabulary namespaces
    (224 terms: exposure vitamin_d_supplement added) + 55 derived (5 imaging, 13 patient including the 8 exclusive age bands,
    4 course, 33 lab states).
    """
    assert len(kb.diseases) == 54
    assert len(kb.features) == 279
    assert {d.category for d in kb.diseases} == set(CATEGORIES)
    assert sum(len(d.findings) for d in kb.diseases) > 1000
    assert len(kb.references) > 200
    # the 33 of the issue #3 checklist + 11 of the cause and care + NSAIDs and subacromial injection
    # + the hypercalcaemia of subcutaneous fat necrosis of the newborn (0.7.11)
    # + urate-lowering therapy, the treatment of tophaceous gout (0.7.20)
    # + a palliative and supportive care team for a calciphylaxis held (0.7.24)
    # + stopping the calcium infusion, apart from the calcium heparin's switch (0.7.25)
    # + venesection, the iron removal of a haemochromatosis arthropathy (a clinical review)
    # + urgent dialysis against a low-calcium dialysate, the acute hypercalcaemia of a dialysis patient
    assert len(kb.treatments) == 52


def test_every_diagnosis_of_the_case_format_is_present(kb: KnowledgeBase, shared: Path) -> None:
    """The diagnosis list of case-format.md is exactly the knowledge base's."""
    text = (shared / "case-format.md").read_text()
    section = text.split("**diagnosis**:")[1].split("## Result")[0]
    import re

    named = {
        w
        for w in re.findall(
            r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b(?:gout|cppd|cysticercosis|loiasis|dracunculiasis|onchocerciasis|porocephalosis|sarcocystosis|leprosy|tuberculosis|pilomatricoma|phleboliths|sarcoidosis|calciphylaxis|dermatomyositis|polymyositis)\b",
            section,
        )
    }
    assert named <= set(kb.disease_ids), named - set(kb.disease_ids)


def test_every_text_is_bilingual(kb: KnowledgeBase) -> None:
    """Names, definitions, vocabulary labels, features and messages exist in English and French."""
    for d in kb.diseases:
        assert d.names.en and d.names.fr and d.definition.en and d.definition.fr
        for step in d.workup:
            # a step says its own text, or parts each said when they hold (schema.WorkupPart)
            assert bool(step.en) == bool(step.fr) and (step.en or step.parts)
            assert all(part.en and part.fr for part in step.parts)
    for terms in kb.vocabulary.lists.values():
        for term in terms.values():
            assert term.en and term.fr
    for f in kb.features.values():
        assert f.en and f.fr and f.question_en and f.question_fr
    for key, text in messages().items():
        assert set(text) == {"en", "fr"}, key


def test_every_number_is_sourced_or_an_estimate(kb: KnowledgeBase) -> None:
    """Each frequency has references or an estimate with reasoning, and every reference resolves."""
    for d in kb.diseases:
        assert d.references
        for fid, f in d.findings.items():
            assert f.references or (f.estimate and len(f.estimate) >= 10), (d.id, fid)
            assert all(r in kb.references for r in f.references)


def test_every_prior_records_its_basis(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Each diagnosis' prior carries its basis and reasoning (priors.yaml), the knowledge view
    shows them, and a prior given as a bare number is refused with its location."""
    for d in kb.diseases:
        assert d.prior_spec is not None, d.id
        assert d.prior_spec.basis in ("reported", "derived", "judgement")
        assert len(d.prior_spec.reasoning) >= 20
        assert set(d.prior_spec.references) <= set(kb.references)
    view = diagnosis_detail(kb, "systemic_sclerosis", "en")
    assert view.prior_basis == kb.disease("systemic_sclerosis").prior_spec.basis  # type: ignore[union-attr]
    assert view.prior_reasoning
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "priors.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["priors"]["gout"] = 0.03
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "priors.yaml" in str(err.value) and "gout" in str(err.value)


def test_kb_check_has_no_errors(kb: KnowledgeBase, shared: Path) -> None:
    """Lint: no unused vocabulary, no unplaced seed fact."""
    issues = check_kb(kb, seed_facts=shared / "seed-facts.yaml")
    errors = [i.render() for i in issues if i.level is IssueLevel.ERROR]
    assert errors == []


def test_every_seed_fact_is_held(kb: KnowledgeBase, shared: Path) -> None:
    """Each of the 547 seed facts is held by a diagnosis, a category, or seed_facts.yaml with a reason."""
    cover = seed_fact_coverage(kb, shared / "seed-facts.yaml")
    assert len(cover) == 547
    assert [fid for fid, where in cover.items() if not where] == []


def test_loader_reports_every_problem(tmp_path: Path) -> None:
    """A broken copy of the KB fails with all its problems, each located."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    (root / "units.yaml").unlink()
    (root / "workup.yaml").unlink()
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb(root)
    assert {i.location for i in info.value.issues} == {"units.yaml", "workup.yaml"}

    shutil.rmtree(root)
    shutil.copytree(default_kb_path(), root)
    path = root / "diseases" / "gout.yaml"
    data = yaml.safe_load(path.read_text())
    data["findings"][0]["feature"] = "finding:visible_tophy"
    data["findings"][1]["frequency"] = 1.5
    data["colour"] = "blue"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb(root)
    text = str(info.value)
    assert "colour" in text and "gout.yaml" in text

    data.pop("colour")
    data["findings"][1]["frequency"] = 0.5
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(KnowledgeBaseError, match="visible_tophi"):
        load_kb(root)


def test_management_texts_are_translated(kb: KnowledgeBase) -> None:
    """Treatments, principles, follow-up, staging and leaflet exist in both languages, and the French is
    not a copy of the English (a missing translation fails here)."""
    pairs: list[tuple[str, str, str]] = []
    for t in kb.treatments.values():
        pairs += [(t.id, t.summary.en, t.summary.fr), (t.id, t.dose.en, t.dose.fr)]
        pairs += [(t.id, c.en, c.fr) for c in t.cautions]
        pairs += [(t.id, e.outcome.en, e.outcome.fr) for e in t.evidence]
    pairs += [(s.id, s.en, s.fr) for s in kb.management.statements]
    pairs += [(i.id, i.en, i.fr) for i in [*kb.followup.schedule, *kb.followup.warning_signs]]
    pairs += [(s.id, s.en, s.fr) for s in kb.leaflet.sections]
    pairs += [(f"porter{s.stage}", s.en, s.fr) for s in kb.staging.porter.stages]
    untranslated = [(where, en) for where, en, fr in pairs if len(en) > 40 and en == fr]
    assert untranslated == []
    assert all(fr for _, _, fr in pairs if _)


def test_compiled_cache_follows_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled-KB cache is keyed on the knowledge files: an edited file is validated again."""
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    first = load_kb(root)
    assert len(list((tmp_path / "cache").glob("kb-*.json"))) == 1
    assert load_kb(root).version == first.version
    manifest = root / "MANIFEST.yaml"
    manifest.write_text(manifest.read_text().replace(f'kb_version: "{first.version}"', 'kb_version: "9999.01"'))
    assert load_kb(root).version == "9999.01"
    assert len(list((tmp_path / "cache").glob("kb-*.json"))) == 2


def test_a_state_reported_two_ways_has_one_frequency(kb: KnowledgeBase) -> None:
    """A known condition and its lab (a CKD history, an eGFR below 60) are one state: a diagnosis
    stating one takes its frequency for the other (features.yaml same_state), and says so; one
    stating both keeps both; the reasons then move a diagnosis the same whichever way a case
    reports it."""
    from calcinosis import diagnose, parse_case

    gout, ckd, egfr = (
        kb.disease_pos("gout"),
        kb.feature_pos("condition:chronic_kidney_disease"),
        kb.feature_pos("lab:egfr_below_60"),
    )
    assert "condition:chronic_kidney_disease" not in kb.disease("gout").findings
    assert (
        kb.frequency[gout, ckd]
        == kb.frequency[gout, egfr]
        == kb.disease("gout").findings["lab:egfr_below_60"].frequency
    )
    assert "same state as lab:egfr_below_60" in (kb.source(gout, ckd).estimate or "")
    both = next(d for d in kb.diseases if {"condition:chronic_kidney_disease", "lab:egfr_below_60"} <= set(d.findings))
    i = kb.disease_pos(both.id)
    assert kb.frequency[i, ckd] == both.findings["condition:chronic_kidney_disease"].frequency
    assert kb.frequency[i, egfr] == both.findings["lab:egfr_below_60"].frequency
    base = {"patient": {"age": 70, "sex": "male"}, "findings": ["palpable_nodules"], "sites": ["foot"]}
    history = diagnose(parse_case({**base, "history": ["chronic_kidney_disease"]}, kb), kb)
    lab = diagnose(parse_case({**base, "labs": [{"test": "egfr", "value": 40, "unit": "mL/min/1.73m2"}]}, kb), kb)

    def gout_lr(report):  # type: ignore[no-untyped-def]
        d = next(d for d in report.differential if d.diagnosis == "gout")
        return next(
            c.likelihood_ratio
            for c in d.evidence
            if c.feature in ("condition:chronic_kidney_disease", "lab:egfr_below_60")
        )

    assert gout_lr(history) == pytest.approx(0.3 / kb.baseline[ckd], rel=1e-3)
    assert gout_lr(lab) == pytest.approx(0.3 / kb.baseline[egfr], rel=1e-3)


def test_same_state_names_known_features(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "features.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "condition:hypercalcemia_known: lab:calcium_high", "condition:hypercalcemia_known: lab:calcium_hihg"
        ),
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "features.yaml:same_state" in str(err.value) and "lab:calcium_high" in str(err.value)


def test_a_feature_implied_is_at_least_as_frequent_as_what_implies_it(kb: KnowledgeBase) -> None:
    """Every painless swelling is a swelling: pilomatricoma states painless swellings in 0.8 of
    its patients and nothing of swellings, so it takes 0.8 for them and says why; a case
    reporting "a swelling" then counts for it (it counted as nothing), and a case reporting a
    painless swelling is not counted twice (the swelling is implied: read, not scored)."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse

    pilo, swelling = kb.disease_pos("pilomatricoma"), kb.feature_pos("finding:swelling")
    stated = kb.disease("pilomatricoma").findings
    assert "finding:swelling" not in stated
    assert kb.frequency[pilo, swelling] == stated["finding:painless_swelling"].frequency
    assert "which implies it" in (kb.source(pilo, swelling).estimate or "")
    for a, implied in kb.implies.items():  # the knowledge as a whole keeps the order
        for b in implied:
            assert (kb.frequency[:, kb.feature_pos(b)] >= kb.frequency[:, kb.feature_pos(a)]).all(), (a, b)
    base = {"patient": {"age": 8, "sex": "female"}, "sites": ["face"]}
    _, _, said = analyse(parse_case({**base, "findings": ["swelling"]}, kb), kb)
    k = said.feature_pos.tolist().index(swelling)
    assert said.contribution[pilo, k] == pytest.approx(math.log(0.8 / kb.baseline[swelling]))
    _, ev, painless = analyse(parse_case({**base, "findings": ["painless_swelling"]}, kb), kb)
    assert ev.observations["finding:swelling"].implied
    assert swelling not in painless.feature_pos.tolist()


def test_an_exclusive_set_adds_up_to_one_and_a_reported_extent_counts_once(kb: KnowledgeBase) -> None:
    """One and only one extent describes a case: pilomatricoma states a single nodule in 0.93
    of its patients and nothing of the other extents, which share the 0.07 left in proportion
    to their baselines (they kept their baselines, 0.65 in all); every row adds up to 1 but for
    the frequency floor. A case reporting a widespread extent is scored on that alone: "not a
    single deposit" is read, not counted again."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse

    members = [
        "distribution:single",
        "distribution:multiple_localized",
        "distribution:regional",
        "distribution:widespread",
    ]
    cols = [kb.feature_pos(f) for f in members]
    assert set(members) <= kb.exclusive
    pilo = kb.disease_pos("pilomatricoma")
    stated = kb.disease("pilomatricoma").findings
    assert [f for f in members if f in stated] == ["distribution:single"]
    left = 1 - stated["distribution:single"].frequency
    others = cols[1:]
    share = kb.baseline[others] / kb.baseline[others].sum()
    floor = kb.constants.presentation_floor.value  # a presentation's floor: atypical cases are published
    assert kb.frequency[pilo, others] == pytest.approx(np.maximum(left * share, floor))
    assert "features.yaml exclusive" in (kb.source(pilo, others[0]).estimate or "")
    sums = kb.frequency[:, cols].sum(axis=1)
    assert (sums >= 1 - 1e-9).all() and (sums <= 1 + len(cols) * floor + 0.02).all()

    base = {"patient": {"age": 40, "sex": "female"}, "sites": ["thigh"]}
    study = {"modality": "ct", "distribution": "widespread"}
    _, ev, scores = analyse(parse_case({**base, "imaging": [study]}, kb), kb)
    assert not ev.observations["distribution:single"].present and ev.observations["distribution:single"].implied
    scored = [kb.feature_ids[j] for j in scores.feature_pos.tolist()]
    assert "distribution:widespread" in scored and "distribution:single" not in scored
    _, _, silent = analyse(parse_case({**base, "imaging": [{"modality": "ct"}]}, kb), kb)
    wide = kb.feature_pos("distribution:widespread")
    expected = np.log(kb.frequency[:, wide] / kb.baseline[wide])[: len(kb.diseases)]
    k = scores.feature_pos.tolist().index(wide)
    assert scores.contribution[: len(kb.diseases), k] == pytest.approx(expected)
    assert silent.log_score.shape == scores.log_score.shape


def test_a_duration_is_one_of_three_spans_scored_once(kb: KnowledgeBase) -> None:
    """Under 3 months, 3 to 12, 12 or more: the files state the two ends and the middle is
    what they leave; a case's duration is scored on its own span alone."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse

    spans = ["course:recent_onset", "course:intermediate_duration", "course:long_standing"]
    cols = [kb.feature_pos(f) for f in spans]
    assert set(spans) <= kb.exclusive
    floor = kb.constants.presentation_floor.value
    ends = kb.frequency[:, [cols[0], cols[2]]].sum(axis=1)
    assert kb.frequency[:, cols[1]] == pytest.approx(np.maximum(1 - ends, floor))
    base = {"patient": {"age": 40, "sex": "female"}, "sites": ["thigh"]}
    for months, held in ((1, 0), (6, 1), (30, 2)):
        _, ev, scores = analyse(parse_case({**base, "duration_months": months}, kb), kb)
        scored = scores.feature_pos.tolist()
        assert [cols[i] in scored for i in range(3)] == [i == held for i in range(3)], months
        assert [ev.observations[f].present for f in spans] == [i == held for i in range(3)]
        k = scored.index(cols[held])
        # each diagnosis' contributions are those of the row it is shown by (itself, or its form)
        expected = np.log(kb.frequency[scores.row, cols[held]] / kb.baseline[cols[held]])
        assert scores.contribution[: len(kb.diseases), k] == pytest.approx(expected)


def test_a_mostly_single_lesion_is_not_placed_in_every_region(kb: KnowledgeBase) -> None:
    """A diagnosis whose lesion is single in 0.7 or more of patients puts it in one region of
    the body; its regions' frequencies add up to about one, plus what the multiple lesions
    add, plus the baselines of the trunk regions a file leaves silent (about 0.3). The
    subepidermal calcified nodule, a head-and-neck papule (0.75) single in 0.8, was silent on
    the limbs, which took the calcinosis baselines (upper limb 0.35, lower limb 0.45: those of
    the connective-tissue and venous calcinoses): 1.82 in all, a limb lesion counting as
    much for it as for any cause."""
    regions = [f"site:{s}" for s in kb.vocabulary.lists["sites"] if not kb.vocabulary.site_ancestors(s)]
    regions.remove("site:generalized")
    single = kb.feature_pos("distribution:single")
    for did in kb.disease_ids:
        i = kb.disease_pos(did)
        alone = float(kb.frequency[i, single])
        if alone < 0.7:
            continue
        placed = sum(float(kb.frequency[i, kb.feature_pos(r)]) for r in regions)
        assert placed <= 1 + (1 - alone) + 0.35, (did, round(placed, 2))


def test_a_mostly_single_lesion_states_the_region_its_own_sites_fill(kb: KnowledgeBase) -> None:
    """A diagnosis whose lesion is single in 0.7 or more of patients, and whose stated sites
    within one region place more of its lesions there than the region is given (the largest of
    its sites, or the region's baseline when higher), states the region. Heterotopic ossification stated the hip (0.3), thigh (0.35) and knee (0.08) and
    left the lower limb silent: it took the calcinosis baseline 0.45, below the 0.53 its own
    sites put there (0.72 single x 0.73), while the literature puts most of it on the lower
    limb (Genêt 2011: hip and knee 405 of 539 neurogenic operations)."""
    sites = kb.vocabulary.lists["sites"]
    regions = [s for s in sites if not kb.vocabulary.site_ancestors(s)]
    single = kb.feature_pos("distribution:single")
    for d in kb.diseases:
        i = kb.disease_pos(d.id)
        alone = float(kb.frequency[i, single])
        if alone < 0.7:
            continue
        for region in regions:
            if f"site:{region}" in d.findings:
                continue
            within = sum(
                d.findings[f"site:{s}"].frequency
                for s in sites
                if region in kb.vocabulary.site_ancestors(s) and f"site:{s}" in d.findings
            )
            placed = float(kb.frequency[i, kb.feature_pos(f"site:{region}")])
            assert placed >= min(alone * within, 0.9), (d.id, region, round(alone * within, 2), placed)


def test_a_site_is_at_least_as_frequent_as_the_sites_within_it(kb: KnowledgeBase) -> None:
    """A scrotal lesion is one of the pelvis: idiopathic scrotal calcinosis states the scrotum
    in 0.97 of its patients and nothing of the pelvis, which takes 0.97 (it counted a pelvic
    report as nothing); calcific myonecrosis states the upper limb in 0.04 and nothing of the
    hand, which can no longer be commoner (its baseline was 0.2); pilomatricoma states the
    lower limb and not the thigh, which takes its share of it. A case's reported site is
    scored once: its ancestors are read, not counted again."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse

    scrotal, pelvis = kb.disease_pos("idiopathic_scrotal_calcinosis"), kb.feature_pos("site:pelvis")
    assert "site:pelvis" not in kb.disease("idiopathic_scrotal_calcinosis").findings
    assert (
        kb.frequency[scrotal, pelvis] == kb.disease("idiopathic_scrotal_calcinosis").findings["site:scrotum"].frequency
    )
    assert "vocabulary.yaml sites" in (kb.source(scrotal, pelvis).estimate or "")
    myo = kb.disease_pos("calcific_myonecrosis")
    assert kb.frequency[myo, kb.feature_pos("site:hand")] <= kb.frequency[myo, kb.feature_pos("site:upper_limb")]
    # a site the file leaves out takes its share of the region the file states
    pilo = kb.disease_pos("pilomatricoma")
    stated = kb.disease("pilomatricoma").findings
    assert "site:thigh" not in stated and "site:lower_limb" in stated
    thigh, limb = kb.feature_pos("site:thigh"), kb.feature_pos("site:lower_limb")
    share = kb.baseline[thigh] / kb.baseline[limb]
    floor = kb.constants.presentation_floor.value
    assert kb.frequency[pilo, thigh] == pytest.approx(max(floor, stated["site:lower_limb"].frequency * share))
    assert "its share of site:lower_limb" in (kb.source(pilo, thigh).estimate or "")
    vocab = kb.vocabulary
    for site in vocab.lists["sites"]:
        for above in vocab.site_ancestors(site):
            below, up = kb.feature_pos(f"site:{site}"), kb.feature_pos(f"site:{above}")
            assert (kb.frequency[:, below] <= kb.frequency[:, up] + 1e-12).all(), (site, above)
    _, ev, scores = analyse(parse_case({"patient": {"age": 40, "sex": "male"}, "sites": ["scrotum"]}, kb), kb)
    assert ev.observations["site:pelvis"].implied
    assert pelvis not in scores.feature_pos.tolist()


def test_a_low_reading_weighs_against_a_raised_state_as_a_normal_one(kb: KnowledgeBase) -> None:
    """A reading is low, normal or high; a low one is read as the low state alone (the raised
    state not scored absent as well). Primary hyperparathyroidism states a raised calcium and
    nothing of a low one: the low state takes its share of what the raised one leaves, with a
    normal reading, in proportion to their baselines (features.yaml opposite_states), so a
    hypocalcaemia weighs against it as a normal calcium does (it weighed nothing, LR 1, while a
    normal calcium weighed 0.14). The pairs are those the case reader reads as one test."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse
    from calcinosis.engine.evidence import LAB_FEATURES, PAIRED_TESTS

    paired = {
        tuple(sorted(f for f, (tests, _) in LAB_FEATURES.items() if tests == key))
        for key, states in PAIRED_TESTS.items()
        if states == {"high", "low"}
    }
    assert {tuple(sorted(pair)) for pair in kb.opposite_states.items()} == paired

    phpt, high, low = kb.disease_pos("primary_hyperparathyroidism"), "lab:calcium_high", "lab:calcium_low"
    stated = kb.disease("primary_hyperparathyroidism").findings
    assert high in stated and low not in stated
    h, b_high, b_low = stated[high].frequency, kb.baseline[kb.feature_pos(high)], kb.baseline[kb.feature_pos(low)]
    assert kb.frequency[phpt, kb.feature_pos(low)] == pytest.approx((1 - h) * b_low / (1 - b_high))
    assert "features.yaml opposite_states" in (kb.source(phpt, kb.feature_pos(low)).estimate or "")

    patient = {"patient": {"age": 60, "sex": "female"}}
    _, _, alone = analyse(parse_case(patient, kb), kb)

    def lr(d: int, test: str, interpretation: str) -> float:
        case = {**patient, "labs": [{"test": test, "interpretation": interpretation}]}
        _, _, scores = analyse(parse_case(case, kb), kb)
        return math.exp(float(scores.weighted[d].sum() - alone.weighted[d].sum()))

    assert lr(phpt, "calcium", "low") == pytest.approx(lr(phpt, "calcium", "normal"))
    assert lr(phpt, "calcium", "low") < 0.2
    # a normal reading is one observation: its two absences multiply to P(normal | d) / P(normal
    # | other causes), not to one absence counted twice (hypervitaminosis D's 25(OH)D gained 1.44
    # from "not low" beside the 0.17 of "not raised"); a low reading is the low state alone
    for did, test in (("hypervitaminosis_d", "vitamin_d_25oh"), ("primary_hyperparathyroidism", "pth")):
        d = kb.disease_pos(did)
        hi, lo = (kb.feature_pos(f"lab:{test}_{state}") for state in ("high", "low"))
        f, b = kb.frequency[d], kb.baseline
        assert lr(d, test, "normal") == pytest.approx((1 - f[hi] - f[lo]) / (1 - b[hi] - b[lo]))
        assert lr(d, test, "low") == pytest.approx(f[lo] / b[lo])


@pytest.mark.parametrize(
    ("feature", "frequency", "said"),
    [  # below what implies it (every painless swelling is a swelling); an exclusive set above 1
        ("finding:swelling", 0.3, ["finding:painless_swelling", "at least 0.8"]),
        ("distribution:widespread", 0.2, ["features.yaml exclusive", "add up to 1.13", "expected at most 1"]),
        # a raised and a low PTH in more than all of its patients (a reading is low, normal or high)
        ("lab:pth_low", 0.99, ["lab:pth_high", "add up to more than 1", "features.yaml opposite_states"]),
    ],
)
def test_a_stated_frequency_out_of_its_relations_is_refused(
    tmp_path: Path, feature: str, frequency: float, said: list[str]
) -> None:
    def add(data: dict[str, Any]) -> None:
        data["findings"].append({"feature": feature, "frequency": frequency, "basis": "judgement", "estimate": "test"})

    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(edited_disease(tmp_path, "pilomatricoma", add), cache=False)
    text = str(err.value)
    assert "diseases/pilomatricoma.yaml:findings" in text and feature in text
    assert all(part in text for part in said), text


def test_kb_check_finds_one_work_cited_under_two_ids(tmp_path: Path, shared: Path) -> None:
    """Two references with the same PMID or DOI are one work cited twice: kb check names both
    ids and what they share, once per pair, the DOI compared without its case, a doi.org prefix
    or spaces; the shipped bibliography has none."""
    kb = load_kb()
    assert duplicate_references(kb) == {}
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "references" / "core.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    refs = kb.references.values()
    pmid_only = next(r for r in refs if r.pmid and not r.doi)
    doi_only = next(r for r in refs if r.doi and not r.pmid)
    by_pmid = {"id": pmid_only.id, "kind": pmid_only.kind, "pmid": pmid_only.pmid}
    by_doi = {"id": doi_only.id, "kind": doi_only.kind, "doi": doi_only.doi}
    entries.append(
        {"id": "same_pmid_again", "kind": by_pmid["kind"], "citation": "The same paper.", "pmid": str(by_pmid["pmid"])}
    )
    entries.append(
        {
            "id": "same_doi_again",
            "kind": by_doi["kind"],
            "citation": "The same paper, its DOI written otherwise.",
            "doi": f"  https://doi.org/{str(by_doi['doi']).upper()} ",
        }
    )
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    issues = check_kb(load_kb(root, cache=False), seed_facts=shared / "seed-facts.yaml")
    found = sorted((i for i in issues if i.code == "kb.duplicate_reference"), key=lambda i: i.message)
    assert len(found) == 2 and all(i.level is IssueLevel.ERROR for i in found)
    messages = " | ".join(i.message for i in found)
    assert f"{by_pmid['id']} and same_pmid_again are one work (PMID {by_pmid['pmid']})" in messages
    assert f"{by_doi['id']} and same_doi_again are one work (DOI {by_doi['doi']})" in messages


def test_kb_check_finds_one_work_cited_under_two_ids_by_its_address(tmp_path: Path) -> None:
    """An address is an identifier too: the same page written with another scheme, a 'www.' or
    a final '/', a doi.org address of a DOI another reference gives, a PubMed address of its
    PMID. A mirror's page that only contains the PubMed number is an address of its own
    (2026.12.78: five pairs found this way in the shipped bibliography, merged)."""
    kb = load_kb()
    refs = list(kb.references.values())
    url_only = next(r for r in refs if r.url and r.url.startswith("https://") and not r.doi and not r.pmid)
    doi_only = next(r for r in refs if r.doi and not r.pmid and not r.url)
    pmid_only = next(r for r in refs if r.pmid and not r.doi and not r.url)
    assert url_only.url is not None and doi_only.doi is not None and pmid_only.pmid is not None
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "references" / "core.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    host_and_path = url_only.url.removeprefix("https://")
    bare_doi = str(doi_only.doi).removeprefix("https://doi.org/")
    entries += [
        {"id": "same_page", "kind": "cohort", "citation": "Again.", "url": f"http://www.{host_and_path}/"},
        {"id": "doi_address", "kind": "cohort", "citation": "Again.", "url": f"https://dx.doi.org/{bare_doi}"},
        {
            "id": "pubmed_address",
            "kind": "cohort",
            "citation": "Again.",
            "url": f"https://pubmed.ncbi.nlm.nih.gov/{pmid_only.pmid}/?dopt=Abstract",
        },
        {
            "id": "mirror_page",
            "kind": "cohort",
            "citation": "Another.",
            "url": f"https://www.readbyqxmd.com/read/{pmid_only.pmid}/a-title",
        },
    ]
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    pairs = {frozenset(ids) for ids in duplicate_references(load_kb(root, cache=False))}
    assert pairs == {
        frozenset({url_only.id, "same_page"}),
        frozenset({doi_only.id, "doi_address"}),
        frozenset({pmid_only.id, "pubmed_address"}),
    }


def test_a_pair_sharing_doi_and_pmid_is_one_issue(tmp_path: Path) -> None:
    """The likeliest duplicate shares both identifiers: one group, both listed."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "references" / "core.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries.append({"id": "twin_a", "kind": "cohort", "citation": "One paper.", "doi": "10.9999/TWIN", "pmid": "0123"})
    entries.append(
        {"id": "twin_b", "kind": "cohort", "citation": "One paper.", "doi": "doi:10.9999/twin", "pmid": "123"}
    )
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert duplicate_references(load_kb(root, cache=False)) == {("twin_a", "twin_b"): ["DOI 10.9999/TWIN", "PMID 0123"]}


def test_unidentified_references_counts_those_a_reader_cannot_look_up(tmp_path: Path) -> None:
    """A reference without DOI, PMID or URL (blank values are none) is counted; a seed
    document is not, and a URL alone is enough."""
    before = set(unidentified_references(load_kb()))
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "references" / "core.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    stripped = next(e for e in entries if e.get("kind") != "seed" and e.get("doi"))
    for key in ("doi", "pmid", "url"):
        stripped.pop(key, None)
    entries.append({"id": "blank_doi", "kind": "cohort", "citation": "A paper.", "doi": "   "})
    entries.append({"id": "url_only", "kind": "cohort", "citation": "A paper.", "url": "https://example.org/a"})
    entries.append({"id": "seed_like", "kind": "seed", "citation": "A seed document."})
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    after = set(unidentified_references(load_kb(root, cache=False)))
    assert after - before == {stripped["id"], "blank_doi"}


def test_a_key_written_twice_in_a_knowledge_file_is_refused_with_its_lines(tmp_path: Path) -> None:
    """YAML keeps the last of two equal keys silently: a second follow-up written for five
    parasites replaced the first without a word. The loader refuses it, naming the key and both
    lines."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "followup.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\nwarning_signs:\n", "\nreferences: [seed000]\nwarning_signs:\n", 1), encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb(root)
    said = str(info.value)
    assert "followup.yaml" in said and "duplicate key 'references'" in said and "first on line" in said


def test_the_presentation_floor_never_makes_a_rare_site_evidence_for_a_silent_file(kb: KnowledgeBase) -> None:
    """A site rarer than the presentation floor among all causes (the penis: baseline 0.003) was
    raised to the floor (0.02) in every diagnosis silent on it: a likelihood ratio of 6.7 for
    each, shown as "(< 1%/< 1%)" and clinically absurd (pilomatricoma favoured by a penile
    lesion). A silent file now gives likelihood ratio 1; a stated frequency above the baseline
    keeps its value; common features keep the floor."""
    from calcinosis import parse_case
    from calcinosis.engine.diagnose import analyse

    floor = kb.constants.presentation_floor.value
    penis = kb.feature_pos("site:penis")
    base = float(kb.baseline[penis])
    assert base < floor  # the situation the rule is for
    silent = [i for i in range(len(kb.diseases)) if kb.source(i, penis).origin == "baseline"]
    assert len(silent) >= 3  # most diagnoses state a region holding it since 2026.12.285; some do not
    assert kb.frequency[silent, penis] == pytest.approx(base)
    stated = kb.disease_pos("idiopathic_calcinosis_cutis")  # "a rare localised form; 0.03"
    assert kb.source(stated, penis).origin == "diagnosis"
    assert kb.frequency[stated, penis] > floor
    common = kb.feature_pos("site:thigh")
    assert kb.baseline[common] > floor and kb.frequency[:, common].min() >= floor - 1e-12

    case = {"patient": {"age": 60, "sex": "male"}, "sites": ["penis"]}
    _, _, scores = analyse(parse_case(case, kb), kb)
    k = scores.feature_pos.tolist().index(penis)
    assert scores.contribution[silent, k] == pytest.approx(0.0)
    assert scores.contribution[stated, k] > 0


def test_a_cautions_diagnoses_in_play_are_named_while_in_play() -> None:
    """A caution's diagnoses in play are AND-ed with its features (``while_in_play``); a follow-up
    item's ``in_play`` is OR-ed with its ``when``: one name for two rules misled authors (a code
    review). The old name is refused, not silently read."""
    from pydantic import ValidationError

    from calcinosis.kb.deferred_schema import TreatmentCaution

    base = {"severity": "caution", "en": "e", "fr": "f"}
    caution = TreatmentCaution.model_validate({**base, "while_in_play": ["milk_alkali_syndrome"]})
    assert caution.while_in_play == ["milk_alkali_syndrome"]
    with pytest.raises(ValidationError):
        TreatmentCaution.model_validate({**base, "in_play": ["milk_alkali_syndrome"]})


@pytest.mark.parametrize(
    ("edit", "found"),
    [
        (lambda t: t.replace("{care}", "{treatment}").replace("{causes}", "{cause}"), "found ['"),
        (lambda t: t.replace("{care}", "care").replace("{causes}", "causes"), "found []"),
    ],
)
def test_a_leaflet_in_play_text_holds_only_causes_or_care(tmp_path: Path, edit: Any, found: str) -> None:
    """The leaflet fills a variant's in_play text with .format(causes=..., care=...): a misspelt
    field raised for one patient, and a text with neither said no diagnosis' words (a code
    review). Loading the knowledge base refuses both."""
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    path = root / "leaflet_by_condition.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    variant = next(v for v in data["variants"] if v.get("in_play"))
    variant["in_play"]["en"] = edit(variant["in_play"]["en"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(root, cache=False)
    assert "leaflet_by_condition.yaml" in str(err.value) and found in str(err.value)


def test_a_painful_deposit_does_not_count_against_systemic_sclerosis(kb: KnowledgeBase) -> None:
    """A clinical review: the pain of SSc calcinosis was set at 0.29 from the share of patients
    whose deposits were tender on examination (Valenzuela 2020), under the baseline of 0.45, so a
    painful fingertip deposit in a woman with Raynaud's phenomenon and sclerodactyly (the CREST
    case of the development set) argued against SSc. Tenderness is a floor of pain, in a cohort
    counting deposits found by imaging alone; no count of pain was found, so the value is a
    judgement, said as one, and pain no longer argues against the disease, in either language."""
    from calcinosis import diagnose, read_case

    from .conftest import DEV_CASES

    crest = read_case(next(p for p in DEV_CASES if "crest" in p.name), kb)
    assert "pain" in crest.findings
    for lang in ("en", "fr"):
        ssc = next(d for d in diagnose(crest, kb, lang=lang).differential if d.diagnosis == "systemic_sclerosis")
        pain = next(c for c in ssc.evidence if c.feature == "finding:pain")
        assert pain.likelihood_ratio >= 1 and pain.estimate
    from .conftest import REPO

    ssc_file = yaml.safe_load((REPO / "src/calcinosis/knowledge/diseases/systemic_sclerosis.yaml").read_text("utf-8"))
    entry = next(f for f in ssc_file["findings"] if f["feature"] == "finding:pain")
    assert entry["basis"] == "judgement" and "tender" in entry["estimate"]


def test_the_tissues_of_an_organ_are_knowledge_read_from_workup_yaml(root: Path) -> None:
    """Which imaging tissue puts a deposit in an organ was a constant in the code
    (engine.workup.ORGAN_TISSUE) beside workup.yaml's out_of_reach_tissues and cavity_sites: it
    is read from workup.yaml (organ_tissues), checked against the vocabulary, and what the
    follow-up and the leaflet read (in_the_organs) follows it. A dialysis patient's arterial and
    visceral calcification on CT has deposits in an organ; with the list emptied, none."""
    from calcinosis import parse_case
    from calcinosis.engine.workup import in_the_organs

    from .conftest import DIALYSIS_CT_RAISED_PHOSPHATE

    shipped = load_kb(root, cache=False)
    assert shipped.workup.organ_tissues == ["visceral"]
    case = parse_case(DIALYSIS_CT_RAISED_PHOSPHATE, shipped)
    assert in_the_organs(case, shipped)
    path = root / "workup.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("organ_tissues: [visceral]", "organ_tissues: []"), encoding="utf-8")
    assert not in_the_organs(case, load_kb(root, cache=False))
    path.write_text(text.replace("organ_tissues: [visceral]", "organ_tissues: [viscera]"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError):
        load_kb(root, cache=False)


_DATA = Path(__file__).parent / "data"
# The pool of published patients the global constants are fitted on and the figures reported on
# (evaluation/pool.py; docs/how-the-differential-works.md): the validation set and the gold cases
# of the note sets, not the written notes-synth.
_MEASURED_FOLDERS = (
    "published/cases",
    "notes",
    "notes-dev2",
    *(f"notes-heldout{n}" for n in ("", "2", "3", "4", "5", "6")),
)
# A URL that holds many publications (an archive of a journal's issues) names none of them: a
# note's gold case and a reference stored in the same archive are two works.
_COLLECTION_URLS = {"dmice.ohsu.edu/trec-gen/data/2006/documents/nephrodiatransp.zip"}


def _url_key(url: str) -> str:
    """A URL without its scheme, ``www.``, trailing punctuation and slash, lower case."""
    key = url.strip().rstrip(".),]").lower().split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return "" if key in _COLLECTION_URLS else key


def _source_identifiers(source: str) -> set[str]:
    """The DOIs (lower case), PMIDs and URLs a measured case's ``expected.source`` gives."""
    dois = {m.rstrip(".)").lower() for m in re.findall(r"10\.\d{4,9}/[^\s\"';,]+", source)}
    pmids = set(re.findall(r"PMID:?\s*(\d{6,9})", source))
    urls = {_url_key(u) for u in re.findall(r"https?://[^\s\"'|]+", source)} - {""}
    return dois | pmids | urls


def _measured_sources() -> dict[str, set[str]]:
    """Each identifier of a measured case's publication, with the cases (their file under
    tests/data without the extension) it is the source of."""
    sources: dict[str, set[str]] = {}
    for folder in _MEASURED_FOLDERS:
        for path in sorted((_DATA / folder).glob("*.yaml")):
            source = (yaml.safe_load(path.read_text(encoding="utf-8")).get("expected") or {}).get("source")
            for key in _source_identifiers(str(source or "")):
                sources.setdefault(key, set()).add(f"{folder}/{path.stem}")
    return sources


def test_the_publications_of_measured_patients_are_marked_and_support_no_scored_number(kb: KnowledgeBase) -> None:
    """The published patients the engine is measured on (the validation set and the gold cases
    of the note sets: the pool its constants are fitted on and its figures reported on) measure
    the knowledge only if it did not learn from them: a reference with the DOI, PMID or URL of
    a patient's source names that patient (measured_cases), every patient named is a case file,
    and no frequency, age, prior, form share, defining block or category rule cites a marked
    reference (2026-12-07: 22 such publications of validation patients found, 170 citations
    removed; then 3 of the note sets' gold cases and 2 more note cases of marked publications,
    5 citations removed; their care texts may still cite them). Nor does a diagnosis file, the
    priors or the category model quote a measured publication's DOI or PMID in its reasoning."""
    sources = _measured_sources()
    unmarked = []
    for rid, ref in kb.references.items():
        keys = {str(ref.doi or "").strip().lower(), str(ref.pmid or "").strip(), _url_key(str(ref.url or ""))} - {""}
        cases = set().union(*(sources.get(k, set()) for k in keys))
        if not cases <= set(ref.measured_cases):
            unmarked.append(f"{rid}: {sorted(cases - set(ref.measured_cases))}")
    assert unmarked == []
    named = {case for ref in kb.references.values() for case in ref.measured_cases}
    assert {case for case in named if not (_DATA / f"{case}.yaml").is_file()} == set()
    assert measured_sources_scored(kb) == []
    quoted = []
    for path in [
        *sorted((kb.root / "diseases").glob("*.yaml")),
        kb.root / "priors.yaml",
        kb.root / "category_model.yaml",
    ]:
        text = path.read_text(encoding="utf-8").lower()
        dois = {k for k in sources if k.startswith("10.") and k in text}
        pmids = {k for k in sources if k.isdigit() and re.search(rf"\b{k}\b", text)}
        quoted += [f"{path.name}: {key}" for key in sorted(dois | pmids)]
    assert quoted == []


def test_kb_check_refuses_a_scored_number_citing_a_measured_source(tmp_path: Path, shared: Path) -> None:
    """Marking a reference a frequency cites as the publication of a measured patient is an
    error of kb check, named with the diagnosis, the feature, the reference and the patient."""
    kb = load_kb()
    did, fid, rid = next(
        (d.id, fid, f.references[0]) for d in kb.diseases for fid, f in d.findings.items() if f.references
    )
    root = tmp_path / "kb"
    shutil.copytree(default_kb_path(), root)
    for path in sorted((root / "references").glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in entries:
            if entry["id"] == rid:
                entry["measured_cases"] = ["notes-heldout9/en-01-test"]
                path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    issues = check_kb(load_kb(root, cache=False), seed_facts=shared / "seed-facts.yaml")
    found = [i for i in issues if i.code == "kb.measured_source_scored"]
    assert found and all(i.level is IssueLevel.ERROR for i in found)
    assert any(f"{did}: {fid} cites {rid}" in i.message and "notes-heldout9/en-01-test" in i.message for i in found)


def test_kb_show_gives_a_low_state_the_likelihood_ratio_the_engine_scores(kb: KnowledgeBase) -> None:
    """A code review: the absence of a test's low state is scored given its raised state's
    (features.yaml opposite_states, kb.loader._log_absent), but ``kb show`` and the API's
    diagnosis view still printed (1 - frequency) / (1 - baseline) for it: calciphylaxis' low
    calcium read an LR absent the reasoning never uses. Every stated frequency's LR absent is the
    engine's, for a diagnosis' main row and for its forms."""
    import math

    from calcinosis.engine.tables import tables
    from calcinosis.kb.views import diagnosis_detail

    t = tables(kb)
    checked = 0
    for d in kb.diseases:
        detail = diagnosis_detail(kb, d.id, "en")
        rows = [(kb.disease_pos(d.id), detail.findings)]
        rows += [
            (r.row, next(f for f in detail.forms if f.id == r.form.id).findings)
            for r in kb.forms
            if kb.diseases[r.disease] is d
        ]
        for row, findings in rows:
            for f in findings:
                column = t.n_features + kb.feature_pos(f.feature)
                assert math.isclose(f.lr_absent, math.exp(float(t.log_lr_by_state[column, row])), rel_tol=1e-9), (
                    d.id,
                    f.feature,
                )
                checked += f.feature in kb.opposite_states.values()
    assert checked >= 3
