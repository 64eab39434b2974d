"""The silent-gap rule of `calcinosis kb check` asks every diagnosis for the top-level body
sites most diagnoses now state (issue #11, fault 3: a site a file does not state takes the
calcinosis baseline, so a lesion there counts LR 1). Five calcified parasites were silent on
four to six regions each: a calcified Armillifer nymph, "always in the abdomen and thorax and
never in the subcutaneous tissues" (Palmer & Reeder), took the limbs' baselines 0.35 and 0.45,
so an arm deposit counted as much for it as for any cause; a guinea worm, on the legs in over
90 % (NRC 1982), took the pelvis' 0.12 and the head's 0.08. Each file now states its regions
with the basis, and leprosy and tuberculosis the ones they had left silent."""

from __future__ import annotations

from calcinosis import KnowledgeBase

PARASITES = ("dracunculiasis", "loiasis", "lymphatic_filariasis", "onchocerciasis", "porocephalosis")
REGIONS = ("upper_limb", "head_neck", "chest_wall", "abdomen", "back", "pelvis", "lower_limb")


def _lr(kb: KnowledgeBase, did: str, site: str) -> float:
    p = kb.feature_pos(f"site:{site}")
    return float(kb.frequency[kb.disease_pos(did), p] / kb.baseline[p])


def test_the_calcified_parasites_state_every_region(kb: KnowledgeBase) -> None:
    for did in (*PARASITES, "leprosy", "tuberculosis"):
        d = kb.disease_pos(did)
        silent = [r for r in REGIONS if kb.source(d, kb.feature_pos(f"site:{r}")).origin == "baseline"]
        assert silent == [], (did, silent)


def test_a_region_outside_the_parasite_counts_against_it(kb: KnowledgeBase) -> None:
    for site in ("upper_limb", "lower_limb", "head_neck"):  # abdomen and thorax only
        assert _lr(kb, "porocephalosis", site) <= 0.25, site
    assert _lr(kb, "porocephalosis", "back") <= 0.5
    assert _lr(kb, "porocephalosis", "chest_wall") > 2  # the thorax, a calcified nymph's other site
    for site in ("head_neck", "chest_wall", "abdomen", "back", "pelvis"):  # legs in over 90 %
        assert _lr(kb, "dracunculiasis", site) <= 0.5, site
    for site in ("head_neck", "chest_wall", "abdomen", "back"):  # almost always hands and feet
        assert _lr(kb, "loiasis", site) <= 0.5, site
    assert _lr(kb, "loiasis", "upper_limb") > 1.5
    assert _lr(kb, "onchocerciasis", "back") > 1 > _lr(kb, "onchocerciasis", "abdomen")  # over bone
    assert _lr(kb, "lymphatic_filariasis", "upper_limb") < 0.5  # breast, scrotum and legs
    assert _lr(kb, "leprosy", "head_neck") < 1  # the great auricular nerve, rarely
    assert _lr(kb, "tuberculosis", "abdomen") > 1  # a calcified psoas abscess


def test_a_region_is_at_least_its_stated_sites(kb: KnowledgeBase) -> None:
    sites = kb.vocabulary.lists["sites"]
    for did in (*PARASITES, "leprosy", "tuberculosis"):
        d = kb.disease(did)
        for s, term in sites.items():
            if term.parent is not None and f"site:{s}" in d.findings and f"site:{term.parent}" in d.findings:
                assert d.findings[f"site:{term.parent}"].frequency >= d.findings[f"site:{s}"].frequency, (did, s)
