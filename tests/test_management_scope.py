"""Management scoped by indication and population (issue: what the clinician and the patient
read, item 2): a caution on one drug never removes its class, calcific tendinitis gets its
standard options, and a first-line role on weak evidence says so."""

from __future__ import annotations

from typing import Any

from calcinosis import KnowledgeBase, parse_case, read_case
from calcinosis.management.manage import manage

from .conftest import DEV_CASES


def run(kb: KnowledgeBase, data: dict[str, Any], lang: str = "en"):  # type: ignore[no-untyped-def]
    return manage(parse_case(data, kb), kb, lang=lang)


def _options(result) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {o.treatment: o for opts in result.options.values() for o in opts}


def test_analgesia_stays_indicated_in_calciphylaxis_on_dialysis(kb: KnowledgeBase) -> None:
    result = run(
        kb,
        {
            "patient": {"age": 60, "sex": "female"},
            "history": ["dialysis"],
            "findings": ["skin_necrosis", "retiform_purpura", "pain"],
        },
    )
    assert "analgesia" not in {o.treatment for o in result.avoid}
    analgesia = _options(result)["analgesia"]
    assert analgesia.cautions[0].startswith("Avoid NSAIDs")


def test_calcific_tendinitis_gets_its_standard_options(kb: KnowledgeBase) -> None:
    path = next(p for p in DEV_CASES if "calcific-tendinitis" in p.name)
    options = _options(manage(read_case(path, kb), kb))
    assert {"nsaids", "subacromial_corticosteroid_injection", "ultrasound_guided_lavage", "eswl"} <= options.keys()
    eswl = options["eswl"]
    assert eswl.best_level is not None and any("Calcific tendinitis" in " ".join(e.studied_in) for e in eswl.evidence)


def test_a_first_line_on_expert_opinion_says_so(kb: KnowledgeBase) -> None:
    path = next(p for p in DEV_CASES if "calcific-tendinitis" in p.name)
    nsaids = _options(manage(read_case(path, kb), kb, lang="fr"))["nsaids"]
    assert nsaids.role == "first_line" and "avis d'experts" in nsaids.role_basis
    weak = strong = 0  # each rule below must be checked at least once
    for name in ("crest", "calcific-tendinitis", "phpt"):
        path = next(p for p in DEV_CASES if name in p.name)
        for option in _options(manage(read_case(path, kb), kb)).values():
            if option.role == "first_line" and (option.best_level or 5) >= 4:
                assert option.role_basis, option.treatment
                weak += 1
            if option.best_level is not None and option.best_level < 4:
                assert not option.role_basis, option.treatment  # trial evidence needs no such note
                strong += 1
    assert weak and strong


def test_evidence_names_the_disease_it_was_studied_in(kb: KnowledgeBase) -> None:
    ssc = next(p for p in DEV_CASES if "crest" in p.name)
    for option in _options(manage(read_case(ssc, kb), kb)).values():
        for e in option.evidence:
            if not e.relevant:
                assert e.studied_in, (option.treatment, e.reference)
