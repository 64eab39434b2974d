"""The category as its own step, and diagnoses that must earn their place.

Summing diagnosis posteriors into categories let a category's weight grow with the number
of diagnoses it lists (38 dystrophic diagnoses held 83 % of the prior mass), and the seeds'
classification rules only raised a warning. Here the category is decided by a small model of
its own (``category_model.yaml``):

    log P(c | case) = τ·log prior(c) + α·Σ_rules log P(rule state | c) + β·log M(c) + const
    M(c)            = Σ_{d in c} prior(d | c) · LR(d)          (the differential's evidence)
    P(d | case)     = P(category(d) | case) · prior(d | c) · LR(d) / M(c)

with LR(d) the diagnosis' composite likelihood ratio (scoring.py), times the unreported
probability^κ of each block of its defining features (the lesion's, the setting's) none of
whose features is reported present (a block only denied pays as much, its denials included:
:func:`defining_terms`). τ, α, β, κ are the global
constants ``category_prior_strength``, ``rule_strength``, ``differential_strength`` and
``defining_strength`` (constants.yaml), fitted by cross-validation, never per case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from calcinosis.case.model import Case
from calcinosis.engine.evidence import Evidence
from calcinosis.engine.tables import TEXTS_KEPT, Tables, blocks_by_row, tables
from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import CategoryRuleSpec

__all__ = [
    "CategoryStep",
    "RuleState",
    "category_step",
    "defining_terms",
    "read_rules",
    "unreported_defining",
]

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

RuleValue = Literal["present", "not_reported", "normal"]


@dataclass(frozen=True)
class RuleState:
    """One classification rule as the case states it, and P(that state | category) for each category."""

    rule: CategoryRuleSpec
    state: RuleValue
    basis: tuple[str, ...]
    log_likelihood: FloatArray  # C; zeros when the state says nothing


@dataclass(frozen=True)
class CategoryStep:
    """Everything the explanation of the category needs."""

    rules: tuple[RuleState, ...]
    log_prior_term: FloatArray  # C, τ·log prior(c)
    log_rule_term: FloatArray  # C, α·Σ log P(state | c)
    log_differential_term: FloatArray  # C, β·log M(c)
    category_posterior: FloatArray  # C
    within: FloatArray  # D, P(d | category(d), case)
    posterior: FloatArray  # D


def _exposure_in_window(case: Case, fid: str, windows: dict[str, float]) -> bool:
    """An exposure counts unless its stated onset falls outside the rule's window for it."""
    term = fid.partition(":")[2]
    days = case.onset_days_after.get(term)
    limit = windows.get(term)
    return days is None or limit is None or days <= limit


def read_rules(case: Case, ev: Evidence, kb: KnowledgeBase) -> tuple[RuleState, ...]:
    """The state of each rule of ``category_model.yaml`` in this case."""
    out = []
    observations = ev.observations
    t = tables(kb)
    unreported = _not_reported(kb, t)
    for rule, logs, not_reported in zip(kb.category_model.rules, t.rules, unreported, strict=True):
        # a rule lists up to dozens of features and a case mentions a few of them: the
        # mentioned ones come from one set intersection (which looks each of the rule's
        # features up among the observations), then are read in the rule's order
        mentioned = observations.keys() & logs.any_of
        hits = (
            [
                fid
                for fid in _in_rule_order(rule.any_of, logs.places, mentioned)
                if observations[fid].present
                and (not fid.startswith("exposure:") or _exposure_in_window(case, fid, rule.window_days))
            ]
            if mentioned
            else []
        )
        context = [fid for fid in rule.with_any_of if ev.present(fid)] if hits else []
        present = bool(hits) and (not rule.with_any_of or bool(context))
        if present:
            basis = tuple(b for fid in (*hits, *context) for b in observations[fid].basis)
            out.append(RuleState(rule, "present", basis, logs.log_present))
            continue
        measured = [observations.get(fid) for fid in rule.normal_when_measured]
        if rule.normal_when_measured and all(o is not None and not o.present for o in measured):
            basis = tuple(b for o in measured if o is not None for b in o.basis)
            out.append(RuleState(rule, "normal", basis, logs.log_not_present))
        else:
            out.append(not_reported)
    return tuple(out)


