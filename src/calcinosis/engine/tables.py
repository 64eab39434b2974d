"""What the single-case engine derives from a knowledge base, computed once per knowledge base.

Scoring one case used to rebuild the same things every call: the log likelihood ratio of every
(diagnosis, feature, state) from the frequencies and baselines, each rule's log frequencies,
each category's diagnoses, which diagnoses a feature defines. None of it depends on the case,
so it is made here the first time a knowledge base is scored and kept beside it (keyed by the
object, dropped when the knowledge base is collected) rather than stored in ``kb/``, whose
compiled form the engine does not own.

The arrays are the same numbers, computed with the same numpy operations as before, so that
the results do not change by a bit; they are made read-only, since every case shares them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from calcinosis.kb.model import KnowledgeBase
from calcinosis.kb.schema import BlockName, DefiningFeatures

__all__ = ["TEXTS_KEPT", "RuleTables", "Tables", "answer_entropy", "blocks_by_row", "row_blocks", "tables"]

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]


TEXTS_KEPT = 100_000
"""At most this many texts are kept per knowledge base (a reason is about 1 KB); others are written each time."""


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class RuleTables:
    """One classification rule's P(state | category) as logs, for each state it can take."""

    log_present: FloatArray  # C, log P(rule present | c)
    log_not_present: FloatArray  # C, log P(rule not present | c)
    silent: FloatArray  # C, zeros: a state that says nothing
    any_of: frozenset[str]  # the features that make it present (its any_of)
    places: dict[str, tuple[int, ...]]  # each of them -> where the rule's any_of lists it


@dataclass(frozen=True)
class Tables:
    """The knowledge base's numbers in the form one case needs (see the module docstring)."""

    n_features: int
    disease_ids: tuple[str, ...]  # D: the diagnoses' ids, in compiled order
    # R rows: the D diagnoses (their main form), then their other forms (kb.forms; R = D
    # without any). Every per-diagnosis array of the scoring below has a column per row.
    n_rows: int
    # each diagnosis with forms, its rows (main first) and their log P(form | diagnosis)
    mixed: tuple[tuple[int, list[int], list[float]], ...]
    identity_rows: IntArray  # D: 0..D-1, each diagnosis shown by its own row (no forms)
    whole_shares: FloatArray  # D: ones, the share of a diagnosis' likelihood its own row carries (no forms)
    position: dict[str, int]  # feature id -> column
    place: dict[str, tuple[int, int]]  # feature id -> its column and its dependency group
    not_scored: frozenset[str]  # features read from a case but never scored
    sites: tuple[tuple[str, str], ...]  # every site of the vocabulary and its feature id, in vocabulary order
    # 2F x R: the log LR of each row for each feature present (first F rows) and absent
    # (last F); log P(state | d) - log P(state | other causes), as scoring.py defines it
    log_lr_by_state: FloatArray
    group_of: list[int]  # F: dependency group of each feature
    damping: FloatArray  # rho ** rank for every rank a group can hold
    # a row has none, one or two blocks of defining features (Disease.defining_blocks, a form's
    # own or its diagnosis'), B in all
    defined_by: dict[str, tuple[int, ...]]  # defining feature -> the blocks it belongs to (its denial counts there)
    # defining feature -> the blocks it satisfies when reported present: its own, and a setting
    # block that widens the defining block it belongs to (DefiningFeatures.widens)
    mentioned_by: dict[str, tuple[int, ...]]
    defining_features: frozenset[str]  # the keys of mentioned_by (a superset of defined_by's)
    block_disease: IntArray  # B: the diagnosis of each block
    block_row: IntArray  # B: the row of each block (its diagnosis' own row, or a form's)
    block_log: FloatArray  # B: log unreported probability of each block
    block_size: IntArray  # B: how many features each block lists (its own, not those that widen it)
    blocks_of: tuple[tuple[int, ...], ...]  # R: each row's blocks, in Disease.defining_blocks order
    block_kind: tuple[BlockName, ...]  # B: which of its row's blocks it is
    unreported_log: FloatArray  # R: the sum of a row's blocks' logs, none mentioned (0: no block)
    prior: FloatArray  # D: exp(log prior)
    frequencies_inside: bool  # every frequency strictly between 0 and 1 (the schema's bounds)
    # R x F: the entropy in bits of a yes/no answer to each feature in each row, h(P(f | d))
    # (NaN for a frequency of 0 or 1), for the questions' bound on what an answer can teach
    frequency_entropy: FloatArray
    rules: tuple[RuleTables, ...]
    category_members: tuple[IntArray, ...]  # C: the diagnoses of each category, in knowledge order
    by_category: IntArray  # D: the diagnoses, category after category (knowledge order within one)
    category_sorted: IntArray  # D: the category of each diagnosis in that order
    category_starts: IntArray  # C: where each category starts in it
    category_spans: tuple[tuple[int, int], ...]  # C: (start, stop) in it; () when a category is empty
    # filled as cases come: a dependency group's damping weights per pattern of observed
    # feature states (scoring.py), texts that depend on the knowledge base only (reasons.py)
    damped: dict[tuple[int, ...], FloatArray] = field(default_factory=dict)
    texts: dict[tuple[Any, ...], Any] = field(default_factory=dict)


