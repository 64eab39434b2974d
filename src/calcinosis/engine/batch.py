"""Many cases at once: the single-case scoring (``scoring.py``, ``category.py``) as array operations.

A cohort is first turned into an evidence matrix, one row per case and one column per feature
(+1 present, -1 absent, 0 not reported; which observations are implied or closed-world; the
delay from each exposure to the onset). The scoring is then done for a whole chunk of rows at
once, with the same arithmetic as the single case:

- features outside any dependency group: two matrix products (present states against the
  diagnoses' log likelihood ratios when present, absent states against those when absent);
- features of a dependency group (38 groups, 2-12 features each): the contributions of each
  (case, diagnosis) ranked by size inside the group and weighted 1, rho, rho^2...; the rank of
  an element is the number of larger elements plus the number of equal ones before it in
  feature-id order, which is exactly the stable sort of the single case; only the rows with
  two or more observed features in the group need it (for the others the weight is 1);
- the defining-feature penalty, the category rules (with each exposure's window), the
  category step and the diagnosis posteriors as in ``category.py``.

``score_matrix`` gives the posteriors of :func:`calcinosis.engine.scoring.score` to floating
point rounding (tested: every dev case and generated cases, max difference below 1e-9). The
explanations, questions and work-up are the single case's job (``diagnose``), run only for the
cases a user asks to explain.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.case.labs import interpret_labs
from calcinosis.case.model import Case
from calcinosis.engine.evidence import DERANGED_FEATURES, Evidence, collect_evidence
from calcinosis.engine.tables import tables
from calcinosis.kb.model import KnowledgeBase

__all__ = [
    "BatchResult",
    "BatchScores",
    "EvidenceMatrix",
    "evidence_matrix",
    "score_cases",
    "score_evidence",
    "score_matrix",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EvidenceMatrix:
    """The observations of N cases over the knowledge base's F features (its column order)."""

    state: npt.NDArray[np.int8]  # N x F: +1 present, -1 absent, 0 not reported
    implied: BoolArray  # N x F: implied by a stronger observation (read, not scored)
    closed: BoolArray  # N x F: a site absent only because others were listed
    onset_days: FloatArray  # N x F: days from the exposure to the onset (NaN: not stated)

    @property
    def n(self) -> int:
        """Number of cases."""
        return int(self.state.shape[0])

    @staticmethod
    def stack(parts: Sequence[EvidenceMatrix], order: npt.NDArray[np.int64] | None = None) -> EvidenceMatrix:
        """The rows of ``parts`` one after the other, then taken in ``order`` if given."""

        def join(name: str) -> npt.NDArray[Any]:
            whole = np.concatenate([getattr(p, name) for p in parts])
            return whole if order is None else whole[order]

        return EvidenceMatrix(join("state"), join("implied"), join("closed"), join("onset_days"))

    def rows(self, start: int, stop: int) -> EvidenceMatrix:
        """Cases ``start`` to ``stop`` (a view, not a copy)."""
        return EvidenceMatrix(
            self.state[start:stop], self.implied[start:stop], self.closed[start:stop], self.onset_days[start:stop]
        )


def _fill_row(matrix: EvidenceMatrix, i: int, ev: Evidence, case: Case, kb: KnowledgeBase) -> None:
    for fid, obs in ev.observations.items():
        j = kb.feature_pos(fid)
        matrix.state[i, j] = 1 if obs.present else -1
        matrix.implied[i, j] = obs.implied
        matrix.closed[i, j] = obs.closed_world
    for term, days in case.onset_days_after.items():
        fid = f"exposure:{term}"
        if fid in kb.features:
            matrix.onset_days[i, kb.feature_pos(fid)] = days


def evidence_matrix(cases: Sequence[Case], kb: KnowledgeBase) -> EvidenceMatrix:
    """The evidence matrix of validated cases (each case's evidence is read as ``diagnose`` reads it)."""
    n, f = len(cases), len(kb.feature_ids)
    matrix = EvidenceMatrix(
        state=np.zeros((n, f), dtype=np.int8),
        implied=np.zeros((n, f), dtype=bool),
        closed=np.zeros((n, f), dtype=bool),
        onset_days=np.full((n, f), np.nan),
    )
    for i, case in enumerate(cases):
        _fill_row(matrix, i, collect_evidence(case, interpret_labs(case, kb), kb), case, kb)
    return matrix


