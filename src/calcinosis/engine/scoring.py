"""Posterior probabilities from priors and per-feature likelihoods, with dependency damping.

For diagnosis d and observed feature f in state s (present/absent):

    c[d, f] = log P(s | d) - log P(s | other causes)        (log likelihood ratio)

where P(present | d) is the diagnosis' frequency (its own, else its category default, else the
feature's baseline) and P(present | other causes) is the feature's baseline. Inside a
dependency group the contributions of each diagnosis are ranked by size and weighted
1, rho, rho^2, ... (rho = constants.yaml dependency_damping): correlated findings are not
counted as independent proofs. A diagnosis none of whose defining features is reported pays
their unreported probability. The posterior then comes from the category step
(``category.py``): probabilities always sum to 1 and do not depend on the order of the inputs. This is the likelihood-ratio framework of LIRICAL (Robinson et al.,
Am J Hum Genet 2020;107:403-417) with an explicit correction for dependence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calcinosis.case.model import Case
from calcinosis.engine.category import CategoryStep, category_step, read_rules, unreported_defining
from calcinosis.engine.evidence import Evidence
from calcinosis.kb.model import KnowledgeBase

__all__ = ["Scores", "score"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    """Everything the explanation needs: observed columns, raw and weighted contributions."""

    feature_pos: npt.NDArray[np.int64]  # observed feature columns (m)
    present: npt.NDArray[np.bool_]  # state of each observed feature (m)
    contribution: FloatArray  # D x m, log LR before damping
    weight: FloatArray  # D x m, damping weight
    log_score: FloatArray  # D: log prior + log LR (defining penalty included)
    posterior: FloatArray  # D: from the category step
    prior: FloatArray  # D
    defining_log: FloatArray  # D: log penalty for unreported defining features (0 = none), strength applied
    category: CategoryStep


def score(evidence: Evidence, kb: KnowledgeBase, case: Case | None = None) -> Scores:
    """Score every diagnosis of ``kb`` against ``evidence`` (``case`` gives exposure timings).

    Examples
    --------
    >>> from calcinosis import load_kb
    >>> from calcinosis.engine.evidence import Evidence
    >>> kb = load_kb()
    >>> s = score(Evidence(), kb)
    >>> round(float(s.posterior.sum()), 6)
    1.0
    """
    # sorted: input order must not matter; not_scored features (nested age bands) and implied
    # states (eGFR < 60 when < 15) stay out: one measurement, one likelihood
    ids = sorted(f for f, o in evidence.observations.items() if not (o.implied or kb.not_scored[kb.feature_pos(f)]))
    pos = np.array([kb.feature_pos(f) for f in ids], dtype=np.int64)
    present = np.array([evidence.observations[f].present for f in ids], dtype=bool)
    # a site absent only because the case lists others counts with its own weight (constants.yaml)
    closed = np.array([evidence.observations[f].closed_world for f in ids], dtype=bool)
    n_d = len(kb.diseases)
    if len(ids):
        log_d = np.where(present, kb.log_present[:, pos], kb.log_absent[:, pos])
        base = kb.baseline[pos]
        log_b = np.where(present, np.log(base), np.log1p(-base))
        contribution = log_d - log_b
    else:
        contribution = np.zeros((n_d, 0))
    weight = np.ones_like(contribution)
    rho = kb.constants.dependency_damping.value
    groups = kb.group_index[pos] if len(ids) else np.zeros(0, dtype=np.int64)
    for g in np.unique(groups):
        cols = np.flatnonzero(groups == g)
        if len(cols) < 2:
            continue
        block = np.abs(contribution[:, cols])
        order = np.argsort(-block, axis=1, kind="stable")
        ranks = np.argsort(order, axis=1, kind="stable")
        weight[:, cols] = rho**ranks
    if len(ids):
        weight[:, closed] *= kb.constants.unlisted_site_weight.value
    defining = kb.constants.defining_strength.value * unreported_defining(evidence, kb)
    log_lr = ((contribution * weight).sum(axis=1) + defining) / kb.constants.temperature.value
    rules = read_rules(case or _NO_CASE, evidence, kb)
    step = category_step(log_lr, rules, kb)
    return Scores(
        feature_pos=pos,
        present=present,
        contribution=contribution,
        weight=weight,
        log_score=kb.log_prior + log_lr,
        posterior=step.posterior,
        prior=np.exp(kb.log_prior),
        defining_log=defining,
        category=step,
    )


_NO_CASE = Case.model_validate({"patient": {"age": 40, "sex": "unknown"}})
