"""A deposit spread over the whole body (site:generalized, "Ensemble du corps") was the last
site the diagnoses stating sites left silent: 32 of them took the calcinosis baseline there,
so a generalised spread counted nothing against a focal tumour or a single injection site,
while the 16 that stated it were held to their statement (issue #11, fault 3). Each now states
it, from its series or a judgement with its reason; the diagnoses that state no site at all
declare it irrelevant."""

from __future__ import annotations

from calcinosis import KnowledgeBase
from calcinosis.kb.check import silent_gaps, silent_sites


def _lr(kb: KnowledgeBase, did: str) -> float:
    p = kb.feature_pos("site:generalized")
    return float(kb.frequency[kb.disease_pos(did), p] / kb.baseline[p])


def test_no_diagnosis_stating_sites_is_silent_on_a_generalised_spread(kb: KnowledgeBase) -> None:
    assert [pair for pair in silent_sites(kb) if pair[1] == "generalized"] == []
    assert [pair for pair in silent_gaps(kb) if pair[1] == "site:generalized"] == []


def test_a_generalised_spread_counts_against_a_local_lesion(kb: KnowledgeBase) -> None:
    for did in (
        "synovial_sarcoma",
        "extraskeletal_chondroma",
        "calcific_myonecrosis",
        "injection_granuloma",
        "iv_calcium_extravasation",
        "synovial_osteochondromatosis",
        "post_traumatic_calcification",
    ):
        assert _lr(kb, did) <= 0.5, did


def test_disseminated_cysticercosis_and_uraemia_spread_more_than_their_neighbours(kb: KnowledgeBase) -> None:
    # the rice-grain picture: 'often several hundred' calcified cysticerci (Palmer & Reeder 2001)
    assert _lr(kb, "cysticercosis") > 2
    assert _lr(kb, "cysticercosis") > 10 * _lr(kb, "synovial_sarcoma")
    # metastatic calcification of renal failure above the tumoral masses and the skin necrosis
    assert _lr(kb, "ckd_mineral_bone_disorder") > 1
    assert _lr(kb, "ckd_mineral_bone_disorder") > _lr(kb, "tumoral_calcinosis_secondary")
    assert _lr(kb, "tumoral_calcinosis_secondary") > _lr(kb, "tumoral_calcinosis_normophosphatemic")
    assert _lr(kb, "calciphylaxis") < 1
    # a solitary cyst is not the disseminated form, which its row copies unless it says so
    solitary = kb.form_row("cysticercosis/isolated_soft_tissue")
    assert solitary is not None
    assert float(kb.frequency[solitary.row, kb.feature_pos("site:generalized")]) < 0.05