class _Compiled:
    """What the kernel needs from a knowledge base, computed once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        k = kb.constants
        self.rho = k.dependency_damping.value
        self.unlisted = k.unlisted_site_weight.value
        self.temperature = k.temperature.value
        self.kappa = k.defining_strength.value
        self.tau = k.category_prior_strength.value
        self.alpha = k.rule_strength.value
        self.beta = k.differential_strength.value
        base = kb.baseline
        self.cp = kb.log_present - np.log(base)[None, :]  # D x F, log LR when present
        self.ca = kb.log_absent - np.log1p(-base)[None, :]  # D x F, log LR when absent
        self.stacked = np.ascontiguousarray(np.concatenate([self.cp.T, self.ca.T]))  # 2F x D
        self.scorable = ~kb.not_scored
        # feature-id order: the single case sorts the observed ids, so ties rank in that order
        by_id = np.argsort(np.array(kb.feature_ids, dtype=object), kind="stable")
        groups: dict[int, list[int]] = {}
        for j in by_id:
            groups.setdefault(int(kb.group_index[j]), []).append(int(j))
        self.groups = [np.array(cols, dtype=np.int64) for cols in groups.values() if len(cols) > 1]
        if any(len(cols) > 12 for cols in self.groups):
            raise ValueError("a dependency group of more than 12 features does not fit the batch pattern code")
        self.n_groups = len(self.groups)
        self.group_of = np.full(len(kb.feature_ids), -1, dtype=np.int64)  # F: its group (-1: none)
        # F: its digit's place value, as a float (the weights of a bincount; exact below 2**53)
        self.place = np.zeros(len(kb.feature_ids))
        for g, cols in enumerate(self.groups):
            self.group_of[cols] = g
            self.place[cols] = _DIGITS ** np.arange(len(cols), dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.int64)  # the group patterns met so far, sorted
        self._at = np.zeros(0, dtype=np.int64)  # where each of them sits in the table
        self._table = np.zeros((64, kb.frequency.shape[0]))  # their corrections, in the order met (room to grow)
        self._size = 0  # rows of the table in use
        self._lock = threading.Lock()
        # the blocks of defining features (one or two per diagnosis: tables.py), B in all
        t = tables(kb)
        n_b = len(t.block_disease)
        self.defining = np.zeros((len(kb.feature_ids), n_b))  # F x B: feature reported present satisfies block b
        for fid, blocks in t.mentioned_by.items():
            self.defining[kb.feature_pos(fid), list(blocks)] = 1.0
        self.own = np.zeros((len(kb.feature_ids), n_b))  # F x B: the block's own features (all denied: no penalty)
        for fid, blocks in t.defined_by.items():
            self.own[kb.feature_pos(fid), list(blocks)] = 1.0
        # the blocks by their rank within their row (its first, its second): within one rank each
        # row comes once, so a rank's penalties are added to its columns in one step
        ranks = max((len(bs) for bs in t.blocks_of), default=0)
        self.block_ranks = [
            (np.array(blocks, dtype=np.int64), t.block_row[blocks])
            for blocks in ([bs[r] for bs in t.blocks_of if len(bs) > r] for r in range(ranks))
        ]
        # the diagnoses with forms (a column per row until they are mixed: scoring.mixture)
        self.n_diseases = len(kb.diseases)
        self.mixed = t.mixed
        self.block_penalty = self.kappa * t.block_log  # B: log LR when none of the block is reported present
        self.block_size = t.block_size.astype(np.float64)  # B: how many there are
        self.is_defining: BoolArray = np.asarray(self.defining.any(axis=1))  # F: defining feature of some diagnosis
        # the only features a case can leave out by listing others (closed world)
        self.site_cols = np.array([j for j, f in enumerate(kb.feature_ids) if f.startswith("site:")], dtype=np.int64)
        self.rules = kb.category_model.rules
        self.rule_cols = []
        names = kb.category_names
        for rule in self.rules:
            any_of = np.array([kb.feature_pos(f) for f in rule.any_of], dtype=np.int64)
            windows = np.array(
                [
                    rule.window_days.get(f.partition(":")[2], np.inf) if f.startswith("exposure:") else np.inf
                    for f in rule.any_of
                ]
            )
            context = np.array([kb.feature_pos(f) for f in rule.with_any_of], dtype=np.int64)
            measured = np.array([kb.feature_pos(f) for f in rule.normal_when_measured], dtype=np.int64)
            freq = np.array([rule.frequency[c] for c in names])
            self.rule_cols.append((any_of, windows, context, measured, np.log(freq), np.log1p(-freq)))
        self.category_of = kb.disease_category
        self.n_categories = len(names)
        self.by_category = np.argsort(kb.disease_category, kind="stable")  # diagnoses grouped by category
        ends = np.cumsum(np.bincount(kb.disease_category, minlength=len(names)))
        self.category_spans = list(zip([0, *ends[:-1].tolist()], ends.tolist(), strict=True))
        self.log_prior_within = kb.log_prior_within
        self.prior_term = self.tau * kb.log_category_prior
        self.deranged = np.array([kb.feature_pos(f) for f in DERANGED_FEATURES if f in kb.features], dtype=np.int64)
        self.calcium_high = kb.feature_pos("lab:calcium_high")
        self.phosphate_high = kb.feature_pos("lab:phosphate_high")

    def corrections(self, patterns: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Where each pattern key (``group * _GROUP_STRIDE + code``) sits in the table of group
        corrections (damped minus full sum, D values per pattern), and that table. A pattern is
        computed the first time a chunk holds it and kept for the knowledge base (a cohort holds
        a few thousand); a chunk only looks its patterns up, in one binary search. New rows are
        appended (the rows a chunk was given never move) and only the sorted index is merged."""
        with self._lock:
            keys, at = self._keys, self._at
            where = np.searchsorted(keys, patterns)
            known = where < len(keys)
            known[known] = keys[where[known]] == patterns[known]
            if known.all():
                return at[where], self._table[: self._size]
            new = np.unique(patterns[~known])
            groups = new // _GROUP_STRIDE
            rows = np.empty((len(new), self._table.shape[1]))
            for g in np.unique(groups).tolist():
                sel = groups == g
                rows[sel] = _group_correction(new[sel] % _GROUP_STRIDE, self.groups[g], self)
            start, stop = self._size, self._size + len(new)
            if stop > len(self._table):  # doubled: the views handed out keep the old rows
                grown = np.empty((max(2 * len(self._table), stop), self._table.shape[1]))
                grown[:start] = self._table[:start]
                self._table = grown
            self._table[start:stop] = rows
            self._size = stop
            found = np.empty(len(patterns), dtype=np.int64)
            found[known] = at[where[known]]
            found[~known] = start + np.searchsorted(new, patterns[~known])
            merged = np.concatenate([keys, new])
            order = np.argsort(merged, kind="stable")
            self._keys, self._at = merged[order], np.concatenate([at, np.arange(start, stop)])[order]
            return found, self._table[:stop]


