"""A top-level region a diagnosis' file does not state takes the calcinosis baseline, so a
lesion there counts nothing against it (issue #11, fault 3). Six iatrogenic, metastatic and
tumoral files were silent on regions most diagnoses state: a hand nodule counted as much for
calcium heparin (injected into the abdominal wall and the thigh) as for any cause, a scalp or
neck deposit as much for calcium extravasation (the ankle and wrist of neonates) and an
abdominal mass as much for tumoral calcinosis (the hip, elbow and shoulder). Each now states
them, with the count or the reasoning in its estimate."""

from __future__ import annotations

from calcinosis import KnowledgeBase

SIX = (
    "iv_calcium_extravasation",
    "iatrogenic_other",
    "calcium_heparin_calcinosis",
    "ckd_mineral_bone_disorder",
    "tumoral_calcinosis_hyperphosphatemic",
    "tumoral_calcinosis_normophosphatemic",
)


def _lr(kb: KnowledgeBase, did: str, site: str) -> float:
    p = kb.feature_pos(f"site:{site}")
    return float(kb.frequency[kb.disease_pos(did), p] / kb.baseline[p])


def test_the_six_files_state_their_regions(kb: KnowledgeBase) -> None:
    vocab = kb.vocabulary
    regions = [s for s in vocab.lists["sites"] if not vocab.site_ancestors(s) and s not in ("generalized", "pelvis")]
    for did in SIX:
        d = kb.disease(did)
        stated = {f.removeprefix("site:") for f in d.findings if f.startswith("site:")}
        declared = {f.removeprefix("site:") for f in (d.irrelevant or {})}
        silent = {
            r for r in regions if r not in stated | declared and not any(r in vocab.site_ancestors(s) for s in stated)
        }
        assert not silent, (did, sorted(silent))


def test_a_region_outside_the_diagnosis_counts_against_it(kb: KnowledgeBase) -> None:
    # calcium heparin: the abdominal wall and the thigh (the label's sites), not the arm or hand
    assert _lr(kb, "calcium_heparin_calcinosis", "upper_limb") <= 0.2
    assert _lr(kb, "calcium_heparin_calcinosis", "hand") <= 0.2
    # extravasation: the ankle and wrist of neonates, the forearm of adults (0 of 17 neonates on the head)
    for site in ("head_neck", "chest_wall", "abdomen", "back"):
        assert _lr(kb, "iv_calcium_extravasation", site) <= 0.5, site
    # other iatrogenic: a third the neonatal heel, the scalp of EEG paste; the arm less than at large
    assert _lr(kb, "iatrogenic_other", "upper_limb") < 0.75
    assert _lr(kb, "iatrogenic_other", "head_neck") > 1
    # tumoral calcinosis: the large joints; no abdominal mass in the series or reviews read
    for did in ("tumoral_calcinosis_hyperphosphatemic", "tumoral_calcinosis_normophosphatemic"):
        assert _lr(kb, did, "abdomen") <= 0.5
        assert _lr(kb, did, "chest_wall") <= 0.5
    # CKD-MBD: the thoracic visceral deposits (lungs, heart) above the baseline, the head below
    assert _lr(kb, "ckd_mineral_bone_disorder", "chest_wall") > 1 > _lr(kb, "ckd_mineral_bone_disorder", "head_neck")