def blocks_by_row(values: FloatArray, block_row: IntArray, n_rows: int) -> FloatArray:
    """Each row's sum of ``values`` over its blocks (0 without one). A row with one block gets
    its value exactly (0 + x), as when the penalty was one number per diagnosis."""
    return np.bincount(block_row, weights=values, minlength=n_rows).astype(np.float64, copy=False)


def row_blocks(kb: KnowledgeBase, row: int) -> tuple[tuple[BlockName, DefiningFeatures], ...]:
    """The blocks of defining features of a row: its diagnosis' own, or its form's."""
    disease = kb.diseases[kb.row_disease(row)]
    form = kb.row_form(row)
    return disease.defining_blocks if form is None else form.defining_blocks(disease.defining_blocks)


def _mixed(kb: KnowledgeBase) -> list[tuple[int, list[int]]]:
    """Each diagnosis with forms and its rows, its main row first."""
    rows: dict[int, list[int]] = {}
    for r in kb.forms:
        rows.setdefault(r.disease, [r.disease]).append(r.row)
    return sorted(rows.items())


def _places(items: list[str]) -> dict[str, tuple[int, ...]]:
    """Each item -> every place it has in ``items``, in order."""
    out: dict[str, tuple[int, ...]] = {}
    for k, item in enumerate(items):
        out[item] = (*out.get(item, ()), k)
    return out