_COMPILED: dict[int, tuple[KnowledgeBase, _Compiled]] = {}


def _compiled(kb: KnowledgeBase) -> _Compiled:
    held = _COMPILED.get(id(kb))
    if held is None or held[0] is not kb:
        held = (kb, _Compiled(kb))
        _COMPILED[id(kb)] = held
    return held[1]


@dataclass(frozen=True)
class BatchScores:
    """Posteriors of N cases."""

    log_lr: FloatArray  # N x D, composite log LR (damped, defining penalty, temperature)
    category_posterior: FloatArray  # N x C
    posterior: FloatArray  # N x D
    rule_state: npt.NDArray[np.int8]  # N x R: 0 not reported, 1 present, 2 normal


def _damped_group(c: FloatArray, wcol: FloatArray, rho: float) -> FloatArray:
    """Σ_i c_i · rho^rank_i · w_i over the last axis, rank by |c_i · w_i| descending (what each
    counts: a closed-world site at its weight), ties in column order.

    The rank of an element is the number of larger ones plus the number of equal ones before it:
    the stable sort of the single case. Counted pairwise for small groups, by a stable argsort
    for the larger ones (faster from about six features)."""
    key = np.abs(c * wcol[:, None, :])
    m = c.shape[-1]
    if m >= 6:
        order = np.argsort(-key, axis=-1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.broadcast_to(np.arange(m), order.shape), axis=-1)
    else:
        ranks = np.zeros(c.shape, dtype=np.int64)
        for i in range(m):
            for j in range(m):
                if j != i:
                    ranks[..., i] += key[..., j] > key[..., i] if j > i else key[..., j] >= key[..., i]
    powers = rho ** np.arange(m)
    return np.asarray((c * powers[ranks] * wcol[:, None, :]).sum(axis=-1))