def _in_rule_order(any_of: list[str], places: dict[str, tuple[int, ...]], mentioned: set[str]) -> list[str]:
    """The mentioned features in the order the rule lists them (one listed twice comes twice),
    from their places in its list rather than by reading the whole list."""
    return [any_of[k] for k in sorted(k for fid in mentioned for k in places[fid])]


def _not_reported(kb: KnowledgeBase, t: Tables) -> tuple[RuleState, ...]:
    """Each rule's state when the case does not report it: the same for every such case (no
    basis; P(not present | c) when its absence is informative, else nothing), so made once per
    knowledge base and shared (a frozen object over read-only arrays)."""
    found: tuple[RuleState, ...] | None = t.texts.get(("rules_not_reported",))
    if found is None:
        found = t.texts[("rules_not_reported",)] = tuple(
            RuleState(rule, "not_reported", (), logs.log_not_present if rule.informative_when_absent else logs.silent)
            for rule, logs in zip(kb.category_model.rules, t.rules, strict=True)
        )
    return found


def _block_mentions(ev: Evidence, kb: KnowledgeBase) -> tuple[set[int], dict[int, list[str]]]:
    """The blocks of defining features (``Tables.block_disease``) of which the case reports a
    feature present (they cost their diagnosis nothing), and those of which it reports none
    present and some absent, each with its denied features in id order; in one pass over the
    observations that are defining features (a few), not diagnosis by diagnosis.

    A site absent only because the case lists other sites (closed world) was not reported at
    all. A denial is not a defining feature: "no history of trauma" leaves heterotopic
    ossification as undefined as silence does, and once counted as a mention it made the
    denial worth more to the diagnosis than saying nothing (the trauma's absence costs LR
    0.53, silence on every defining feature 0.07). :func:`defining_terms` says what a block
    only denied pays: what silence on it costs, the denials counting besides.
    """
    t = tables(kb)
    obs = ev.observations
    present: set[int] = set()
    denials: list[str] = []
    for fid in sorted(t.defining_features.intersection(obs)):
        o = obs[fid]
        if o.present:
            present.update(t.mentioned_by[fid])
        elif not o.closed_world:
            denials.append(fid)
    denied: dict[int, list[str]] = {}
    for fid in denials:
        for b in t.defined_by.get(fid, ()):  # a denial counts in its own blocks only
            if b not in present:
                denied.setdefault(b, []).append(fid)
    return present, denied


def defining_terms(
    ev: Evidence, kb: KnowledgeBase, strength: float | None = None
) -> tuple[FloatArray, dict[int, list[str]]]:
    """The log penalty of each block of defining features (B), times ``strength`` κ
    (``defining_strength`` when None), and the blocks the case only denies with their denied
    features; a block with a feature reported present costs 0.

    A block none of whose features the case reports present costs κ·log u, u its unreported
    probability, whether the case is silent on it or denies some of its features: u is the
    chance that a referral shows none of them, and a denial is one way of showing none. The
    denials count besides, as any absence does (each its own LR, damped in its dependency
    group): under the diagnosis a hallmark looked for and not found is rarer than in other
    causes, and which way of showing none the case took is evidence. A block every feature of
    which is denied costs nothing more: it cannot be shown then, and its denials say it all.
    Until code 0.7.30 a block only denied paid min(0, κ·log u − Σ its denials' log
    LRs), the denials taken as part of the silence: "no muscle weakness" cost juvenile
    dermatomyositis nothing beyond silence (LR 0.08 either way), and its three hallmarks all
    denied cost less than silence (LR 0.088 against 0.080, the denials damped in their group
    but subtracted whole): a clinician who looked and wrote "no rash, no weakness" had told the
    engine nothing more than one who wrote nothing (CHANGELOG 0.7.30).
    """
    t = tables(kb)
    k = kb.constants.defining_strength.value if strength is None else strength
    out = k * t.block_log
    if not t.defining_features.intersection(ev.observations):  # silent on every block
        return out, {}
    present, denied = _block_mentions(ev, kb)
    out[list(present)] = 0.0
    for b, fids in denied.items():
        if len(fids) == t.block_size[b]:
            out[b] = 0.0
    return out, denied


