"""The single-case engine's fast paths give exactly what the straightforward computation gives.

Issue #17 made ``diagnose`` about twice as fast by computing once per knowledge base what does
not depend on the case (``engine/tables.py``), ranking the dependency groups once per pattern,
writing each reason's sentence once, and building the result objects without validating them
again. None of it may change a result: these tests hold each fast path to a plain
re-implementation of what the engine did before (the numbers to the last bit), and each built
result object to its validated copy.
"""

from __future__ import annotations

import gc
import math
import random
import warnings
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from babel.numbers import NumberPattern
from pydantic import BaseModel

from calcinosis import KnowledgeBase, diagnose, load_kb, parse_case, read_case
from calcinosis.case.labs import interpret_labs
from calcinosis.case.model import Case
from calcinosis.engine import tables as tables_module
from calcinosis.engine.category import read_rules, unreported_defining
from calcinosis.engine.diagnose import analyse
from calcinosis.engine.evidence import Evidence, collect_evidence
from calcinosis.engine.questions import next_questions
from calcinosis.engine.reasons import _BASIS, _WEIGHT, _Sentence
from calcinosis.engine.results import Contribution, DiagnosisReport, built
from calcinosis.engine.scoring import score
from calcinosis.engine.tables import row_blocks, tables
from calcinosis.i18n import _babel_percent, percent

from .batch.cohort import cohort
from .conftest import DEV_CASES, REPO

PUBLISHED = sorted((REPO / "tests" / "data" / "published" / "cases").rglob("*.yaml"))


@pytest.fixture(scope="module")
def cases(kb: KnowledgeBase) -> list[Case]:
    """The dev cases, every tenth published case and 120 generated ones."""
    out = [read_case(p, kb) for p in DEV_CASES + PUBLISHED[::10]]
    return out + [parse_case(data, kb) for data in cohort(kb, 120, seed=31)]


# ---- scoring: the arithmetic as it was, one case at a time --------------------------------