def _log_lr(m: EvidenceMatrix, k: _Compiled) -> FloatArray:
    """Composite log LR of every case and diagnosis, from the observed entries only.

    One pass over the nonzero entries of the evidence (a case reports a few dozen of the 272
    features) gives everything: the full sum of the scored features as a sparse product (a
    closed-world site weighted ``unlisted``), each case's pattern in each dependency group as a
    base-5 code (0 not scored, 1 present, 2 absent, +2 closed world), and the defining features
    mentioned. Where a case has two or more features of a group, the damped minus the full sum
    of that group is added; it depends on the pattern only, so it is computed once per distinct
    pattern and remembered for the knowledge base (a cohort holds few patterns)."""
    from scipy.sparse import csr_matrix

    n, f = m.state.shape
    flat = np.flatnonzero(m.state != 0)  # row-major: rows come sorted (a bool scan is 4x faster)
    rows, cols = np.divmod(flat, f)
    present = m.state.reshape(-1)[flat] > 0
    scored = k.scorable[cols] & ~m.implied.reshape(-1)[flat]
    closed_any = m.closed.reshape(-1)[flat]  # a site absent only because others were listed
    if k.unlisted == 0:  # such a site counts for nothing and ranks last: not scored (as the single case)
        scored &= ~closed_any
    closed = closed_any & scored
    indptr = np.zeros(n + 1, dtype=np.int64)
    # every feature counted in full first, a closed-world site with its weight
    r, c, p = rows[scored], cols[scored], present[scored]
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    closed_scored = closed[scored]
    weight = np.where(closed_scored, k.unlisted, 1.0)
    x = csr_matrix((weight, np.where(p, c, c + f), indptr), shape=(n, 2 * f))
    total = np.asarray(x @ k.stacked)
    # dependency groups: each case's code per group, from its scored entries in a group
    in_group = k.group_of[c] >= 0
    if in_group.any():
        cg = c[in_group]
        key = r[in_group] * k.n_groups + k.group_of[cg]
        digit = 2.0 - p[in_group]  # 1 present, 2 absent (floats: the weights of the bincount below)
        digit += 2.0 * closed_scored[in_group]
        size = n * k.n_groups
        count = np.bincount(key, minlength=size)
        code = np.bincount(key, weights=digit * k.place[cg], minlength=size)
        pairs = np.flatnonzero(count >= 2)  # sorted: by case, then group
        if pairs.size:
            pattern = (pairs % k.n_groups) * _GROUP_STRIDE + code[pairs].astype(np.int64)
            where, corrections = k.corrections(pattern)
            ptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(pairs // k.n_groups, minlength=n), out=ptr[1:])
            y = csr_matrix((np.ones(pairs.size), where, ptr), shape=(n, len(corrections)))
            total += np.asarray(y @ corrections)
    # the defining-feature penalty: none of a block's features reported present (a site absent
    # only because others were listed is no report), nothing more when every one is denied
    # (category.defining_terms)
    d = k.is_defining[cols] & ~closed_any
    said_present = present[d]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[d], minlength=n), out=ptr[1:])
    mention = csr_matrix((said_present.astype(np.float64), cols[d], ptr), shape=(n, f))
    mentioned = np.asarray(mention @ k.defining)  # N x B: features reported present
    penalty = np.broadcast_to(k.block_penalty, mentioned.shape).copy()
    if not said_present.all():  # a block whose every feature is denied: its denials say it
        denial = csr_matrix(((~said_present).astype(np.float64), cols[d], ptr), shape=(n, f))
        penalty[np.asarray(denial @ k.own) == k.block_size[None, :]] = 0.0
    penalty[mentioned > 0] = 0.0
    # each block into its row's column, the first blocks of every row at once, then the second
    # ones (a row's two blocks within a rounding of the single case)
    for blocks, rows_of_blocks in k.block_ranks:
        total[:, rows_of_blocks] += penalty[:, blocks]
    if k.mixed:
        total = _mixed(total, k)
    if k.temperature != 1.0:  # dividing by 1 changes nothing: skipped
        total /= k.temperature
    return np.asarray(total)


def _mixed(total: FloatArray, k: _Compiled) -> FloatArray:
    """Each diagnosis' log LR from its rows' (N x R to N x D): a diagnosis with forms gets the
    log-sum-exp over its rows of log share + the row's log LR, as the single case does
    (``scoring.mixture``), written over its own column; the others keep theirs (the first D
    columns, a view: no copy of the chunk)."""
    for d, rows, log_shares in k.mixed:
        parts = total[:, rows] + np.array(log_shares)[None, :]
        top = parts.max(axis=1)
        total[:, d] = top + np.log(np.exp(parts - top[:, None]).sum(axis=1))
    return total[:, : k.n_diseases]