def _build(kb: KnowledgeBase) -> Tables:
    base = kb.baseline
    present = kb.log_present - np.log(base)[None, :]
    absent = kb.log_absent - np.log1p(-base)[None, :]
    rho = kb.constants.dependency_damping.value
    largest = int(np.bincount(kb.group_index).max()) if len(kb.group_index) else 1
    n_rows = kb.frequency.shape[0]
    defined_by: dict[str, list[int]] = {}
    mentioned_by: dict[str, list[int]] = {}
    block_disease: list[int] = []
    block_row: list[int] = []
    block_log: list[float] = []
    block_size: list[int] = []
    blocks_of: list[tuple[int, ...]] = []
    block_kind: list[BlockName] = []
    for r in range(n_rows):
        first = len(block_row)
        blocks = row_blocks(kb, r)
        for kind, block in blocks:
            block_kind.append(kind)
            for fid in dict.fromkeys(block.any_of):  # a feature listed twice in one block is one mention
                defined_by.setdefault(fid, []).append(len(block_row))
                mentioned_by.setdefault(fid, []).append(len(block_row))
            if block.widens:  # the defining block's features satisfy it too (loader: a defining block is there)
                for fid in dict.fromkeys(dict(blocks)["defining"].any_of):
                    mentioned_by.setdefault(fid, []).append(len(block_row))
            block_disease.append(kb.row_disease(r))
            block_row.append(r)
            block_log.append(float(np.log(block.unreported_probability)))
            block_size.append(len(dict.fromkeys(block.any_of)))
        blocks_of.append(tuple(range(first, len(block_row))))
    block_rows = np.array(block_row, dtype=np.int64)
    block_logs = np.array(block_log, dtype=np.float64)
    shares = [d.main_share for d in kb.diseases] + [r.form.share for r in kb.forms]
    row_log_share = np.log(np.array(shares, dtype=np.float64))
    rules = []
    for rule in kb.category_model.rules:
        freq = np.array([rule.frequency[c] for c in kb.category_names])
        rules.append(
            RuleTables(
                _frozen(np.log(freq)),
                _frozen(np.log1p(-freq)),
                _frozen(np.zeros(len(kb.category_names))),
                frozenset(rule.any_of),
                _places(rule.any_of),
            )
        )
    members = tuple(_frozen(np.flatnonzero(kb.disease_category == g)) for g in range(len(kb.category_names)))
    by_category = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    sizes = [len(m) for m in members]
    stops = np.cumsum(sizes).tolist()
    spans = tuple(zip([0, *stops[:-1]], stops, strict=True)) if all(sizes) else ()
    return Tables(
        n_features=len(kb.feature_ids),
        disease_ids=tuple(d.id for d in kb.diseases),
        n_rows=n_rows,
        mixed=tuple((d, rows, row_log_share[rows].tolist()) for d, rows in _mixed(kb)),
        identity_rows=_frozen(np.arange(len(kb.diseases), dtype=np.int64)),
        whole_shares=_frozen(np.ones(len(kb.diseases))),
        position={fid: i for i, fid in enumerate(kb.feature_ids)},
        place={fid: (i, g) for i, (fid, g) in enumerate(zip(kb.feature_ids, kb.group_index.tolist(), strict=True))},
        sites=tuple((s, f"site:{s}") for s in kb.vocabulary.lists["sites"]),
        not_scored=frozenset(f for f, skip in zip(kb.feature_ids, kb.not_scored.tolist(), strict=True) if skip),
        log_lr_by_state=_frozen(np.ascontiguousarray(np.concatenate([present, absent], axis=1).T)),
        group_of=kb.group_index.tolist(),
        damping=_frozen(rho ** np.arange(largest + 1)),
        defined_by={f: tuple(bs) for f, bs in defined_by.items()},
        mentioned_by={f: tuple(bs) for f, bs in mentioned_by.items()},
        defining_features=frozenset(mentioned_by),
        block_disease=_frozen(np.array(block_disease, dtype=np.int64)),
        block_row=_frozen(block_rows),
        block_log=_frozen(block_logs),
        block_size=_frozen(np.array(block_size, dtype=np.int64)),
        blocks_of=tuple(blocks_of),
        block_kind=tuple(block_kind),
        unreported_log=_frozen(blocks_by_row(block_logs, block_rows, n_rows)),
        prior=_frozen(np.exp(kb.log_prior)),
        frequencies_inside=bool(((kb.frequency > 0) & (kb.frequency < 1)).all()),
        frequency_entropy=_frozen(_frequency_entropy(kb.frequency)),
        rules=tuple(rules),
        category_members=members,
        by_category=_frozen(by_category),
        category_sorted=_frozen(kb.disease_category[by_category]),
        category_starts=_frozen(np.array([start for start, _ in spans], dtype=np.int64)),
        category_spans=spans,
    )


def answer_entropy(p_yes: FloatArray) -> FloatArray:
    """The entropy in bits of a yes/no answer from the probability of a yes (NaN at 0 and 1,
    with numpy's warning unless the caller silences it)."""
    return np.asarray(-(p_yes * np.log2(p_yes) + (1 - p_yes) * np.log2(1 - p_yes)))


def _frequency_entropy(frequency: FloatArray) -> FloatArray:
    """``answer_entropy`` of every frequency (NaN, silently, for a frequency of 0 or 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return answer_entropy(frequency)


_TABLES: dict[int, Tables] = {}


def tables(kb: KnowledgeBase) -> Tables:
    """The tables of ``kb``, built on first use and dropped with it."""
    found = _TABLES.get(id(kb))
    if found is None:
        found = _build(kb)
        _TABLES[id(kb)] = found
        weakref.finalize(kb, _TABLES.pop, id(kb), None)
    return found
