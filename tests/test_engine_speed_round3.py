"""Issue #17, third round: each shortcut gives exactly what the plain computation gives.

The third round of the single-case engine's speed work skips the lab features whose tests a
case does not report, reads a listed diagnosis' fixed part (name, category, references, codes)
once per knowledge base, builds the engine's own warnings without validating them, and runs the
questions' look-ahead in place. These tests hold each of them to the plain path it replaced:
the full loop, the knowledge base read afresh, the validated model, the look-ahead built one
fresh array per step (to the last bit).
"""

from __future__ import annotations

import numpy as np
import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.case.labs import interpret_labs
from calcinosis.case.model import Case
from calcinosis.engine import evidence as evidence_module
from calcinosis.engine.diagnose import _warning, analyse
from calcinosis.engine.evidence import LAB_FEATURES, collect_evidence
from calcinosis.engine.questions import _SHIFT, _look_ahead, next_questions
from calcinosis.engine.results import DiagnosisReport
from calcinosis.issues import Issue, IssueLevel

from ._look_ahead import look_ahead_inputs
from .batch.cohort import cohort
from .conftest import DEV_CASES, REPO

PUBLISHED = sorted((REPO / "tests" / "data" / "published" / "cases").rglob("*.yaml"))


@pytest.fixture(scope="module")
def cases(kb: KnowledgeBase) -> list[Case]:
    """The dev cases, every fifth published case and 150 generated ones (most with labs)."""
    out = [read_case(p, kb) for p in DEV_CASES + PUBLISHED[::5]]
    return out + [parse_case(data, kb) for data in cohort(kb, 150, seed=43)]


@pytest.fixture(scope="module")
def reports(kb: KnowledgeBase, cases: list[Case]) -> list[DiagnosisReport]:
    """Each case diagnosed, in English and in French."""
    return [diagnose(case, kb, lang=lang) for case in cases for lang in ("en", "fr")]


def _observations(case: Case, kb: KnowledgeBase, lang: str) -> list[tuple[str, bool, list[str], bool, bool]]:
    ev = collect_evidence(case, interpret_labs(case, kb, lang=lang), kb, lang=lang)
    return [(o.feature, o.present, o.basis, o.implied, o.closed_world) for o in ev.observations.values()]


