"""Posterior probabilities from priors and per-feature likelihoods, with dependency damping.

For diagnosis d and observed feature f in state s (present/absent):

    c[d, f] = log P(s | d) - log P(s | other causes)        (log likelihood ratio)

where P(present | d) is the diagnosis' frequency (its own, else its category default, else the
feature's baseline) and P(present | other causes) is the feature's baseline. Inside a
dependency group the contributions of each diagnosis are ranked by size and weighted
1, rho, rho^2, ... (rho = constants.yaml dependency_damping): correlated findings are not
counted as independent proofs. A diagnosis pays the unreported probability of each block of
its defining features (one, or two: the lesion and its setting) none of whose features is
reported present (denials count, up to what silence would cost). A diagnosis with forms (a
newborn's and an adult's fat necrosis) is scored form by form, each a row of the compiled
arrays, and its likelihood is their mixture (:func:`mixture`). The posterior then comes from
the category step (``category.py``): probabilities always sum to 1 and do not depend on the
order of the inputs. This is the likelihood-ratio
framework of LIRICAL (Robinson et al., Am J Hum Genet 2020;107:403-417) with an explicit
correction for dependence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from calcinosis.case.model import Case
from calcinosis.engine.category import CategoryStep, category_step, defining_terms, read_rules
from calcinosis.engine.evidence import Evidence, Observation
from calcinosis.engine.tables import Tables, blocks_by_row, tables
from calcinosis.kb.model import KnowledgeBase

__all__ = ["Scores", "mixture", "score"]

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    """Everything the explanation needs: observed columns, raw and weighted contributions."""

    feature_pos: npt.NDArray[np.int64]  # observed feature columns (m)
    present: npt.NDArray[np.bool_]  # state of each observed feature (m)
    contribution: FloatArray  # D x m, log LR before damping
    weight: FloatArray  # D x m, damping weight
    weighted: FloatArray  # D x m, contribution times weight (what the log LR adds up)
    state_columns: list[int]  # m: each observed feature's state column, present in the first F, absent in the next F
    log_score: FloatArray  # D: log prior + log LR (defining penalty included)
    posterior: FloatArray  # D: from the category step
    prior: FloatArray  # D
    defining_log: FloatArray  # D: log penalty for unreported defining features (0 = none), strength applied
    category: CategoryStep
    # D: the row each diagnosis is shown by (itself, or the form that carries most of its
    # likelihood for this case: the contributions above are that row's)
    row: npt.NDArray[np.int64]
    # R: every row's share of its diagnosis' likelihood for this case (1 for a diagnosis without
    # forms): P(form | diagnosis, case), which management reads to follow the form
    row_weight: FloatArray
    # R: each row's Σ weight × log LR, before its defining blocks and the mixture (what the
    # fit of the global constants recombines: scripts/fit_constants.py)
    row_evidence: FloatArray
    # B: what each block of defining features costs this case (category.defining_terms), and
    # the blocks it only denies with their denied features: what the explanation says
    block_cost: FloatArray
    denied_blocks: dict[int, list[str]]


def score(evidence: Evidence, kb: KnowledgeBase, case: Case | None = None) -> Scores:
    """Score every diagnosis of ``kb`` against ``evidence`` (``case`` gives exposure timings).

    Examples
    --------
    >>> from calcinosis import load_kb
    >>> from calcinosis.engine.evidence import Evidence, Observation
    >>> kb = load_kb()
    >>> s = score(Evidence(), kb)
    >>> round(float(s.posterior.sum()), 6)
    1.0
    """
    t = tables(kb)
    observations = evidence.observations
    unlisted = kb.constants.unlisted_site_weight.value
    pos_list, column, code, members = _columns(observations, t, scored_closed=unlisted != 0)
    pos = np.array(pos_list, dtype=np.int64)
    # observed features as rows (m x D): the sum over them below then adds them one after the
    # other, in feature-id order, as it always has (a sum along rows would pair them up and
    # change the last bit)
    columns = np.array(column, dtype=np.int64)
    contribution = t.log_lr_by_state[columns]
    weight = _weights(contribution, members, code, t, unlisted)
    block_cost, denied = defining_terms(evidence, kb)
    defining = blocks_by_row(block_cost, t.block_row, t.n_rows)
    weighted = contribution * weight
    summed = np.add.reduce(weighted, axis=0)  # what .sum(axis=0) calls, without its wrapper
    row_log = summed + defining
    contribution, weight, weighted = contribution.T, weight.T, weighted.T  # rows x m
    if t.mixed:
        row_log, row, row_weight, form_shown = mixture(row_log, t)
        if form_shown:  # a form is shown: its rows replace its diagnosis'
            contribution, weight, weighted, defining = contribution[row], weight[row], weighted[row], defining[row]
        else:  # every diagnosis shown by its own row: the first D rows, without a copy
            n_d = len(t.disease_ids)
            contribution, weight, weighted, defining = contribution[:n_d], weight[:n_d], weighted[:n_d], defining[:n_d]
    else:
        row, row_weight = t.identity_rows, t.whole_shares
    log_lr = row_log / kb.constants.temperature.value
    rules = read_rules(case or _NO_CASE, evidence, kb)
    step = category_step(log_lr, rules, kb)
    return Scores(
        feature_pos=pos,
        present=columns < t.n_features,  # a column past F is the absent state
        contribution=contribution,
        weight=weight,
        weighted=weighted,
        state_columns=column,
        log_score=kb.log_prior + log_lr,
        posterior=step.posterior,
        prior=t.prior,
        defining_log=defining,
        category=step,
        row=row,
        row_weight=row_weight,
        row_evidence=summed,
        block_cost=block_cost,
        denied_blocks=denied,
    )


def mixture(row_log: FloatArray, t: Tables) -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray, bool]:
    """Each diagnosis' log LR from its rows' (R); the row that carries most of it; every row's
    share of its diagnosis' likelihood (R); whether any shown row is a form rather than its
    diagnosis' own.

    A diagnosis with forms is a mixture: P(case | d) = Σ_form P(form | d) P(case | form), so its
    log LR is the log-sum-exp over its rows of log share + the row's log LR; a diagnosis without
    forms keeps its own row's value, to the bit. A diagnosis has a handful of rows at most, so
    the sum is taken on Python floats (numpy's per-call cost was most of it).
    """
    out = row_log[: len(t.disease_ids)].copy()
    row = t.identity_rows.copy()
    weight = np.ones(t.n_rows)
    form_shown = False
    for d, rows, log_shares in t.mixed:
        parts = [s + float(row_log[r]) for r, s in zip(rows, log_shares, strict=True)]
        top = max(parts)
        total = top + math.log(sum(math.exp(p - top) for p in parts))
        k = parts.index(top)
        out[d], row[d] = total, rows[k]
        for r, p in zip(rows, parts, strict=True):
            weight[r] = math.exp(p - total)
        form_shown = form_shown or k > 0
    return out, row, weight, form_shown


def _columns(
    observations: dict[str, Observation], t: Tables, *, scored_closed: bool
) -> tuple[list[int], list[int], list[int], list[list[int]]]:
    """For the scored features, in id order (input order must not matter): their positions,
    their state columns (present in the first F, absent in the next F), their codes (a site
    absent only because the case lists others counts with its own weight, constants.yaml: its
    code carries it, past the 2F states) and the rows of each dependency group, in one pass
    over them. Features never scored (nested age bands) and implied states (eGFR < 60 when
    < 15) stay out: one measurement, one likelihood. So do the closed-world sites when their
    weight is 0 (``scored_closed`` False): they would count for nothing and, ranked by what
    they count, come last in their group, so leaving them out changes no number."""
    place, n_f, not_scored = t.place, t.n_features, t.not_scored
    closed_shift = 2 * n_f
    pos_list: list[int] = []
    column: list[int] = []
    code: list[int] = []
    members: defaultdict[int, list[int]] = defaultdict(list)  # dependency group -> its observed rows
    for f in sorted(observations):
        o = observations[f]
        if o.implied or f in not_scored or (o.closed_world and not scored_closed):
            continue
        j, group = place[f]
        c = j if o.present else j + n_f
        members[group].append(len(column))
        pos_list.append(j)
        column.append(c)
        code.append(c + closed_shift if o.closed_world else c)
    return pos_list, column, code, list(members.values())


def _weights(
    contribution: FloatArray, groups: list[list[int]], code: list[int], t: Tables, unlisted: float
) -> FloatArray:
    """The weight of each (observed feature, diagnosis): rho ** rank inside its dependency group,
    times ``unlisted`` for a site absent only because the case lists others.

    Inside a group the contributions of a diagnosis are ranked by size, ties in row
    (feature-id) order: the stable sort of each group; a feature alone in its group keeps rank
    0. A group's weights depend only on which of its features are observed, in which state and
    whether closed-world (``code``), so they are kept per such pattern with the knowledge
    base's tables, as the batch kernel keeps its group corrections: the same patterns come back
    case after case (a list of sites leaves the same sites of a region absent), and ranking
    them again cost more than the rest of the scoring.
    """
    weight = np.empty(contribution.shape)
    weight.fill(1.0)  # np.ones, without its Python wrapper
    closed_from = 2 * t.n_features
    rows: list[int] = []
    blocks: list[FloatArray] = []
    alone: list[int] = []  # closed-world sites alone in their group: the weight without a rank
    for members in groups:
        if len(members) == 1:
            if code[members[0]] >= closed_from:
                alone.append(members[0])
            continue
        key = tuple(map(code.__getitem__, members))
        block = t.damped.get(key)
        if block is None:
            closed = [k for k, c in enumerate(key) if c >= closed_from]
            block = _ranked(contribution[members], t.damping, closed, unlisted)
            if len(t.damped) < DAMPED_PATTERNS_KEPT:
                t.damped[key] = block
        rows.extend(members)
        blocks.append(block)
    if blocks:
        weight[rows] = np.concatenate(blocks)
    if alone:
        weight[alone] *= unlisted
    return weight


DAMPED_PATTERNS_KEPT = 4096
"""At most this many group patterns are kept per knowledge base (about 2 KB each); others are ranked each time."""


def _ranked(block: FloatArray, damping: FloatArray, closed: list[int], unlisted: float) -> FloatArray:
    """The weights of one group's rows (k x D): rho ** rank per diagnosis, ranked by the size of
    what each row counts (a closed-world row at ``unlisted`` times its log LR, so that a site
    the case merely left out never pushes a reported one down the ranks), then the closed-world
    rows times ``unlisted``."""
    size = np.abs(block)
    if closed:
        size[closed] *= unlisted
    order = np.argsort(-size, axis=0, kind="stable")
    ranks = np.argsort(order, axis=0, kind="stable")
    weights = damping[ranks]
    if closed:
        weights[closed] *= unlisted
    weights.flags.writeable = False
    return weights


_NO_CASE = Case.model_validate({"patient": {"age": 40, "sex": "unknown"}})
