"""Issue #17, fourth round: each shortcut gives exactly what the plain computation gives.

The fourth round looks ahead only for the questions whose gain can reach the floor (a bound
read from per-knowledge-base answer entropies), remembers the sites a reported site list leaves
out, reads a rule's mentioned features from their places in its list, and hands each listed
diagnosis its reasons' texts and references as they are made. These
tests hold each of them to the plain path: the full look-ahead, the site tree read afresh, the
reasons read back from the built report.
"""

from __future__ import annotations

import numpy as np
import pytest

from calcinosis import KnowledgeBase, diagnose, parse_case, read_case
from calcinosis.case.model import Case
from calcinosis.engine.category import _in_rule_order
from calcinosis.engine.diagnose import analyse
from calcinosis.engine.evidence import _unlisted_sites
from calcinosis.engine.questions import _NO_GAIN, _look_ahead, _within_reach
from calcinosis.engine.tables import _places, tables

from ._look_ahead import look_ahead_inputs
from .batch.cohort import cohort
from .conftest import DEV_CASES, REPO

PUBLISHED = sorted((REPO / "tests" / "data" / "published" / "cases").rglob("*.yaml"))


@pytest.fixture(scope="module")
def cases(kb: KnowledgeBase) -> list[Case]:
    """The dev cases, every fifth published case and 150 generated ones."""
    out = [read_case(p, kb) for p in DEV_CASES + PUBLISHED[::5]]
    return out + [parse_case(data, kb) for data in cohort(kb, 150, seed=47)]


def test_the_bound_keeps_every_question_that_reaches_the_floor(kb: KnowledgeBase, cases: list[Case]) -> None:
    """Every feature whose full look-ahead gain reaches the floor is within reach, and no other
    (the bound is the look-ahead's gain to rounding); with zero frequencies, a NaN keeps the
    feature."""
    floor = kb.constants.next_question_min_gain_bits.value
    t = tables(kb)
    reached = 0
    for case in cases:
        live, p, prior_entropy, askable, f1, p_yes = look_ahead_inputs(case, kb)
        _, gain = _look_ahead(p, f1, p_yes, prior_entropy, zeros=False)
        entropy = t.frequency_entropy.take(live, axis=0)
        kept = _within_reach(p, p_yes, entropy, askable, floor, zeros=False)
        assert set((gain >= floor).nonzero()[0].tolist()) <= set(kept.tolist())
        # and nothing far below the floor: the bound is the gain to rounding
        assert np.all(gain[kept] >= floor - 2 * _NO_GAIN)
        reached += int((gain >= floor).sum())
        edge = entropy.copy()
        edge[0, ::7] = np.nan  # a frequency of 0 or 1: its entropy is NaN, the feature is kept
        with_nan = _within_reach(p, p_yes, edge, askable, floor, zeros=True)
        nan_columns = np.isnan(p @ edge).take(askable).nonzero()[0]
        assert set(nan_columns.tolist()) <= set(with_nan.tolist())
    assert reached > 100


def test_unlisted_sites_are_the_site_tree_read_afresh(kb: KnowledgeBase, cases: list[Case]) -> None:
    """The sites a site list leaves out, remembered per list, are those neither above nor below a
    reported site, in vocabulary order."""
    vocab = kb.vocabulary
    seen = 0
    for case in cases:
        reported = {*case.sites, *(s for img in case.imaging for s in img.sites)}
        if not reported:
            continue
        related = set().union(*(vocab.related_sites(r) for r in reported))
        expected = tuple(f"site:{s}" for s in vocab.lists["sites"] if s not in related)
        assert _unlisted_sites(kb, frozenset(reported)) == expected
        seen += 1
    assert seen > 100


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_listed_diagnoses_show_their_reasons(kb: KnowledgeBase, cases: list[Case], lang: str) -> None:
    """A listed diagnosis' reasons for and against are the texts of its reasons whose ratio is
    above and below 1 (after the sentence of the form read, and of each unreported block of defining
    features), in their order, and
    its references its own then its reasons', each once."""
    seen = 0
    for case in cases[:80]:
        for result in diagnose(case, kb, lang=lang).differential:
            d = kb.diseases[kb.disease_pos(result.diagnosis)]
            against = [c.text for c in result.evidence if c.likelihood_ratio < 1]
            assert result.for_ == [c.text for c in result.evidence if c.likelihood_ratio > 1]
            assert result.against[len(result.against) - len(against) :] == against
            # one sentence per block of defining features paid for (none, the lesion's, the setting's),
            # after the one saying which form is read, for a diagnosis with forms
            assert (result.form is not None) == bool(d.forms)
            assert result.form is None or result.against[0] == result.form.text
            assert len(result.against) - len(against) == len(result.unreported_blocks) + bool(d.forms)
            assert bool(result.unreported_blocks) == (result.defining_unreported_lr is not None)
            refs = list(d.references)
            for ref in (ref for reason in result.evidence for ref in reason.references):
                if ref not in refs:
                    refs.append(ref)
            assert result.references == refs
            seen += 1
    assert seen > 100


def test_rule_mentions_come_in_the_rule_order(kb: KnowledgeBase, cases: list[Case]) -> None:
    """A rule's mentioned features, read from their places in its list, come as reading the
    whole list gives them, a feature listed twice included."""
    t = tables(kb)
    read = 0
    for case in cases:
        observations = analyse(case, kb)[1].observations
        for rule, logs in zip(kb.category_model.rules, t.rules, strict=True):
            mentioned = observations.keys() & logs.any_of
            expected = [fid for fid in rule.any_of if fid in mentioned]
            assert _in_rule_order(rule.any_of, logs.places, mentioned) == expected
            read += bool(mentioned)
    assert read > 50
    listed = ["b", "a", "c", "a", "d"]
    assert _in_rule_order(listed, _places(listed), {"a", "d"}) == ["a", "a", "d"]