_DIGITS = 5  # base of a group's pattern code: a digit per feature, 0 to 4
_GROUP_STRIDE = _DIGITS**13
"""Separates the groups' codes in one key (the largest group has 12 features)."""


def _group_correction(codes: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], k: _Compiled) -> FloatArray:
    """The damped minus the full sum of one dependency group, for each pattern code (P x D)."""
    m = len(cols)
    digits = (codes[:, None] // (_DIGITS ** np.arange(m, dtype=np.int64))[None, :]) % _DIGITS
    is_closed = digits >= 3
    plain_digit = np.where(is_closed, digits - 2, digits)
    weight = np.where(is_closed, k.unlisted, 1.0)
    c = (plain_digit == 1)[:, None, :] * k.cp[None, :, cols] + (plain_digit == 2)[:, None, :] * k.ca[None, :, cols]
    return np.asarray(_damped_group(c, weight, k.rho) - (c * weight[:, None, :]).sum(axis=-1))


def _rules(m: EvidenceMatrix, k: _Compiled) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    n = m.n
    term = np.zeros((n, k.n_categories))
    states = np.zeros((n, len(k.rules)), dtype=np.int8)
    # rows read column by column carry no delay: their onset array is one NaN seen as N x F
    delays = m.onset_days.strides != (0, 0)
    for r, (rule, (any_of, windows, context, measured, log_f, log_not_f)) in enumerate(
        zip(k.rules, k.rule_cols, strict=True)
    ):
        if delays:
            onset = m.onset_days[:, any_of]
            in_window = np.isnan(onset) | (onset <= windows[None, :])
            hits = ((m.state[:, any_of] > 0) & in_window).any(axis=1)
        else:
            hits = (m.state[:, any_of] > 0).any(axis=1)  # only the rule's columns are read
        if context.size:
            hits &= (m.state[:, context] > 0).any(axis=1)
        normal = (m.state[:, measured] == -1).all(axis=1) & ~hits if measured.size else np.zeros(n, dtype=bool)
        states[hits, r] = 1
        states[normal, r] = 2
        term[hits] += log_f
        term[normal] += log_not_f
        if rule.informative_when_absent:
            term[~hits & ~normal] += log_not_f
    return k.alpha * term, states


def _score_rows(rows: EvidenceMatrix, k: _Compiled) -> BatchScores:
    log_lr = _log_lr(rows, k)
    rule_term, states = _rules(rows, k)
    a = k.log_prior_within[None, :] + log_lr
    log_m = np.empty((rows.n, k.n_categories))
    by_category = a[:, k.by_category]  # one copy, each category's diagnoses side by side
    for c, (start, stop) in enumerate(k.category_spans):
        block = by_category[:, start:stop]
        top = block.max(axis=1)
        log_m[:, c] = top + np.log(np.exp(block - top[:, None]).sum(axis=1))
    within = np.exp(a - log_m[:, k.category_of])
    logits = k.prior_term[None, :] + rule_term + k.beta * log_m
    cat = np.exp(logits - logits.max(axis=1, keepdims=True))
    cat /= cat.sum(axis=1, keepdims=True)
    posterior = cat[:, k.category_of] * within
    posterior /= posterior.sum(axis=1, keepdims=True)
    return BatchScores(log_lr, cat, posterior, states)


def score_matrix(
    m: EvidenceMatrix, kb: KnowledgeBase, *, chunk: int = 10_000, threads: int | None = None
) -> BatchScores:
    """Posteriors of every case of ``m``, in chunks of ``chunk`` rows (bounded memory) scored on
    ``threads`` threads (default: one per CPU; numpy releases the GIL in the array work, and each
    chunk is independent, so the result does not depend on the number of threads)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    k = _compiled(kb)
    starts = range(0, max(m.n, 1), chunk)
    workers = min(threads or os.cpu_count() or 1, len(starts))
    if workers <= 1:
        parts = [_score_rows(m.rows(s, s + chunk), k) for s in starts]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda s: _score_rows(m.rows(s, s + chunk), k), starts))
    return BatchScores(*(np.concatenate([getattr(p, f) for p in parts]) for f in BatchScores.__dataclass_fields__))


@dataclass(frozen=True)
class BatchResult:
    """The category and the leading diagnoses of N cases, with what the classification rested on."""

    ids: list[str | None]
    category_names: tuple[str, ...]
    disease_ids: tuple[str, ...]
    rule_ids: tuple[str, ...]
    scores: BatchScores
    top_k: int
    phosphocalcic_codes: npt.NDArray[np.int8]  # 0 unknown, 1 normal, 2 deranged

    @property
    def category_probabilities(self) -> FloatArray:
        """N x C."""
        return self.scores.category_posterior

    @cached_property
    def category(self) -> list[str]:
        """The most probable category of each case."""
        names = np.array(self.category_names, dtype=object)  # taken by index in C, then one list
        return list(names[np.argmax(self.scores.category_posterior, axis=1)].tolist())

    @cached_property
    def _top(self) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """The k largest posteriors of each row and where they are, best first, ties in knowledge
        order as the single case's stable sort: k rounds of ``argmax`` (which returns the first of
        equal values), each taking its pick out of the running. Twice as fast as partitioning
        then sorting the k, for k = 5 of 54."""
        post = self.scores.posterior
        k = min(self.top_k, post.shape[1])
        work = post.copy()
        rows = np.arange(len(post))
        order = np.empty((len(post), k), dtype=np.int64)
        values = np.empty((len(post), k))
        for i in range(k):
            best = work.argmax(axis=1)
            order[:, i] = best
            values[:, i] = work[rows, best]
            work[rows, best] = -np.inf
        return order, values

    @property
    def top_diagnoses(self) -> npt.NDArray[np.str_]:
        """N x k diagnosis ids, most probable first."""
        return np.array(self.disease_ids)[self._top[0]]

    @property
    def top_probabilities(self) -> FloatArray:
        """N x k posteriors matching :attr:`top_diagnoses`."""
        return self._top[1]

    @property
    def phosphocalcic_status(self) -> list[str]:
        """normal | deranged | unknown, as ``diagnose`` says it."""
        names = ("unknown", "normal", "deranged")
        return [names[c] for c in self.phosphocalcic_codes]

    def rules_present_flat(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
        """:attr:`rules_present` as offsets (N + 1) into one array of rule ids, in case order (the
        layout of an Arrow list column, built without a Python list per case)."""
        rows, rules = np.nonzero(self.scores.rule_state == 1)
        offsets = np.zeros(len(self.scores.rule_state) + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=len(self.scores.rule_state)), out=offsets[1:])
        return offsets, np.array(self.rule_ids, dtype=np.str_)[rules]

    @property
    def rules_present(self) -> list[list[str]]:
        """The classification rules present in each case (the basis of its category)."""
        states = self.scores.rule_state
        return [[self.rule_ids[r] for r in np.flatnonzero(row == 1)] for row in states]


def phosphocalcic_codes(m: EvidenceMatrix, kb: KnowledgeBase) -> npt.NDArray[np.int8]:
    """0 unknown, 1 normal, 2 deranged for each case (``diagnose``'s phosphocalcic status)."""
    k = _compiled(kb)
    deranged = (m.state[:, k.deranged] > 0).any(axis=1)
    normal = (m.state[:, k.calcium_high] == -1) & (m.state[:, k.phosphate_high] == -1)
    return np.where(deranged, 2, np.where(normal, 1, 0)).astype(np.int8)


def score_cases(cases: Sequence[Case], kb: KnowledgeBase, *, top_k: int = 5, chunk: int = 10_000) -> BatchResult:
    """Category, category probabilities and the top ``top_k`` diagnoses of validated cases."""
    return score_evidence(evidence_matrix(cases, kb), [c.id for c in cases], kb, top_k=top_k, chunk=chunk)


def score_evidence(
    matrix: EvidenceMatrix, ids: list[str | None], kb: KnowledgeBase, *, top_k: int = 5, chunk: int = 10_000
) -> BatchResult:
    """:func:`score_cases` from an evidence matrix already read (one id per row)."""
    return BatchResult(
        ids=ids,
        category_names=tuple(kb.category_names),
        disease_ids=kb.disease_ids,
        rule_ids=tuple(r.id for r in kb.category_model.rules),
        scores=score_matrix(matrix, kb, chunk=chunk),
        top_k=top_k,
        phosphocalcic_codes=phosphocalcic_codes(matrix, kb),
    )
