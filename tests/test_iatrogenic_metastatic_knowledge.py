"""Knowledge of the iatrogenic and metastatic categories read as the literature has it (issue #11):
findings that share one cause count as one proof, and a diagnosis speaks of what its
mechanism makes of the kidneys."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, diagnose, parse_case


def run(kb: KnowledgeBase, **extra: Any):  # type: ignore[no-untyped-def]
    data = {"patient": {"age": 4, "sex": "female"}, **extra}
    return diagnose(parse_case(data, kb), kb)


def test_tumour_lysis_and_its_chemotherapy_are_one_proof(kb: KnowledgeBase) -> None:
    """Tumour lysis follows the chemotherapy that started it (Howard 2011): a case that reports
    both has one cause, so the weaker of the two is damped, not multiplied in full."""
    report = run(kb, history=["leukemia"], exposures=["chemotherapy", "tumor_lysis"])
    other = next(d for d in report.differential if d.diagnosis == "iatrogenic_other")
    weights = sorted(e.weight for e in other.evidence if e.feature in {"exposure:chemotherapy", "exposure:tumor_lysis"})
    assert weights == [kb.constants.dependency_damping.value, 1.0]


def test_a_reported_calcium_extravasation_during_tumour_lysis_leads_to_the_extravasation(kb: KnowledgeBase) -> None:
    """An adult on chemotherapy, in tumour lysis, given IV calcium that extravasated: the
    extravasation is the named cause; the lysis and its chemotherapy no longer count as two
    independent proofs for the other iatrogenic causes. (Written first as a girl of 4, which was
    a validation patient's presentation, pub-iatro-04: a test does not pin a measured patient's
    rank, which the age bands of knowledge 2026.12.276 then moved.)"""
    exposures = ["chemotherapy", "tumor_lysis", "iv_calcium", "calcium_extravasation"]
    data = {"patient": {"age": 45, "sex": "male"}, "history": ["leukemia"], "exposures": exposures}
    report = diagnose(parse_case({**data, "sites": ["forearm"]}, kb), kb)
    assert report.category == "iatrogenic"
    assert report.differential[0].diagnosis == "iv_calcium_extravasation"


def test_a_raised_urea_speaks_for_every_hypercalcaemic_kidney(kb: KnowledgeBase) -> None:
    """Hypercalcaemia lowers the filtration and dries the patient out, and urea rises with both:
    each metastatic diagnosis that states a reduced eGFR gains from a raised urea at least as much
    (milk-alkali syndrome once gained 5-fold from it, vitamin D toxicity, primary
    hyperparathyroidism, cancer and sarcoidosis nothing)."""
    labs = [{"test": "calcium", "value": 3.2, "unit": "mmol/L"}, {"test": "urea", "value": 15, "unit": "mmol/L"}]
    report = diagnose(parse_case({"patient": {"age": 60, "sex": "female"}, "labs": labs}, kb), kb)
    by_id = {d.diagnosis: d for d in report.differential}
    for name in ("hypervitaminosis_d", "primary_hyperparathyroidism", "malignant_bone_destruction", "sarcoidosis"):
        urea = [e for e in by_id[name].evidence if e.feature == "lab:urea_high"]
        assert urea and urea[0].likelihood_ratio > 2, name
        assert urea[0].frequency >= kb.frequency[kb.disease_pos(name), kb.feature_pos("lab:egfr_below_60")], name


def test_a_child_given_intravenous_calcium_is_not_ruled_out_by_age(kb: KnowledgeBase) -> None:
    """Calcinosis after intravenous calcium is mostly a newborn's, but children beyond infancy
    are published (an 8-year-old in tumour lysis, Rodriguez-Cano 1996): an age of 1 to 17 may
    count against it, not near-exclude it as a likelihood ratio of 0.19 did, while the newborn
    keeps the large gain."""
    row = kb.disease_pos("iv_calcium_extravasation")

    def ratio(band: str) -> float:
        col = kb.feature_pos(band)
        return float(kb.frequency[row, col] / kb.baseline[col])

    assert ratio("patient:age_1_to_9") >= 0.5
    assert ratio("patient:age_10_to_17") >= 0.3
    assert ratio("patient:age_under_1") > 10


def test_calcium_heparin_calcinosis_states_the_hypocalcaemia_of_renal_failure(kb: KnowledgeBase) -> None:
    """Most patients with calcinosis at calcium-heparin injection sites are in renal failure, where
    a low calcium is common (17 % of unselected haemodialysis patients, Salem 1997): the file
    states it rather than counting it as in any other cause."""
    row, col = kb.disease_pos("calcium_heparin_calcinosis"), kb.feature_pos("lab:calcium_low")
    assert kb.source(row, col).origin == "diagnosis"
    assert kb.frequency[row, col] > 3 * kb.baseline[col]


def test_calcium_infusion_sites_follow_its_age_mixture(kb: KnowledgeBase) -> None:
    """Calcinosis after intravenous calcium states its sites from the one series of 16 neonates
    (ankle 11, wrist 5) weighted by the newborns' share of its own age mixture, children and
    adults being cannulated on the arm: when the mixture moved to 0.7 newborns, the sites kept
    an older 0.65 infant share (ankle 0.45), so the limbs spoke for a different population than
    the age bands."""
    disease = next(d for d in kb.diseases if d.id == "iv_calcium_extravasation")
    assert disease.age is not None and disease.age.mixture
    newborns = disease.age.mixture[0]
    assert newborns.unit == "days"
    row = kb.disease_pos("iv_calcium_extravasation")

    def frequency(feature: str) -> float:
        return float(kb.frequency[row, kb.feature_pos(feature)])

    assert abs(frequency("site:ankle") - newborns.weight * 11 / 16) < 0.01
    assert abs(frequency("site:wrist") - newborns.weight * 5 / 16) < 0.01
    assert abs(frequency("site:upper_limb") - (newborns.weight * 5 / 16 + 1 - newborns.weight)) < 0.01


def test_a_raised_urate_speaks_for_every_failing_kidney_and_for_hyperparathyroidism(kb: KnowledgeBase) -> None:
    """Urate is retained as the filtration falls (hyperuricaemia in 43.6 % of chronic kidney
    disease, Rashid 2022), and it is raised in about a third of primary hyperparathyroidism
    (Broulik 2010, Oprea 2023, Yuan 2025): each diagnosis whose patients mostly have a reduced
    eGFR, and hyperparathyroidism, gains from a raised uric acid, as chronic kidney
    disease-mineral bone disorder does (they once took LR 1), while gout keeps the most."""
    labs = [{"test": "calcium", "value": 3.2, "unit": "mmol/L"}, {"test": "uric_acid", "value": 600, "unit": "µmol/L"}]
    report = diagnose(parse_case({"patient": {"age": 60, "sex": "female"}, "labs": labs}, kb), kb)
    by_id = {d.diagnosis: d for d in report.differential}
    urate = kb.feature_pos("lab:uric_acid_high")
    egfr = kb.feature_pos("lab:egfr_below_60")
    for name in kb.disease_ids:
        if kb.frequency[kb.disease_pos(name), egfr] >= 0.4 and name != "gout":
            assert kb.frequency[kb.disease_pos(name), urate] >= 2 * kb.baseline[urate], name
    for name in (
        "primary_hyperparathyroidism",
        "milk_alkali_syndrome",
        "hypervitaminosis_d",
        "malignant_bone_destruction",
    ):
        evidence = [e for e in by_id[name].evidence if e.feature == "lab:uric_acid_high"]
        assert evidence and evidence[0].likelihood_ratio > 2, name
    gout = kb.frequency[kb.disease_pos("gout"), urate]
    assert all(kb.frequency[kb.disease_pos(n), urate] < gout for n in kb.disease_ids if n != "gout")