def test_lab_features_skipped_are_those_that_read_nothing(
    kb: KnowledgeBase, cases: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Going only through the lab features that read one of the panel's tests gives the same
    observations, in the same order, as going through every lab feature (the plain loop: each
    test mapped to every feature)."""
    fast = [_observations(case, kb, lang) for case in cases for lang in ("en", "fr")]
    every = tuple(range(len(LAB_FEATURES)))
    tests = {test for reading, _ in LAB_FEATURES.values() for test in reading}
    monkeypatch.setattr(evidence_module, "_LAB_ITEMS_BY_TEST", dict.fromkeys(tests, every))
    plain = [_observations(case, kb, lang) for case in cases for lang in ("en", "fr")]
    assert fast == plain
    labs_read = sum(1 for obs in fast for feature, *_ in obs if feature.startswith("lab:"))
    assert labs_read > 200, "the cases exercise the lab features"


def test_lab_feature_index_is_the_inverse_of_lab_features() -> None:
    """Each test leads to exactly the lab features that read it, in LAB_FEATURES order."""
    index = evidence_module._LAB_ITEMS_BY_TEST
    features = list(LAB_FEATURES.items())
    for test, positions in index.items():
        assert list(positions) == [k for k, (_, (reading, _)) in enumerate(features) if test in reading]
    assert set(index) == {test for reading, _ in LAB_FEATURES.values() for test in reading}


def test_engine_warnings_are_their_validated_issues(kb: KnowledgeBase, reports: list[DiagnosisReport]) -> None:
    """A warning built by the engine is the Issue that validation makes of the same three
    arguments: equal, the same fields given, the same JSON and the same line for people."""
    plain = Issue(level=IssueLevel.WARNING, code="engine.no_phosphocalcic", message="No calcium measured.")
    fast = _warning("engine.no_phosphocalcic", "No calcium measured.")
    assert fast == plain and fast.model_fields_set == plain.model_fields_set
    assert fast.model_dump_json() == plain.model_dump_json() and fast.render("fr") == plain.render("fr")
    assert fast.suggestions is not _warning("x", "y").suggestions, "each warning has its own list"
    engine_issues = [i for r in reports for i in r.issues if i.code.startswith("engine.")]
    assert {"engine.category_rule", "engine.no_phosphocalcic"} <= {i.code for i in engine_issues}, "both are met"
    for issue in engine_issues:
        again = Issue(level=issue.level, code=issue.code, message=issue.message)
        assert issue == again and issue.model_fields_set == again.model_fields_set
        assert issue.model_dump_json(exclude_unset=True) == again.model_dump_json(exclude_unset=True)


def test_listed_diagnoses_read_the_knowledge_base(kb: KnowledgeBase, reports: list[DiagnosisReport]) -> None:
    """A listed diagnosis' name, category, references and codes, remembered per knowledge
    base, are what the knowledge base says: its own references then those of its reasons in
    order, each system's codes with the empty systems left out."""
    seen = 0
    for report in reports:
        lang = report.metadata.language
        for result in report.differential:
            d = kb.diseases[kb.disease_pos(result.diagnosis)]
            assert (result.name, result.category) == (d.name(lang), d.category)
            refs = list(d.references)
            for ref in (ref for reason in result.evidence for ref in reason.references):
                if ref not in refs:
                    refs.append(ref)
            assert result.references == refs
            assert result.codes == {system: list(codes) for system, codes in d.codes.model_dump().items() if codes}
            seen += 1
    assert seen > 500


def test_remembered_parts_are_never_shared(kb: KnowledgeBase, cases: list[Case]) -> None:
    """What is remembered per knowledge base reaches each report as its own lists and dicts:
    changing one report leaves the next one as it was."""
    case = next(c for c in cases if len(diagnose(c, kb).differential) > 1)
    first = diagnose(case, kb)
    expected = diagnose(case, kb).model_dump_json()
    for result in first.differential:
        result.references.append("changed")
        for codes in result.codes.values():
            codes.append("changed")
        result.codes["changed"] = []
    first.category_prior["dystrophic"] = -1.0
    for issue in first.issues:
        issue.suggestions.append("changed")
    assert diagnose(case, kb).model_dump_json() == expected


def _plain_look_ahead(
    p: np.ndarray, f1: np.ndarray, p_yes: np.ndarray, prior_entropy: float, zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The look-ahead as it was written before: a fresh array for each step."""
    p_no = 1 - p_yes
    n_ask = len(p_yes)
    both = np.concatenate((f1, 1 - f1), axis=1)
    post = (p[:, None] * both) / np.concatenate((p_yes, p_no))
    if zeros:
        entropy = -np.add.reduce(post * np.log2(np.where(post > 0, post, 1.0)), axis=0)
    else:
        entropy = -np.add.reduce(post * np.log2(post), axis=0)
    return post, prior_entropy - (p_yes * entropy[:n_ask] + p_no * entropy[n_ask:])


def test_look_ahead_in_place_is_the_fresh_arrays_to_the_bit(kb: KnowledgeBase, cases: list[Case]) -> None:
    """Writing each step of the look-ahead over the last gives the very same posteriors and
    gains as building each intermediate afresh, for every case and with zero frequencies."""
    compared = 0
    for case in cases:
        _, p, prior_entropy, _, f1, p_yes = look_ahead_inputs(case, kb)
        for zeros in (False, True):
            post, gain = _look_ahead(p, f1, p_yes, prior_entropy, zeros=zeros)
            plain_post, plain_gain = _plain_look_ahead(p, f1, p_yes, prior_entropy, zeros)
            assert np.array_equal(post, plain_post) and np.array_equal(gain, plain_gain, equal_nan=True)
        edge = f1.copy()
        edge[0, ::3], edge[-1, 1::3] = 0.0, 1.0  # frequencies of 0 and 1: posteriors of 0 after an answer
        edge_yes = p @ edge
        with np.errstate(invalid="ignore", divide="ignore"):  # one live diagnosis: 0 / 0, in both
            post, gain = _look_ahead(p, edge, edge_yes, prior_entropy, zeros=True)
            plain_post, plain_gain = _plain_look_ahead(p, edge, edge_yes, prior_entropy, True)
        assert np.array_equal(post, plain_post, equal_nan=True)
        assert np.array_equal(gain, plain_gain, equal_nan=True)
        compared += 1
    assert compared > 150


def test_questions_name_what_the_plain_posteriors_move(kb: KnowledgeBase, cases: list[Case]) -> None:
    """Each question's 'a yes/no would raise/lower' lists are the first three of the leading
    diagnoses whose plain posterior after that answer moves by more than the threshold (a
    diagnosis with forms read in the form its reasons are shown in)."""
    named = 0
    for case in cases:
        _, ev, s = analyse(case, kb)
        live = (s.posterior >= 1e-6).nonzero()[0]
        p = s.posterior[live] / s.posterior[live].sum()
        top = (-p).argsort()[:8]
        names = [kb.diseases[d].name("en") for d in live[top].tolist()]
        for q in next_questions(s, kb, lang="en", observed=ev.observations.keys()):
            f = kb.frequency[s.row[live], kb.feature_pos(q.feature)]  # each diagnosis as its shown form
            p_yes = float(p @ f)
            yes, no = (p * f / p_yes)[top] - p[top], (p * (1 - f) / (1 - p_yes))[top] - p[top]
            assert q.would_raise == [n for n, v in zip(names, yes, strict=True) if v > _SHIFT][:3]
            assert q.would_lower == [n for n, v in zip(names, yes, strict=True) if v < -_SHIFT][:3]
            assert q.if_no_raise == [n for n, v in zip(names, no, strict=True) if v > _SHIFT][:3]
            assert q.if_no_lower == [n for n, v in zip(names, no, strict=True) if v < -_SHIFT][:3]
            named += len(q.would_raise) + len(q.would_lower) + len(q.if_no_raise) + len(q.if_no_lower)
    assert named > 300