def unreported_defining(ev: Evidence, kb: KnowledgeBase, strength: float | None = None) -> FloatArray:
    """Each row's sum of its blocks' penalties (:func:`defining_terms`): 0 when the case
    reports a feature of every block present. A row is a diagnosis (its main form) or one of
    its forms (``Tables.n_rows``); a diagnosis has one block (what a clinician needs before
    holding it) or two (the lesion, and the setting it arises in: calciphylaxis' necrosis, and
    kidney failure or another risk context).
    """
    t = tables(kb)
    return blocks_by_row(defining_terms(ev, kb, strength)[0], t.block_row, t.n_rows)


def _logsumexp_by(values: FloatArray, t: Tables) -> FloatArray:
    """log Σ exp(values) over the diagnoses of each category.

    The values are put in category order once; each category's maximum comes from one
    reduction, and each sum from a slice (summed alone, as a category always was: the
    numbers do not change by a bit).
    """
    if not t.category_spans:  # a category without diagnoses: -inf, one at a time
        out = np.full(len(t.category_members), -np.inf)
        for g, idx in enumerate(t.category_members):
            if idx.size:
                group = values[idx]
                out[g] = group.max() + np.log(np.exp(group - group.max()).sum())
        return out
    ordered = values[t.by_category]
    tops = np.maximum.reduceat(ordered, t.category_starts)
    shifted = np.exp(ordered - tops[t.category_sorted])
    add = np.add.reduce  # what .sum() calls, without its Python wrapper
    sums = np.array([add(shifted[start:stop]) for start, stop in t.category_spans])
    return np.asarray(tops + np.log(sums))


def _fixed_terms(
    kb: KnowledgeBase, t: Tables, rules: tuple[RuleState, ...], tau: float, alpha: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """τ·log prior(c), α·Σ log P(rule state | c) and their sum, for the rules in their states
    (``rules``: :func:`read_rules`, one state for each rule of the knowledge base, in its order).

    They depend on the knowledge base and on which state each rule is in (present, normal or
    not reported: a few dozen combinations), not on the rest of the case; so each
    combination's terms are computed once, by the same operations in the same order, and kept
    with the knowledge base's tables, read-only (eight array operations per case before)."""
    key = ("category_terms", tau, alpha, *(r.state for r in rules))
    found: tuple[FloatArray, FloatArray, FloatArray] | None = t.texts.get(key)
    if found is None:
        prior_term = tau * kb.log_category_prior
        rule_sum = np.zeros(len(kb.category_names))
        for r in rules:  # the additions sum() made from zeros, each into the same array
            rule_sum += r.log_likelihood
        rule_term = alpha * rule_sum
        found = (prior_term, rule_term, prior_term + rule_term)
        for array in found:
            array.flags.writeable = False
        if len(t.texts) < TEXTS_KEPT:
            t.texts[key] = found
    return found


def category_step(
    log_lr: FloatArray,
    rules: tuple[RuleState, ...],
    kb: KnowledgeBase,
    *,
    prior_strength: float | None = None,
    rule_strength: float | None = None,
    differential_strength: float | None = None,
) -> CategoryStep:
    """Category and diagnosis posteriors from the diagnoses' log LRs (defining penalty included) and the rules.

    The strengths default to constants.yaml; ``scripts/fit_constants.py`` passes others to fit them.
    """
    k = kb.constants
    tau = k.category_prior_strength.value if prior_strength is None else prior_strength
    alpha = k.rule_strength.value if rule_strength is None else rule_strength
    beta = k.differential_strength.value if differential_strength is None else differential_strength
    t = tables(kb)
    a = kb.log_prior_within + log_lr  # log prior(d | c) + log LR(d)
    log_m = _logsumexp_by(a, t)
    within = np.exp(a - log_m[kb.disease_category])
    prior_term, rule_term, prior_and_rules = _fixed_terms(kb, t, rules, tau, alpha)
    diff_term = beta * log_m
    logits = prior_and_rules + diff_term  # (prior_term + rule_term) + diff_term, as always summed
    cat = np.exp(logits - np.maximum.reduce(logits))
    cat /= np.add.reduce(cat)
    posterior = cat[kb.disease_category] * within
    return CategoryStep(
        rules=rules,
        log_prior_term=prior_term,
        log_rule_term=rule_term,
        log_differential_term=diff_term,
        category_posterior=cat,
        within=within,
        posterior=posterior / np.add.reduce(posterior),
    )
