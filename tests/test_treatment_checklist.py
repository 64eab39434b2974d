"""Issue #3 checklist: every treatment the seeds name, and every management statement of the seeds,
is in the knowledge with a reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcinosis import KnowledgeBase
from calcinosis.kb.check import seed_fact_coverage

# Every treatment of the seeds, as listed in issue #3, plus the treatment of the cause.
SEED_TREATMENTS = [
    "warfarin", "alendronate", "risedronate", "pamidronate", "etidronate", "clodronate", "diltiazem",
    "probenecid", "aluminium_hydroxide", "colchicine", "intralesional_corticosteroids", "minocycline",
    "ivig", "infliximab", "rituximab", "anakinra", "thalidomide", "tofacitinib", "eculizumab",
    "sodium_thiosulfate_iv", "sodium_thiosulfate_topical", "sodium_thiosulfate_intralesional",
    "surgical_excision", "co2_laser", "high_speed_burr", "eswl", "physiotherapy", "wound_care",
    "antibiotics_superinfection", "phosphate_binders", "parathyroidectomy", "stop_vitamin_d_and_calcium",
    "dialysis_intensification",
]  # fmt: skip

MANAGEMENT_KINDS = {"treatment", "follow_up", "staging"}


@pytest.mark.parametrize("treatment", SEED_TREATMENTS)
def test_treatment_is_in_the_knowledge_with_evidence(kb: KnowledgeBase, treatment: str) -> None:
    """The treatment exists, has a dose text, both languages, and sourced evidence or references."""
    t = kb.treatments.get(treatment)
    assert t is not None, f"treatments/{treatment}.yaml is missing"
    assert t.references and all(r in kb.references for r in t.references)
    assert t.names.en and t.names.fr and t.summary.fr != t.summary.en
    for e in t.evidence:
        assert e.reference in kb.references and 1 <= e.level <= 5


def test_every_management_fact_of_the_seeds_is_held_by_management_knowledge(kb: KnowledgeBase, shared: Path) -> None:
    """Treatment, follow-up and staging facts are held by treatments, management, follow-up, staging or
    leaflet knowledge — no longer parked in seed_facts.yaml as 'scope: management'."""
    import yaml

    facts = {f["id"]: f for f in yaml.safe_load((shared / "seed-facts.yaml").read_text())}
    cover = seed_fact_coverage(kb, shared / "seed-facts.yaml")
    parked = [fid for fid, where in cover.items() if any("scope: management" in w for w in where)]
    assert parked == [], f"{len(parked)} facts still parked, e.g. {parked[:5]}"
    homes = ("treatments/", "management.yaml", "followup.yaml", "staging.yaml", "leaflet.yaml", "not applicable")
    for fid, fact in facts.items():
        if fact["kind"] in MANAGEMENT_KINDS:
            assert any(h in w for w in cover[fid] for h in homes), (fid, cover[fid])
