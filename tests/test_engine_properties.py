"""Properties of the engine that must hold for any case (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case
from calcinosis.case.labs import interpret_labs
from calcinosis.engine.evidence import collect_evidence
from calcinosis.engine.scoring import score
from calcinosis.engine.tables import tables

KB = load_kb()
DEFINING = tables(KB).defining_features
VOC = KB.vocabulary.lists


def _terms(name: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(VOC[name])), max_size=4, unique=True)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    history = draw(_terms("conditions"))
    exposures = draw(_terms("exposures"))
    findings = draw(_terms("findings"))
    pool = sorted(set(VOC["findings"]) - set(findings))
    absent = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True))
    labs = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "test": st.sampled_from(sorted(VOC["labs"])),
                    "interpretation": st.sampled_from(["high", "normal", "low"]),
                }
            ),
            max_size=4,
        )
    )
    imaging = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "modality": st.sampled_from(sorted(VOC["modalities"])),
                    "sites": _terms("sites"),
                    "patterns": _terms("patterns"),
                    "tissues": _terms("tissues"),
                }
            ),
            max_size=2,
        )
    )
    return {
        "patient": {
            "age": draw(st.floats(0, 100)),
            "sex": draw(st.sampled_from(["female", "male", "other", "unknown"])),
        },
        "history": history,
        "exposures": exposures,
        "findings": findings,
        "absent": absent,
        "labs": labs,
        "imaging": imaging,
    }


def _scores(data: dict[str, Any], kb: KnowledgeBase = KB):  # type: ignore[no-untyped-def]
    case = parse_case(data, kb)
    return score(collect_evidence(case, interpret_labs(case, kb), kb), kb)


def _posterior(data: dict[str, Any], kb: KnowledgeBase = KB) -> np.ndarray:
    return _scores(data, kb).posterior


@given(cases())
def test_probabilities_sum_to_one(data: dict[str, Any]) -> None:
    """Diagnosis and category probabilities each sum to 1."""
    report = diagnose(parse_case(data, KB), KB)
    assert abs(sum(report.category_probabilities.values()) - 1) < 1e-3
    assert abs(float(_posterior(data).sum()) - 1) < 1e-9
    assert len(report.differential) + len(report.excluded) == len(KB.diseases)


@given(cases(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(data: dict[str, Any], rnd: Any) -> None:
    """Shuffling every list of the case leaves the posterior unchanged."""
    shuffled = {k: (rnd.sample(v, len(v)) if isinstance(v, list) else v) for k, v in data.items()}
    assert np.allclose(_posterior(data), _posterior(shuffled), atol=1e-12)


def _specific_features() -> list[tuple[str, str]]:
    """(diagnosis, finding) pairs where only that diagnosis lists the finding above its baseline."""
    out = []
    for name in ("findings", "conditions", "exposures"):
        prefix = {"findings": "finding", "conditions": "condition", "exposures": "exposure"}[name]
        for term in VOC[name]:
            fid = f"{prefix}:{term}"
            j = KB.feature_pos(fid)
            # the rows are the diagnoses, then their forms (KnowledgeBase.frequency): a form's row
            # is its diagnosis'; a diagnosis with forms counts when none of its rows lies below
            # the baseline (each row's ratio at least 1, so their mixture rises too)
            rows = np.flatnonzero(KB.frequency[:, j] > KB.baseline[j] + 1e-12)
            above = {KB.row_disease(int(r)) for r in rows}
            if len(above) != 1:
                continue
            d = above.pop()
            own = [r for r in range(len(KB.frequency)) if KB.row_disease(r) == d]
            if all(KB.frequency[r, j] >= KB.baseline[j] for r in own):
                out.append((KB.diseases[d].id, term))
    return out


SPECIFIC = _specific_features()


@given(cases(), st.sampled_from(SPECIFIC))
def test_adding_a_specific_finding_raises_its_diagnosis(data: dict[str, Any], pair: tuple[str, str]) -> None:
    """A finding that only one diagnosis makes likelier never lowers that diagnosis."""
    disease, term = pair
    key = "findings" if term in VOC["findings"] else "history" if term in VOC["conditions"] else "exposures"
    data = {**data, "absent": [t for t in data["absent"] if t != term]}
    if term in data[key]:
        data[key] = [t for t in data[key] if t != term]
    before = _posterior(data)[KB.disease_pos(disease)]
    after = _posterior({**data, key: [*data[key], term]})[KB.disease_pos(disease)]
    assert after >= before - 1e-12


@given(cases(), st.sampled_from(sorted(VOC["findings"])))
def test_absent_and_unreported_differ(data: dict[str, Any], term: str) -> None:
    """Saying a finding is absent is information; not reporting it is none."""
    j = KB.feature_pos(f"finding:{term}")
    if np.allclose(KB.frequency[:, j], KB.baseline[j]):
        return  # a finding no diagnosis uses carries no information either way
    data = {
        **data,
        "findings": [t for t in data["findings"] if t != term],
        "absent": [t for t in data["absent"] if t != term],
    }
    unreported = _scores(data).row_evidence
    absent = _scores({**data, "absent": [*data["absent"], term]}).row_evidence
    # compared on the evidence before the defining blocks (a denial of a defining feature may
    # cost exactly what silence on its block costs: the next property) and on the log scores,
    # since the posterior change can be below float tolerance when the diagnoses that list the
    # finding are already very unlikely
    assert not np.array_equal(unreported, absent)


@given(cases(), st.sampled_from(sorted(f for f in DEFINING if f.startswith("finding:"))))
def test_a_denied_defining_feature_never_helps_its_diagnosis(data: dict[str, Any], fid: str) -> None:
    """ "No retiform purpura" does not make calciphylaxis likelier than silence on its lesions:
    each diagnosis whose blocks the case leaves without a feature reported present scores no
    higher when one of its defining features is denied. The block weighs a denial at its full
    LR (the batch engine computes it from the case's features alone); a denial damped in its
    dependency group counts less than that, so the property holds where it is the group's only
    observed feature."""
    term = fid.partition(":")[2]
    data = {
        **data,
        "findings": [t for t in data["findings"] if t != term],
        "absent": [t for t in data["absent"] if t != term],
    }
    silent, denied = _scores(data), _scores({**data, "absent": [*data["absent"], term]})
    group = KB.group_index[KB.feature_pos(fid)]
    if sum(KB.group_index[p] == group for p in denied.feature_pos.tolist()) > 1:
        return  # damped with others of its group: counted at less than its full LR
    t = tables(KB)
    present = {
        KB.feature_ids[p] for p, here in zip(silent.feature_pos.tolist(), silent.present.tolist(), strict=True) if here
    }
    for b in t.defined_by[fid]:
        d = int(t.block_disease[b])
        if int(t.block_row[b]) != d or any(f in present for blk in t.blocks_of[d] for f in _members(blk)):
            continue  # a form's block, or a diagnosis another of whose blocks is answered: not this property
        assert denied.log_score[d] <= silent.log_score[d] + 1e-9


def _members(block: int) -> list[str]:
    return [f for f, bs in tables(KB).defined_by.items() if block in bs]


def test_no_information_leaves_the_prior() -> None:
    """A case with only an age-less-informative patient keeps the ranking of the priors' shape."""
    post = _posterior({"patient": {"age": 40, "sex": "unknown"}})
    prior = np.exp(KB.log_prior)
    # age 40 sets patient:child/infant/older absent only; the most common diagnoses stay on top
    assert set(np.argsort(-post)[:5]) & set(np.argsort(-prior)[:8])
