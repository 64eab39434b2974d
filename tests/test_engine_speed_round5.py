"""Issue #17, fifth round: each shortcut gives exactly what the plain computation gives.

The fifth round reads only the question-silencing rules a case's observations can fire (an
index per knowledge base). These tests hold each shortcut to the plain path it replaces.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from calcinosis import KnowledgeBase, parse_case, read_case
from calcinosis.case.model import Case
from calcinosis.engine.diagnose import _not_to_ask, _silencing, analyse
from calcinosis.engine.evidence import Evidence
from calcinosis.engine.tables import tables
from calcinosis.i18n import lower_first

from .batch.cohort import cohort
from .conftest import DEV_CASES, REPO

PUBLISHED = sorted((REPO / "tests" / "data" / "published" / "cases").rglob("*.yaml"))


@pytest.fixture(scope="module")
def cases(kb: KnowledgeBase) -> list[Case]:
    """The dev cases, every published case and 300 generated ones."""
    out = [read_case(p, kb) for p in DEV_CASES + PUBLISHED]
    return out + [parse_case(data, kb) for data in cohort(kb, 300, seed=53)]


def _plain_not_to_ask(evidence: Evidence, kb: KnowledgeBase, age: float | None) -> Collection[str]:
    """Every rule of not_asked_with and settled_by_absence read against the case, as before the index."""
    observations = evidence.observations

    def said(features: tuple[str, ...], present: bool) -> bool:
        return any(o is not None and o.present == present for o in map(observations.get, features))

    silenced = [
        feature
        for feature, rule in kb.not_asked_with.items()
        if feature not in observations
        and (said(rule.when_any, True) or said(rule.when_absent, False))
        and (not rule.and_any or said(rule.and_any, True))
    ]
    silenced.extend(
        feature
        for feature, implied in kb.settled_by_absence.items()
        if feature not in observations and feature not in silenced and said(implied, False)
    )
    if age is not None and age < kb.self_report_min_age:
        silenced.extend(f for f in sorted(kb.self_reported) if f not in observations)
    return [*observations, *silenced] if silenced else observations.keys()


def test_silencing_index_names_every_rule_by_its_features(kb: KnowledgeBase) -> None:
    """Each rule is indexed under each feature that can make it hold, in the state that makes
    it hold (a ``when_any`` feature present, a ``when_absent`` one absent), and under no other."""
    index = _silencing(kb, tables(kb))
    for k, (_, rule) in enumerate(kb.not_asked_with.items()):
        for f in index.triggers:
            assert (k in index.by_present.get(f, ())) == (f in rule.when_any)
            assert (k in index.by_absent.get(f, ())) == (f in rule.when_absent)
    for k, (_, implied) in enumerate(kb.settled_by_absence.items()):
        for f in index.triggers:
            assert (k in index.settled.get(f, ())) == (f in implied)


def test_questions_leave_out_what_every_rule_silences(kb: KnowledgeBase, cases: list[Case]) -> None:
    """The features left out of the questions, reading only the rules the case can fire, are
    those every rule read against the case leaves out, in the same order; some cases silence
    something (the comparison is not empty)."""
    silencing = 0
    for case in cases:
        evidence = analyse(case, kb)[1]
        for age in (case.patient.age, 0.1):
            fast = list(_not_to_ask(evidence, kb, age))
            assert fast == list(_plain_not_to_ask(evidence, kb, age)), case.id
            silencing += age != 0.1 and len(fast) > len(evidence.observations)
    assert silencing > 20


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_known_features_are_said_as_stated(kb: KnowledgeBase, lang: str) -> None:
    """What the work-up says the case already gives, written once per feature and state, is the
    feature stated in brackets (lower case in French, after a colon)."""
    from calcinosis.engine.reasons import stated
    from calcinosis.engine.workup import _known_feature

    for fid, feature in kb.features.items():
        for present in (True, False):
            plain = stated(feature, present, lang, brackets=True)
            expected = lower_first(plain) if lang == "fr" else plain
            assert _known_feature(kb, fid, present, lang) == expected
            assert _known_feature(kb, fid, present, lang) == expected  # remembered


def test_steps_keep_their_answers_sorted(kb: KnowledgeBase) -> None:
    """A compiled step's sorted answers are its answer groups, each sorted, in their order."""
    from calcinosis.engine.workup import _steps

    for d in (None, *range(len(kb.diseases))):
        for step in _steps(kb, d):
            assert step.answers_sorted == tuple(tuple(sorted(group)) for group in step.answers)


def test_diagnoses_asked_for_are_the_full_ranking(kb: KnowledgeBase, cases: list[Case]) -> None:
    """The leading three and the must-not-miss alerts read from one ranking, stopping at the
    threshold, are those the full ranking read to the end gives."""
    from calcinosis.engine.workup import _asked_for, _leading_three

    alerts = 0
    for case in cases:
        posterior = analyse(case, kb)[2].posterior
        probabilities = posterior.tolist()
        order = (-posterior).argsort().tolist()
        leading = [i for i in order[:3] if probabilities[i] >= kb.workup.top_threshold]
        plain = [
            i
            for i in order
            if probabilities[i] >= kb.must_not_miss_threshold and kb.diseases[i].id in kb.must_not_miss_workup
        ]
        expected = leading + [i for i in plain if i not in leading]
        ranked = (-posterior).argsort().tolist()
        assert _leading_three(kb, ranked, probabilities) == leading
        assert _asked_for(kb, ranked, probabilities, leading) == expected
        alerts += len(expected) > len(leading)
    assert alerts > 5


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_category_explanation_words_only_the_terms_it_shows(
    kb: KnowledgeBase, cases: list[Case], lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The category's explanation writes the words of a term (its name and ratio) only for the
    terms it shows, the largest gaps (at most four): a rule made present by the case and not
    among them is not written at all (its texts once written, as they are kept)."""
    import calcinosis.engine.diagnose as engine

    written: list[str] = []
    plain = engine._factor

    def counted(label: str, gap: float, lang: str) -> str:
        text = plain(label, gap, lang)
        written.append(text)
        return text

    monkeypatch.setattr(engine, "_factor", counted)
    for case in cases:
        step = analyse(case, kb)[2].category
        engine._category_explanation(step, kb, lang)  # the rules' own texts, written once per knowledge base
        written.clear()
        _, explanation = engine._category_explanation(step, kb, lang)
        assert len(written) <= 4
        assert all(text in explanation for text in written)
