"""Management read against its sources (a clinical review of the treatment options): what a
drug's label says and nothing more, where an injection was studied, a child's doses, a
haemochromatosis' own care, and the disease's treatment before a deposit's."""

from __future__ import annotations

from typing import Any

import pytest

from calcinosis import KnowledgeBase

from .test_management_scope import _options, run

DERMATOMYOSITIS_WITH_ILD: dict[str, Any] = {
    "patient": {"age": 50, "sex": "female"},
    "history": ["dermatomyositis", "interstitial_lung_disease"],
    "findings": ["pain", "palpable_nodules"],
    "sites": ["hip"],
}


@pytest.mark.parametrize(("lang", "said"), [("en", "rare adverse reaction"), ("fr", "effets indésirables rares")])
def test_infliximab_says_what_its_label_says_of_interstitial_lung_disease(
    kb: KnowledgeBase, lang: str, said: str
) -> None:
    """The infliximab caution on interstitial lung disease is the label's: a rare adverse reaction
    (EU SmPC 4.8), not a contraindication of a known one; it names the SmPC it comes from."""
    infliximab = _options(run(kb, DERMATOMYOSITIS_WITH_ILD, lang))["infliximab"]
    ild = [c for c in infliximab.cautions if said in c]
    assert len(ild) == 1
    assert "infliximab_smpc" in infliximab.references
    assert "infliximab" not in {o.treatment for o in run(kb, DERMATOMYOSITIS_WITH_ILD, lang).avoid}
    assert kb.references["infliximab_smpc"].url