def _plain_scores(ev: Evidence, kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contribution, weight and composite log LR of every diagnosis, computed as before #17:
    the observed features in id order, each dependency group ranked by its own stable sort of
    what each feature counts (a closed-world site at its weight; at weight 0 it is not scored)."""
    unlisted = kb.constants.unlisted_site_weight.value
    ids = sorted(
        f
        for f, o in ev.observations.items()
        if not (o.implied or kb.not_scored[kb.feature_pos(f)] or (o.closed_world and unlisted == 0))
    )
    pos = np.array([kb.feature_pos(f) for f in ids], dtype=np.int64)
    present = np.array([ev.observations[f].present for f in ids], dtype=bool)
    closed = np.array([ev.observations[f].closed_world for f in ids], dtype=bool)
    if len(ids):
        log_d = np.where(present, kb.log_present[:, pos], kb.log_absent[:, pos])
        base = kb.baseline[pos]
        contribution = log_d - np.where(present, np.log(base), np.log1p(-base))
    else:
        contribution = np.zeros((kb.frequency.shape[0], 0))
    weight = np.ones_like(contribution)
    rho = kb.constants.dependency_damping.value
    groups = kb.group_index[pos] if len(ids) else np.zeros(0, dtype=np.int64)
    for g in np.unique(groups):
        cols = np.flatnonzero(groups == g)
        if len(cols) > 1:
            counted = contribution[:, cols] * np.where(closed[cols], unlisted, 1.0)
            order = np.argsort(-np.abs(counted), axis=1, kind="stable")
            weight[:, cols] = rho ** np.argsort(order, axis=1, kind="stable")
    if len(ids):
        weight[:, closed] *= unlisted
    n_rows = kb.frequency.shape[0]  # the diagnoses, then their forms' rows (kb.forms)
    defining = np.zeros(n_rows)
    kappa, temperature = kb.constants.defining_strength.value, kb.constants.temperature.value
    for r in range(n_rows):
        blocks = row_blocks(kb, r)
        for _, block in blocks:  # each block none of whose features is said present costs its own
            said = [f for f in block.any_of if f in ev.observations and not ev.observations[f].closed_world]
            # a setting that widens the defining block is satisfied by a defining feature too
            widened = dict(blocks)["defining"].any_of if block.widens else []
            if any(ev.observations[f].present for f in [*said, *widened] if f in ev.observations):
                continue
            cost = kappa * float(np.log(block.unreported_probability))
            if set(said) == set(block.any_of):  # every feature denied: the denials say it alone
                cost = 0.0
            defining[r] += cost
    row_log = (contribution * weight).sum(axis=1) + defining
    # a diagnosis with forms: log Σ share * LR over its rows, shown by the row that carries most
    n_d = len(kb.diseases)
    log_lr, shown = row_log[:n_d].copy(), np.arange(n_d)
    for i, d in enumerate(kb.diseases):
        if d.forms:
            rows = [i, *(f.row for f in kb.forms if f.disease == i)]
            log_shares = np.log(np.array([d.main_share, *(f.share for f in d.forms)])).tolist()
            parts = [s + float(row_log[r]) for r, s in zip(rows, log_shares, strict=True)]
            top = max(parts)
            log_lr[i] = top + math.log(sum(math.exp(p - top) for p in parts))
            shown[i] = rows[parts.index(top)]
    return contribution[shown], weight[shown], log_lr / temperature


def _plain_posterior(log_lr: np.ndarray, case: Case, ev: Evidence, kb: KnowledgeBase) -> np.ndarray:
    """The category step as before #17: each category's log-sum-exp on its own."""
    k = kb.constants
    a = kb.log_prior_within + log_lr
    log_m = np.full(len(kb.category_names), -np.inf)
    for g in range(len(kb.category_names)):
        members = a[kb.disease_category == g]
        top = members.max()
        log_m[g] = top + np.log(np.exp(members - top).sum())
    rules = sum((r.log_likelihood for r in read_rules(case, ev, kb)), np.zeros(len(kb.category_names)))
    logits = k.category_prior_strength.value * kb.log_category_prior + k.rule_strength.value * rules
    logits = logits + k.differential_strength.value * log_m
    cat = np.exp(logits - logits.max())
    cat /= cat.sum()
    posterior = cat[kb.disease_category] * np.exp(a - log_m[kb.disease_category])
    return np.asarray(posterior / posterior.sum())


def test_scores_are_the_plain_computation_to_the_last_bit(kb: KnowledgeBase, cases: list[Case]) -> None:
    """Per-pattern group weights (first met and remembered), the knowledge base's log LRs
    computed once, the defining penalty by intersection: the same numbers, bit for bit."""
    tables(kb).damped.clear()
    for _ in range(2):  # first with the patterns new, then remembered
        for case in cases:
            ev = collect_evidence(case, interpret_labs(case, kb), kb)
            s = score(ev, kb, case)
            contribution, weight, log_lr = _plain_scores(ev, kb)
            assert np.array_equal(s.contribution, contribution)
            assert np.array_equal(s.weight, weight)
            assert np.array_equal(s.log_score, kb.log_prior + log_lr)
            assert np.array_equal(s.posterior, _plain_posterior(log_lr, case, ev, kb))
            defining = unreported_defining(ev, kb)
            assert np.array_equal(defining[s.row], s.defining_log)
    assert tables(kb).damped, "the group patterns are remembered"


def test_shared_tables_cannot_be_changed(kb: KnowledgeBase, cases: list[Case]) -> None:
    """What every case shares is read-only: a caller that writes into it fails loudly."""
    t = tables(kb)
    s = score(collect_evidence(cases[0], interpret_labs(cases[0], kb), kb), kb, cases[0])
    for shared in (t.log_lr_by_state, t.prior, s.prior, s.category.rules[0].log_likelihood, *t.damped.values()):
        with pytest.raises(ValueError, match="read-only"):
            shared[..., 0] = 0.0


def test_tables_belong_to_their_knowledge_base(kb: KnowledgeBase) -> None:
    """One set of tables per knowledge base object, dropped when it goes."""
    assert tables(kb) is tables(kb)
    other = load_kb(cache=False)
    other_tables = tables(other)
    assert other_tables is not tables(kb)
    assert np.array_equal(other_tables.log_lr_by_state, tables(kb).log_lr_by_state)
    key = id(other)
    del other
    gc.collect()
    assert key not in tables_module._TABLES


# ---- next questions: the look-ahead over every askable feature, as before --------------------


def _plain_questions(
    kb: KnowledgeBase, posterior: np.ndarray, observed: set[str], rows: np.ndarray
) -> list[tuple[str, float]]:
    """(feature, rounded gain) of the questions, from the full look-ahead as before #17; a
    diagnosis answers as its ``rows`` entry (itself, or the form carrying most of it: Scores.row)."""

    def entropy(p: np.ndarray) -> np.ndarray:
        return np.asarray(-(p * np.log2(np.where(p > 0, p, 1.0))).sum(axis=0))

    want, floor = int(kb.constants.next_questions.value), kb.constants.next_question_min_gain_bits.value
    live = np.flatnonzero(posterior >= 1e-6)
    p = posterior[live] / posterior[live].sum()
    prior = entropy(p)
    if want <= 0 or prior < floor:
        return []
    mask = kb.askable.copy()
    mask[[kb.feature_pos(f) for f in observed]] = False
    askable = np.flatnonzero(mask)
    f1 = kb.frequency[np.ix_(rows[live], askable)]
    p_yes = p @ f1
    yes, no = p[:, None] * f1 / p_yes, p[:, None] * (1 - f1) / (1 - p_yes)
    gain = prior - (p_yes * entropy(yes) + (1 - p_yes) * entropy(no))
    named = np.argsort(-p)[:8]  # the diagnoses a question's effect can name
    out: list[tuple[str, float]] = []
    texts: set[str] = set()
    groups: set[str] = set()
    distinct = 0
    for j in np.argsort(-gain, kind="stable"):
        if len(out) >= want or distinct >= 2 * want or gain[j] < floor:
            break
        feature = kb.features[kb.feature_ids[askable[j]]]
        if feature.question("en") in texts or feature.group in groups:
            continue
        texts.add(feature.question("en"))
        groups.add(feature.group)
        distinct += 1
        moved = np.abs(np.concatenate([yes[named, j], no[named, j]]) - np.concatenate([p[named], p[named]]))
        if (moved > 0.02).any():  # a question that moves none of them is not asked
            out.append((feature.id, round(float(gain[j]), 4)))
    return out


def test_questions_are_the_full_look_ahead(kb: KnowledgeBase, cases: list[Case]) -> None:
    """Leaving out the features every live diagnosis holds equally, and reading yes and no side
    by side, asks the same questions with the same gains."""
    asked = 0
    for case in cases:
        _, ev, s = analyse(case, kb)
        got = [
            (q.feature, q.expected_information_bits)
            for q in next_questions(s, kb, lang="en", observed=ev.observations.keys())
        ]
        assert got == _plain_questions(kb, s.posterior, set(ev.observations), s.row)
        asked += len(got)
    assert asked > 50


# ---- the result objects: built from checked parts, equal to their validated copies ----------


def _same(built_value: Any, validated: Any, where: str) -> None:
    """Equal values of the very same types, all the way down (a tuple where validation gives a
    list would serialise differently)."""
    assert type(built_value) is type(validated), where
    if isinstance(built_value, BaseModel):
        if built_value is validated:
            return
        assert list(built_value.__dict__) == list(validated.__dict__), where
        assert built_value.model_fields_set == validated.model_fields_set, where
        for name, value in built_value.__dict__.items():
            _same(value, validated.__dict__[name], f"{where}.{name}")
    elif isinstance(built_value, list):
        assert len(built_value) == len(validated), where
        for i, (a, b) in enumerate(zip(built_value, validated, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(built_value, dict):
        assert list(built_value) == list(validated), where
        for key in built_value:
            _same(built_value[key], validated[key], f"{where}.{key}")
    else:
        assert built_value == validated, where


def _validated(model: BaseModel) -> BaseModel:
    """``model`` validated again from its own fields, every nested result object too."""

    def again(value: Any) -> Any:
        if isinstance(value, BaseModel) and type(value).__module__ == "calcinosis.engine.results":
            return _validated(value)
        if isinstance(value, list):
            return [again(v) for v in value]
        return value

    return type(model).model_validate({name: again(value) for name, value in model.__dict__.items()})


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_built_reports_are_their_validated_copies(kb: KnowledgeBase, cases: list[Case], lang: str) -> None:
    """Every object of a report (reasons, diagnoses, questions, work-up, category basis,
    metadata) equals what validation makes of its fields, and serialises without a warning."""
    for case in cases[:60]:
        report = diagnose(case, kb, lang=lang)
        _same(report, _validated(report), f"{case.id}/{lang}")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            text = report.model_dump_json(by_alias=True)
        assert DiagnosisReport.model_validate_json(text).model_dump_json(by_alias=True) == text


def test_a_built_reason_behaves_as_a_model(kb: KnowledgeBase) -> None:
    """A reason built without validation can be changed, copied and compared like any model."""
    fields = {
        "feature": "finding:pain",
        "label": "Pain",
        "state": "present",
        "basis": ["findings[0] pain"],
        "frequency": 0.5,
        "baseline": 0.25,
        "likelihood_ratio": 2.0,
        "weight": 1.0,
        "origin": "diagnosis",
        "references": ["seed000"],
        "estimate": False,
        "note": None,
        "text": "Pain present (findings[0] pain): LR 2",
    }
    reason = built(Contribution, dict(fields))
    assert reason == Contribution.model_validate(fields)
    reason.label = "Painful"
    assert reason.model_copy(update={"weight": 0.5}).weight == 0.5
    assert reason.model_dump()["label"] == "Painful" and fields["label"] == "Pain"


# ---- texts: the same characters -------------------------------------------------------------


def test_sentence_slots_fill_as_a_template() -> None:
    """A reason's sentence cut at its two slots fills to what formatting the template gives."""
    template = "{label} ({basis}): LR {lr}{weight} {{braces}} kept"
    for basis, weight in (("findings[0] x", ""), ("labs[1] calcium {odd}", "; counted ×0.5")):
        sentence = _Sentence.of(template.format(label="A", basis=_BASIS, lr="2", weight=_WEIGHT))
        assert sentence.fill(basis, weight) == template.format(label="A", basis=basis, lr="2", weight=weight)
        before, after = sentence.undamped  # the form of a reason counted in full
        assert f"{before}{basis}{after}" == template.format(label="A", basis=basis, lr="2", weight="")
    reversed_slots = _Sentence.of(f"x{_WEIGHT}y{_BASIS}z")
    assert reversed_slots.fill("B", "W") == "xWyBz"
    assert reversed_slots.undamped == ("xy", "z") and reversed_slots.fill("B", "") == "xyBz"
    with pytest.raises(ValueError, match="each slot once"):
        _Sentence.of(f"no weight slot {_BASIS}")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_whole_percentages_are_babels(lang: str) -> None:
    """i18n.percent's whole percentages, written without Babel, are Babel's text: its
    half-to-even rounding of the printed decimal, the edges written in words, and exact ties;
    and they are written without Babel (a fallback to it once hid that the quick path had gone)."""
    rng = random.Random(7)
    values = [rng.random() for _ in range(5000)] + [i / 1000 for i in range(1001)]
    values += [x + d for x in (i / 200 for i in range(201)) for d in (0.0, 1e-16, -1e-16)]
    values += [0.0, 1.0, 1e-300, 0.004999999, 0.005, 0.995, 0.99499999, math.nextafter(1.0, 0)]
    for p in values:
        assert percent(p, lang) == _babel_percent(p, lang, 0), p
    assert percent(np.float64(0.425), lang) == percent(0.425, lang)  # a numpy number too (its repr is not a number)
    forty_two = _babel_percent(0.42, lang, 0)
    with patch.object(NumberPattern, "apply", side_effect=AssertionError("Babel called")):
        assert percent(0.425, lang) == forty_two  # half to even
        assert percent(0.004, lang).startswith("< 1") and percent(0.996, lang).startswith("> 99")


# ---- round two: the same answers from fewer steps -------------------------------------------


def test_question_effects_are_the_four_filters(kb: KnowledgeBase) -> None:
    """One comparison of every shift with the threshold, then the first three flagged names,
    gives the first three raised and the first three lowered, as the four list filters it
    replaced did (NaN and exact thresholds included)."""
    from calcinosis.engine.questions import _SHIFT, _first_three

    rng = random.Random(11)
    names = [f"d{i}" for i in range(8)]
    pool = [0.0, _SHIFT, -_SHIFT, 0.5, -0.5, 0.021, -0.021, math.nan, 1e-9]
    for _ in range(3000):
        shifts = [rng.choice(pool) if rng.random() < 0.5 else rng.uniform(-0.2, 0.2) for _ in names]
        raised = [n for n, v in zip(names, shifts, strict=True) if v > _SHIFT][:3]
        lowered = [n for n, v in zip(names, shifts, strict=True) if v < -_SHIFT][:3]
        as_array = np.array(shifts)
        assert _first_three(names, (as_array > _SHIFT).tolist()) == raised
        assert _first_three(names, (as_array < -_SHIFT).tolist()) == lowered


def test_unreported_rules_are_the_rule_tables(kb: KnowledgeBase, cases: list[Case]) -> None:
    """A rule the case does not report is the shared state made once: no basis, and P(not
    present | c) when its absence is informative, else nothing (zeros)."""
    t = tables(kb)
    seen = 0
    for case in cases:
        ev = collect_evidence(case, interpret_labs(case, kb), kb)
        for state, rule, logs in zip(read_rules(case, ev, kb), kb.category_model.rules, t.rules, strict=True):
            assert state.rule is rule
            if state.state == "not_reported":
                seen += 1
                expected = logs.log_not_present if rule.informative_when_absent else np.zeros(len(kb.category_names))
                assert state.basis == () and np.array_equal(state.log_likelihood, expected)
    assert seen > 100


def test_work_up_conditions_are_the_plain_reading(kb: KnowledgeBase, cases: list[Case]) -> None:
    """The work-up's 'any of these features present' (now a set intersection) and 'group of a
    diagnosis at the top' (now from one array comparison) read as the plain loops did."""
    from calcinosis.engine.workup import _Context, _holds, _steps

    checked = held = 0
    for case in cases:
        _, ev, s = analyse(case, kb)
        ctx = _Context(case, ev, kb, s.posterior, s)
        threshold = kb.workup.top_threshold
        assert ctx.top_groups == [
            d.group for d, p in zip(kb.diseases, s.posterior.tolist(), strict=True) if p >= threshold
        ]
        steps = [step for i in (None, *range(len(kb.diseases))) for step in _steps(kb, i)]
        for compiled in steps:
            for key, arg in compiled.checks:
                if key == "features_present_any":
                    listed = compiled.step.when[key]
                    plain = any(f in ev.observations and ev.observations[f].present for f in listed)
                    assert _holds(((key, arg),), ctx) == plain
                    checked += 1
                    held += plain
    assert checked > 100 and 0 < held < checked
