"""Flat-table rows straight to the evidence matrix, column by column: the fast path of a table.

Turning a row into a dict, the dict into a validated ``Case`` and the case into its evidence
costs about 250 µs in Python; the scoring kernel then needs 8. For a cohort in a flat table
(one column per item, ``columns.py``) the same evidence can be read from whole columns with
numpy, because in a table every column is one item of the case and most of what
:func:`calcinosis.engine.evidence.collect_evidence` does is local to an item. This module does
that for the rows it can vouch for, and leaves every other row to the per-row path:

- **Which rows.** A row is taken here only when each of its cells is one the reader accepts as
  it stands, checked the way ``validate.RowValidator`` checks a row by its shortcut: each
  distinct value of an item that needs the knowledge base (an age, a sex, a lab result with its
  unit, an imaging modality and distribution) is put to the case reader once, on a minimal case,
  and remembered; the few model limits that tie two cells together (a duration within the
  patient's life, a deposit size within bounds) are the model's own comparisons. A cell of an
  unexpected type, an onset delay, an imaging cell without a modality, an over-long text: the
  row goes the per-row way, which accepts it or says why not. Nothing is rejected here.
- **What evidence.** The same observations as ``collect_evidence`` and ``interpret_labs`` for a
  table row (one imaging study, one reading per test): present and absent terms, sites with
  their ancestors and the closed-world absences, the imaging study, antibodies and genes, age,
  sex and course, every lab reading against its age- and sex-dependent range with the derived
  corrected calcium, calcium x phosphate product and CKD-EPI eGFR, the implications and the
  contradictions. Values are rounded exactly as the single case rounds them (Python's
  ``round``), and the eGFR equation is the single case's own function.

``tests/batch/test_columnar.py`` checks, on the bench's synthetic cohort and on tables built
to reach every branch (per-row units, qualifiers, interpretations beside values, children,
creatinine without eGFR, the two FGF23 assays, nested sites, contradictions, bad cells), that
every row taken here is one the per-row path accepts and that its evidence row is identical.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.batch.columns import Column, Layout, _bool, _number
from calcinosis.batch.validate import RowValidator
from calcinosis.case.document import LIMITS
from calcinosis.case.labs import (
    BAND_FORMULAS,
    assay_of,
    calcium_phosphate_product,
    ckd_epi_2021,
    corrected_calcium,
    resolve_unit,
)
from calcinosis.case.model import MAX_SIZE_CM, life_months
from calcinosis.case.reader import TRACER_MODALITIES
from calcinosis.engine.batch import EvidenceMatrix
from calcinosis.engine.evidence import (
    ABSENCE_ONLY_FROM_ASSAY,
    ABSENT_IF,
    DISTRIBUTION_ORDER,
    LAB_FEATURES,
    OPPOSITE,
    PAIRED_TESTS,
    duration_spans,
)
from calcinosis.kb.model import KnowledgeBase

__all__ = ["ColumnarReader", "FastRows"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# status codes of a lab reading (labs.Status)
UNKNOWN, HIGH, NORMAL, LOW, NOT_HIGH, NOT_LOW = range(6)
_STATUS = {"unknown": UNKNOWN, "high": HIGH, "normal": NORMAL, "low": LOW, "not_high": NOT_HIGH, "not_low": NOT_LOW}
# the single case's tables (engine/evidence.py), with statuses as codes
_ABSENT_IF = {_STATUS[k]: tuple(_STATUS[s] for s in v) for k, v in ABSENT_IF.items()}
_OPPOSITE = {_STATUS[k]: _STATUS[v] for k, v in OPPOSITE.items()}
_DISTRIBUTIONS = DISTRIBUTION_ORDER
_ABSENT_LISTS = (("finding", "findings"), ("condition", "conditions"), ("exposure", "exposures"))
_EMPTY = object()
"""A cell the table reader skips: null or blank text."""
_BAD = object()
"""A cell this path does not vouch for: the row goes the per-row way."""


@dataclass(frozen=True)
class FastRows:
    """The rows of a chunk read here: their positions in the chunk, ids and evidence."""

    positions: IntArray
    ids: list[str | None]
    matrix: EvidenceMatrix


@dataclass
class _Col:
    """One column's cells as per-row codes: ``index`` into ``values`` (-1 empty, -2 bad)."""

    index: IntArray
    values: list[Any]

    def present(self) -> BoolArray:
        return self.index >= 0

    def take(self, fill: Any, dtype: Any) -> npt.NDArray[Any]:
        """Per-row array of the converted values, ``fill`` where there is none."""
        table = np.array([*self.values, fill, fill], dtype=dtype)
        return table[self.index]  # -1 and -2 pick the fills


class ColumnarReader:
    """Reads table chunks for one knowledge base; remembers which distinct items the reader accepts."""

    def __init__(self, kb: KnowledgeBase, validator: RowValidator) -> None:
        self.kb = kb
        self.validator = validator
        self._ages: dict[float, bool] = {}
        self._labs: dict[tuple[Any, ...], bool] = {}
        self._studies: dict[tuple[Any, ...], tuple[str, str | None] | None] = {}
        self._features = kb.features
        vocab = kb.vocabulary
        self._sites = list(vocab.lists["sites"])
        self.usable = self._sites_nest(vocab)

    def _sites_nest(self, vocab: Any) -> bool:
        """The site rules below rely on a site's ancestors being among its related sites."""
        for s in self._sites:
            if not {s, *vocab.site_ancestors(s)} <= set(vocab.related_sites(s)):
                return False
        return all(f"site:{s}" in self._features for s in self._sites)

    # ------------------------------------------------------------------ cells

    def _column(self, table: Any, col: Column, convert: Callable[[Any], Any]) -> _Col:
        """Convert each distinct cell of a column once (dictionary encoding)."""
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]

        column = table.column(col.name)
        n = len(column)
        if column.null_count == n:
            return _Col(np.full(n, -1, dtype=np.int64), [])
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if pa.types.is_floating(array.type) or pa.types.is_integer(array.type):
            # numbers: as the table reader's float(value); nulls empty
            valid = array.is_valid().to_numpy(zero_copy_only=False)
            raw = pc.fill_null(array, 0).to_numpy(zero_copy_only=False)
            uniq, inverse = np.unique(raw, return_inverse=True)
            values = [convert(float(v) if pa.types.is_floating(array.type) else int(v)) for v in uniq.tolist()]
            index = np.asarray(inverse, dtype=np.int64).reshape(-1)
            return self._codes(index, values, valid)
        if pa.types.is_boolean(array.type):
            valid, raw = _bits(array)
            kept = [v for v in (convert(False), convert(True)) if v is not _EMPTY and v is not _BAD]
            code_false, code_true = (_code_of(convert(flag), kept) for flag in (False, True))
            index = np.where(raw, code_true, code_false)
            index[~valid] = -1
            return _Col(index.astype(np.int64), kept)
        if (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)) and convert is _case_id:
            # ids: one per row, so no dictionary; stripped as the table reader strips them
            ids = [None if v is None else v.strip() for v in array.to_pylist()]
            limit = LIMITS["id_chars"]
            # an over-long id, or one the case model refuses (not printable), goes the per-row way
            codes = [-1 if not v else -2 if len(v) > limit or not v.isprintable() else i for i, v in enumerate(ids)]
            return _Col(np.array(codes, dtype=np.int64), ids)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            encoded = pc.dictionary_encode(array)
            valid = encoded.is_valid().to_numpy(zero_copy_only=False)
            index = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False).astype(np.int64)
            values = [convert(v) for v in encoded.dictionary.to_pylist()]
            return self._codes(index, values, valid)
        # any other type (decimal, dates, lists...): every non-null cell goes the per-row way
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        return _Col(np.where(valid, -2, -1).astype(np.int64), [])

    @staticmethod
    def _codes(index: IntArray, values: list[Any], valid: BoolArray) -> _Col:
        """Fold the conversions' _EMPTY and _BAD into the index; keep the real values."""
        kept: list[Any] = []
        remap = np.empty(len(values), dtype=np.int64)
        for i, v in enumerate(values):
            if v is _EMPTY:
                remap[i] = -1
            elif v is _BAD:
                remap[i] = -2
            else:
                remap[i] = len(kept)
                kept.append(v)
        out = remap[index] if len(values) else np.full(len(index), -1, dtype=np.int64)
        return _Col(np.where(valid, out, -1).astype(np.int64), kept)

    # ------------------------------------------------------------------ the chunk

    def read(self, table: Any, layout: Layout) -> tuple[FastRows, BoolArray]:
        """The rows of ``table`` read here, and the mask of the rows left to the per-row path."""
        kb = self.kb
        n = table.num_rows
        f = len(kb.feature_ids)
        slow = np.zeros(n, dtype=bool)
        # column-major while filled column by column, row-major for the kernel at the end
        pres = np.zeros((n, f), dtype=bool, order="F")
        absn = np.zeros((n, f), dtype=bool, order="F")
        implied = np.zeros((n, f), dtype=bool, order="F")
        closed = np.zeros((n, f), dtype=bool, order="F")
        pos = kb.feature_pos
        vocab = kb.vocabulary

        def mark(col: _Col) -> None:
            slow[col.index == -2] = True

        cols: dict[str, list[tuple[Column, _Col]]] = {}
        for column in layout.columns:
            cols.setdefault(column.role, []).append((column, self._cell(table, column)))
        for _, col in (c for group in cols.values() for c in group):
            mark(col)

        # ---- patient
        (_, age_col), (_, sex_col) = cols["age"][0], cols["sex"][0]
        age = age_col.take(np.nan, np.float64)
        ok_age = np.array([self._age_ok(a) for a in age_col.values], dtype=bool)
        slow |= ~age_col.present() | ~np.concatenate([ok_age, [False, False]])[age_col.index]
        sexes = [self.validator._canonical_sex(s) for s in sex_col.values]
        sex_code = np.array([{"female": 0, "male": 1}.get(s or "", 2) for s in sexes] + [3, 3])[sex_col.index]
        unread = np.array([s is None for s in sexes] + [True, True], dtype=bool)  # bool even with no value read
        slow |= ~sex_col.present() | unread[sex_col.index]
        canonical_sex = np.array([*(s or "" for s in sexes), "", ""], dtype=object)[sex_col.index]
        female, male = sex_code == 0, sex_code == 1
        self._set(pres, absn, pos("patient:female"), female, male)
        infant_t, child_t, older_t = (
            kb.threshold(x) for x in ("infant_age_years", "child_age_years", "older_age_years")
        )
        for fid, flag in (
            ("patient:infant", age < infant_t),
            ("patient:child", age < child_t),
            ("patient:older", age >= older_t),
        ):
            self._set(pres, absn, pos(fid), flag, ~flag)
        bands = kb.age_bands
        band = np.searchsorted(np.array([b.low for b in bands[1:]]), age, side="right")  # [low, high): as diagnose
        for b, age_band in enumerate(bands):
            pres[:, pos(age_band.feature)] |= band == b
        if "postmenopausal" in cols:
            post = cols["postmenopausal"][0][1]
            stated = post.present()
            value = post.take(False, bool)
            self._set(pres, absn, pos("patient:postmenopausal"), stated & value, (stated & ~value) | (~stated & male))
            implied[:, pos("patient:postmenopausal")] |= ~stated & male  # the sex says it (evidence.py)
        else:
            absn[:, pos("patient:postmenopausal")] |= male
            implied[:, pos("patient:postmenopausal")] |= male
        long_t, recent_t = kb.threshold("long_standing_months"), kb.threshold("recent_onset_months")
        has = np.zeros(n, dtype=bool)
        if "duration_months" in cols:
            dur_col = cols["duration_months"][0][1]
            dur = dur_col.take(np.nan, np.float64)
            has = dur_col.present()
            with np.errstate(invalid="ignore"):
                fits = np.isfinite(dur) & (dur >= 0) & (dur <= _life_months(age))
            slow |= has & ~fits
            with np.errstate(invalid="ignore"):
                for fid, held in duration_spans(dur >= long_t, dur < recent_t):
                    # one span: the others read absent, not scored if exclusive (as evidence.py)
                    self._set(pres, absn, pos(fid), has & held, has & ~held)
                    if fid in kb.exclusive:
                        implied[:, pos(fid)] |= has & ~held
        # no duration and younger than the recent-onset span: recent, read, not scored (evidence.py);
        # an age beyond any life (1e308) overflows in months: its row is the reader's reject, and
        # numpy's warning reached the user's terminal (a hostile-input audit)
        with np.errstate(invalid="ignore", over="ignore"):
            baby = ~has & (age * 12 < recent_t)
        for fid, recent in duration_spans(False, True):
            self._set(pres, absn, pos(fid), baby & bool(recent), baby & (not recent))
            implied[:, pos(fid)] |= baby
        if "id" in cols:
            id_col = cols["id"][0][1]
            ids_table = [*id_col.values, None, None]
            ids: list[str | None] = [ids_table[i] for i in id_col.index.tolist()]
        else:
            ids = [None] * n
        for _, col in cols.get("onset", []):
            slow |= col.index != -1  # onset delays: the per-row path (their warnings and windows)
        for role in ("lab_low", "lab_high"):  # a laboratory's own interval: the per-row path reads it
            for _, col in cols.get(role, []):
                slow |= col.index != -1

        # ---- present and absent terms
        lists = vocab.lists
        for role, namespace in (("history", "condition"), ("exposure", "exposure"), ("finding", "finding")):
            for column, col in cols.get(role, []):
                flag = col.take(False, bool)
                present, absent = col.present() & flag, col.present() & ~flag
                pres[:, pos(f"{namespace}:{column.term}")] |= present
                if not absent.any():
                    continue
                # the reader resolves an absent term in findings, then conditions, then exposures
                term = self.validator._absent_term(column.term)
                if term is None:
                    slow |= absent
                    continue
                ns = next(ns for ns, ln in _ABSENT_LISTS if term in lists[ln])
                absn[:, pos(f"{ns}:{term}")] |= absent

        # ---- sites (the case's and the imaging study's), with their ancestors; closed world
        s = len(self._sites)
        reported = np.zeros((n, s), dtype=bool)
        index = {site: i for i, site in enumerate(self._sites)}
        for role in ("site", "imaging_site"):
            for column, col in cols.get(role, []):
                reported[:, index[column.term]] |= col.present()
        if reported.any():
            up, rel = self._site_tables()
            above = reported.astype(np.float32) @ up > 0
            related = reported.astype(np.float32) @ rel > 0
            site_cols = np.array([pos(f"site:{x}") for x in self._sites])
            pres[:, site_cols] |= above
            implied[:, site_cols] |= above & ~reported  # an ancestor only: read, not scored (evidence.py)
            listed = reported.any(axis=1) & ~reported[:, index["generalized"]]
            closed_abs = listed[:, None] & ~related
            absn[:, site_cols] |= closed_abs
            closed[:, site_cols] |= closed_abs

        # ---- the imaging study (one per row)
        study_cells = [c for r in cols if r.startswith("imaging_") for _, c in cols[r] if r != "imaging_modality"]
        any_study_cell = np.zeros(n, dtype=bool)
        for col in study_cells:
            any_study_cell |= col.index != -1
        if "imaging_modality" in cols:
            mod_col = cols["imaging_modality"][0][1]
            dist_col = next((c for col_, c in cols.get("imaging_distribution", [])), None)
            has_study = mod_col.present()
            slow |= any_study_cell & ~has_study
            dist_name = self._studies_ok(mod_col, dist_col, slow)
            for d, name in enumerate(_DISTRIBUTIONS):
                has_dist = dist_name >= 0
                j = pos(f"distribution:{name}")
                self._set(pres, absn, j, has_dist & (dist_name == d), has_dist & (dist_name != d))
                if f"distribution:{name}" in kb.exclusive:  # the others read absent, not scored (evidence.py)
                    implied[:, j] |= has_dist & (dist_name != d)
            for role, ns in (("imaging_pattern", "pattern"), ("imaging_tissue", "tissue")):
                for column, col in cols.get(role, []):
                    pres[:, pos(f"{ns}:{column.term}")] |= col.present()
            # what the reader refuses (case/reader.py _imaging_issues): uptake off a tracer study,
            # a symmetric single deposit; the per-row path says it
            # read on the modality as resolved, not as typed: 'bone scan' or 'PET' stay on the fast
            # path (a code review: each alias sent its rows to the slow one)
            modalities = [vocab.resolve("modalities", str(v)) for v in mod_col.values]
            tracer = np.array([m in TRACER_MODALITIES for m in modalities] + [False, False])[mod_col.index]
            for column, col in cols.get("imaging_bool", []):
                value = col.take(False, bool)
                if column.term == "uptake":
                    slow |= col.present() & ~tracer
                elif column.term == "symmetric":
                    slow |= col.present() & value & (dist_name == _DISTRIBUTIONS.index("single"))
                self._set(pres, absn, pos(f"imaging:{column.term}"), col.present() & value, col.present() & ~value)
            for _, col in cols.get("imaging_size_cm", []):
                size = col.take(np.nan, np.float64)
                has = col.present()
                with np.errstate(invalid="ignore"):
                    slow |= has & ~(np.isfinite(size) & (size > 0) & (size <= MAX_SIZE_CM))
                    large = size >= kb.threshold("large_deposit_cm")
                self._set(pres, absn, pos("imaging:large_deposit"), has & large, has & ~large)
        else:
            slow |= any_study_cell

        # ---- antibodies and genes
        for role, ns, yes in (("antibody", "antibody", "positive"), ("gene", "gene", "pathogenic_variant")):
            for column, col in cols.get(role, []):
                value = col.take("", object)
                pres[:, pos(f"{ns}:{column.term}")] |= value == yes
                absn[:, pos(f"{ns}:{column.term}")] |= col.present() & (value != yes)

        # ---- labs
        _Labs(self, table, layout, cols, age, canonical_sex, slow).observe(pres, absn, implied)

        # ---- implications, in the knowledge's order, then contradictions set aside
        for fid, others in kb.implies.items():
            j = pos(fid)
            on = pres[:, j] & ~absn[:, j]
            for other in others:
                k = pos(other)
                new = on & ~pres[:, k] & ~absn[:, k]
                pres[:, k] |= new
                implied[:, k] |= new
        # a contradiction (a term both present and absent) is reported and set aside by the
        # per-row path, with its warning: those rows go there
        slow |= (pres & absn).any(axis=1)
        # a treatment its stated indication explains: read, not scored (evidence.py)
        for treated, explainers in kb.explained_by.items():
            t = pos(treated)
            explained = np.zeros(n, dtype=bool)
            for explainer in explainers:
                explained |= pres[:, pos(explainer)]
            implied[:, t] |= pres[:, t] & explained
        state = pres.view(np.int8) - absn.view(np.int8)  # +1 present, -1 absent (never both here)
        implied &= pres | absn
        closed &= absn
        fast = np.flatnonzero(~slow)
        matrix = EvidenceMatrix(
            state=np.ascontiguousarray(state[fast]),
            implied=np.ascontiguousarray(implied[fast]),
            closed=np.ascontiguousarray(closed[fast]),
            # no onset delay in a row read here: one NaN seen as N x F, no memory
            onset_days=np.broadcast_to(np.float64(np.nan), (len(fast), f)),
        )
        return FastRows(fast, [ids[i] for i in fast.tolist()], matrix), slow

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _set(pres: BoolArray, absn: BoolArray, j: int, present: BoolArray, absent: BoolArray) -> None:
        pres[:, j] |= present
        absn[:, j] |= absent

    def _site_tables(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """S x S: a reported site r makes s present (s is r or above it); r relates to s."""
        vocab = self.kb.vocabulary
        index = {site: i for i, site in enumerate(self._sites)}
        s = len(self._sites)
        up = np.zeros((s, s), dtype=np.float32)
        rel = np.zeros((s, s), dtype=np.float32)
        for r, site in enumerate(self._sites):
            for other in (site, *vocab.site_ancestors(site)):
                up[r, index[other]] = 1
            for other in vocab.related_sites(site):
                rel[r, index[other]] = 1
        return up, rel

    def _cell(self, table: Any, column: Column) -> _Col:
        role = column.role
        if role in ("history", "exposure", "finding"):
            return self._column(table, column, _flag)
        if role in ("site", "imaging_pattern", "imaging_tissue", "imaging_site"):
            return self._column(table, column, _listed)
        if role in ("postmenopausal", "imaging_bool"):
            return self._column(table, column, _flag)
        if role in ("age", "duration_months", "imaging_size_cm", "lab_value"):
            return self._column(table, column, _numeric)
        if role == "id":
            return self._column(table, column, _case_id)
        if role in ("antibody", "gene"):
            allowed = ("positive", "negative") if role == "antibody" else ("pathogenic_variant", "not_found")
            return self._column(table, column, lambda v: _word(v, allowed))
        if role == "onset":
            return self._column(table, column, lambda v: v if not _blank(v) else _EMPTY)
        return self._column(table, column, _short_text)  # sex, lab parts, modality, distribution

    def _age_ok(self, age: float) -> bool:
        found = self._ages.get(age)
        if found is None:
            found = self.validator._probe({"patient": {"age": age, "sex": "unknown"}}) is not None
            self._ages[age] = found
        return found

    def _studies_ok(self, mod_col: _Col, dist_col: _Col | None, slow: BoolArray) -> IntArray:
        """Each row's distribution (index in _DISTRIBUTIONS, -1 none); rows with a study the
        reader refuses are marked slow."""
        n = len(mod_col.index)
        dist_index = dist_col.index if dist_col is not None else np.full(n, -1, dtype=np.int64)
        dist_values = dist_col.values if dist_col is not None else []
        pairs = mod_col.index * (len(dist_values) + 3) + (dist_index + 2)
        out = np.full(n, -1, dtype=np.int64)
        has = mod_col.present()
        for code in np.unique(pairs[has]).tolist():
            m, d = divmod(code, len(dist_values) + 3)
            d -= 2
            rows = has & (pairs == code)
            if d == -2:
                slow |= rows
                continue
            study: dict[str, Any] = {"modality": mod_col.values[m]}
            if d >= 0:
                study["distribution"] = dist_values[d]
            key = tuple(sorted(study.items()))
            if key not in self._studies:
                self._studies[key] = self.validator._study_terms(study)
            found = self._studies[key]
            if found is None:
                slow |= rows
                continue
            if found[1] is not None:
                out[rows] = _DISTRIBUTIONS.index(found[1])
        return out

    def lab_ok(self, item: dict[str, Any]) -> bool:
        key = tuple(sorted(item.items()))
        found = self._labs.get(key)
        if found is None:
            found = self.validator._lab_ok(item)
            self._labs[key] = found
        return found


class _Labs:
    """Every lab reading of a chunk against its range, then the lab features (``_lab_observations``)."""

    def __init__(
        self,
        reader: ColumnarReader,
        table: Any,
        layout: Layout,
        cols: dict[str, list[tuple[Column, _Col]]],
        age: FloatArray,
        sex: npt.NDArray[np.object_],
        slow: BoolArray,
    ) -> None:
        self.reader = reader
        self.kb = reader.kb
        self.n = table.num_rows
        self.age = age
        self.sex = sex
        self.slow = slow
        self.parts: dict[str, dict[str, tuple[Column, _Col]]] = {}
        for role in ("lab_value", "lab_unit", "lab_qualifier", "lab_interpretation"):
            for column, col in cols.get(role, []):
                self.parts.setdefault(column.term, {})[role[4:]] = (column, col)
        # per test: has a reading, status code, value in SI (NaN: none), numeric for derived values,
        # the driving reading's assay
        self.status: dict[str, npt.NDArray[np.int8]] = {}
        self.has: dict[str, BoolArray] = {}
        self.value_si: dict[str, FloatArray] = {}
        self.numeric: dict[str, FloatArray] = {}
        self.assay: dict[str, npt.NDArray[np.object_]] = {}
        for test in layout.lab_tests:
            self._read(test)

    def _read(self, test: str) -> None:
        kb, n = self.kb, self.n
        parts = self.parts[test]
        spec = kb.units["tests"][test]
        value_part, unit_part = parts.get("value"), parts.get("unit")
        qual_part, interp_part = parts.get("qualifier"), parts.get("interpretation")
        empty = np.full(n, -1, dtype=np.int64)
        v_idx = value_part[1].index if value_part else empty
        u_idx = unit_part[1].index if unit_part else empty
        q_idx = qual_part[1].index if qual_part else empty
        i_idx = interp_part[1].index if interp_part else empty
        fixed_unit = value_part[0].unit if value_part else None
        v_vals = value_part[1].values if value_part else []
        u_vals = unit_part[1].values if unit_part else []
        q_vals = qual_part[1].values if qual_part else []
        i_vals = interp_part[1].values if interp_part else []
        has = (v_idx >= 0) | (u_idx >= 0) | (q_idx >= 0) | (i_idx >= 0)
        # one check per distinct (value, unit, qualifier, interpretation): the reader's own
        dims = (len(v_vals) + 1, len(u_vals) + 1, len(q_vals) + 1, len(i_vals) + 1)
        combo = np.ravel_multi_index(
            (
                np.maximum(v_idx, -1) + 1,
                np.maximum(u_idx, -1) + 1,
                np.maximum(q_idx, -1) + 1,
                np.maximum(i_idx, -1) + 1,
            ),
            dims,
        )
        # each distinct result once: the reader's check, then its value in SI, qualifier,
        # interpretation and the range it is read against; every row then takes its result's
        distinct, inverse = np.unique(combo[has], return_inverse=True)
        m = len(distinct)
        ok = np.ones(m, dtype=bool)
        si = np.full(m, np.nan)  # NaN: a qualitative result
        rounded = np.full(m, np.nan)
        qual = np.zeros(m, dtype=np.int8)  # 0 none, 1 "<" or "<=", 2 ">" or ">="
        interp = np.full(m, -1, dtype=np.int8)
        key = np.zeros(m, dtype=np.int64)  # index in range_keys
        result_assay = np.full(m, None, dtype=object)
        range_keys: list[str] = [test]
        for d, code in enumerate(distinct.tolist()):
            vi, ui, qi, ii = (int(x) - 1 for x in np.unravel_index(code, dims))
            item: dict[str, Any] = {"test": test}
            if vi >= 0:
                item["value"] = v_vals[vi]
                if fixed_unit is not None:
                    item["unit"] = fixed_unit
            if ui >= 0:
                item["unit"] = u_vals[ui]
            if qi >= 0:
                item["qualifier"] = q_vals[qi]
            if ii >= 0:
                item["interpretation"] = i_vals[ii]
                interp[d] = _STATUS.get(item["interpretation"], -1)
            if not self.reader.lab_ok(item):
                ok[d] = False
                continue
            unit = resolve_unit(kb, test, item["unit"]) if "unit" in item else None
            # an interpretation with its unit still says which assay it is (case/labs.py)
            result_assay[d] = assay_of(kb, test, unit)
            if vi < 0:  # a qualitative result: the status as entered (the reader required one)
                continue
            if unit is None:  # cannot happen for a result the reader accepted; never guess
                ok[d] = False
                continue
            value = item["value"] * float(spec["units"][unit])
            si[d], rounded[d] = value, round(value, 4)
            qual[d] = {"<": 1, "<=": 1, ">": 2, ">=": 2}.get(item.get("qualifier") or "", 0)
            test_assay = result_assay[d]
            range_key = f"{test}_{test_assay}" if test_assay else test
            if range_key not in range_keys:
                range_keys.append(range_key)
            key[d] = range_keys.index(range_key)
        rows = np.flatnonzero(has)
        inverse = inverse.reshape(-1)
        self.slow[rows[~ok[inverse]]] = True
        status = np.zeros(n, dtype=np.int8)
        value_si = np.full(n, np.nan)
        numeric = np.full(n, np.nan)
        assay = np.full(n, None, dtype=object)
        row_si, row_qual, row_interp, row_key = si[inverse], qual[inverse], interp[inverse], key[inverse]
        measured = ~np.isnan(row_si)
        st = np.where(measured, UNKNOWN, row_interp).astype(np.int8)
        for k, range_key in enumerate(range_keys):
            here = measured & (row_key == k)
            if not here.any():
                continue
            at = rows[here]
            low, high, found = self._band(range_key, self.age[at], self.sex[at])
            for q, qualifier in ((0, None), (1, "<"), (2, ">")):
                sel = row_qual[here] == q
                if sel.any():
                    part = _status_from_value(row_si[here][sel], qualifier, low[sel], high[sel], found[sel])
                    st[np.flatnonzero(here)[sel]] = part
        assay[rows] = result_assay[inverse]
        # an interpretation entered beside a value wins over high/low/normal read from it
        given = measured & (row_interp >= 0)
        override = given & np.isin(st, (HIGH, LOW, NORMAL)) & (st != row_interp)
        st[override] = row_interp[override]
        status[rows] = st
        value_si[rows] = rounded[inverse]
        numeric[rows] = np.where(row_qual == 0, rounded[inverse], np.nan)
        self.has[test], self.status[test], self.value_si[test] = has, status, value_si
        self.numeric[test], self.assay[test] = numeric, assay

    def _band(
        self, range_key: str, age: FloatArray, sex: npt.NDArray[np.object_]
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Each row's reference range (low, high: NaN when the band has none; found: a band applies)."""
        spec = self.kb.reference_ranges["tests"].get(range_key)
        m = len(age)
        low, high = np.full(m, np.nan), np.full(m, np.nan)
        found = np.zeros(m, dtype=bool)
        if spec is None:
            return low, high, found
        for band in spec["bands"]:
            take = ~found
            if "age_max" in band:
                take &= ~(age >= band["age_max"])
            if "sex" in band:
                take &= sex == band["sex"]
            if not take.any():
                continue
            if band.get("low") is not None:
                low[take] = band["low"]
            formula = band.get("formula")
            if formula is not None:
                high[take] = BAND_FORMULAS[formula](age[take])
            elif band.get("high") is not None:
                high[take] = band["high"]
            found |= take
        return low, high, found

    def _computed(self, name: str, range_key: str, value: FloatArray, rows: BoolArray) -> None:
        """A reading derived from others (rows where ``value`` is computed), read against ``range_key``."""
        status = np.zeros(self.n, dtype=np.int8)
        status[rows] = _status_from_value(value[rows], None, *self._band(range_key, self.age[rows], self.sex[rows]))
        self.has[name] = rows
        self.status[name] = status
        self.value_si[name] = np.where(rows, value, np.nan)
        self.assay[name] = np.full(self.n, None, dtype=object)

    def observe(self, pres: BoolArray, absn: BoolArray, implied: BoolArray) -> None:
        kb, n = self.kb, self.n
        pos = kb.feature_pos
        nothing = np.zeros(n, dtype=bool)
        nan = np.full(n, np.nan)
        ca, alb, phos = (self.numeric.get(t, nan) for t in ("calcium", "albumin", "phosphate"))
        both = ~np.isnan(ca) & ~np.isnan(alb)
        corrected_raw = corrected_calcium(ca, alb)
        if both.any():
            corr = np.full(n, np.nan)
            corr[both] = [round(x, 3) for x in corrected_raw[both].tolist()]
            self._computed("corrected_calcium", "calcium", corr, both)
        product = np.full(n, np.nan)
        with_product = ~np.isnan(ca) & ~np.isnan(phos)
        if with_product.any():
            ca_for = np.where(np.isnan(alb), ca, corrected_raw)
            raw = calcium_phosphate_product(ca_for, phos)
            product[with_product] = [round(x, 1) for x in raw[with_product].tolist()]
        creat = self.numeric.get("creatinine", nan).copy()
        creat[~(creat > 0)] = np.nan
        adult = self.age >= kb.threshold("child_age_years")
        female_or_male = (self.sex == "female") | (self.sex == "male")
        # no eGFR from a dialysis patient's creatinine (case/labs.py): the history is read before the labs
        on_dialysis = pres[:, pos("condition:dialysis")]
        # nor from the creatinine of an acute kidney injury (not in steady state; case/labs.py)
        acute = pres[:, pos("condition:acute_kidney_injury")]
        computed = ~np.isnan(creat) & adult & female_or_male & ~on_dialysis & ~acute
        egfr_computed = np.full(n, np.nan)
        for i in np.flatnonzero(computed).tolist():
            egfr_computed[i] = round(ckd_epi_2021(float(creat[i]) / 88.42, float(self.age[i]), str(self.sex[i])), 1)
        entered_egfr = self.has.get("egfr", nothing)
        if computed.any():
            if "egfr" in self.has:
                take = computed & ~entered_egfr
                self.value_si["egfr"] = np.where(take, egfr_computed, self.value_si["egfr"])
                status = self.status["egfr"].copy()
                status[take] = _status_from_value(
                    egfr_computed[take], None, *self._band("egfr", self.age[take], self.sex[take])
                )
                self.status["egfr"], self.has["egfr"] = status, entered_egfr | take
            else:
                self._computed("egfr", "egfr", egfr_computed, computed)

        for feature, (tests, wanted_name) in LAB_FEATURES.items():
            wanted = _STATUS[wanted_name]
            decided = np.zeros(n, dtype=bool)
            paired = OPPOSITE[wanted_name] in PAIRED_TESTS[tests]
            j = pos(feature)
            only_assay = ABSENCE_ONLY_FROM_ASSAY.get(feature)
            for test in tests:
                if test not in self.has:
                    continue
                st = self.status[test]
                here = self.has[test] & (st != UNKNOWN) & ~decided
                decided |= here
                pres[:, j] |= here & (st == wanted)
                gone = here & np.isin(st, _ABSENT_IF[wanted])
                if paired:
                    gone &= st != _OPPOSITE[wanted]
                if only_assay is not None:
                    gone &= self.assay[test] == only_assay
                absn[:, j] |= gone
        # kidney function: eGFR (entered or computed) first, else creatinine
        reduced, failure = kb.threshold("egfr_reduced"), kb.threshold("egfr_failure")
        b60, b15 = pos("lab:egfr_below_60"), pos("lab:egfr_below_15")
        egfr_has = self.has.get("egfr", nothing)
        egfr_value = self.value_si.get("egfr", nan)
        egfr_status = self.status.get("egfr", np.zeros(n, dtype=np.int8))
        branch1 = egfr_has & ~np.isnan(egfr_value)
        with np.errstate(invalid="ignore"):
            below60, below15 = egfr_value < reduced, egfr_value < failure
        self._both(pres, absn, b60, branch1, below60)
        implied[:, b60] |= branch1 & below15
        self._both(pres, absn, b15, branch1, below15)
        branch2 = egfr_has & ~branch1 & np.isin(egfr_status, (LOW, NORMAL))
        self._both(pres, absn, b60, branch2, egfr_status == LOW)
        absn[:, b15] |= branch2 & (egfr_status == NORMAL)
        creat_has = self.has.get("creatinine", nothing)
        creat_status = self.status.get("creatinine", np.zeros(n, dtype=np.int8))
        branch3 = ~branch1 & ~branch2 & creat_has & np.isin(creat_status, (HIGH, NORMAL, LOW, NOT_HIGH))
        branch3 &= ~(acute & (creat_status == HIGH))  # an acute rise is not a chronic eGFR (engine/evidence.py)
        self._both(pres, absn, b60, branch3, creat_status == HIGH)
        absn[:, b15] |= branch3 & (creat_status != HIGH)
        has_product = ~np.isnan(product)
        limit = kb.threshold("calcium_phosphate_product_mg2_dl2")
        with np.errstate(invalid="ignore"):
            high_product = product > limit
        self._both(pres, absn, pos("lab:calcium_phosphate_product_high"), has_product, high_product)

    @staticmethod
    def _both(pres: BoolArray, absn: BoolArray, j: int, rows: BoolArray, flag: BoolArray) -> None:
        pres[:, j] |= rows & flag
        absn[:, j] |= rows & ~flag


def _status_from_value(
    value: FloatArray, qualifier: str | None, low: FloatArray, high: FloatArray, found: BoolArray
) -> npt.NDArray[np.int8]:
    """``labs._status_from_value`` for many readings (NaN stands for a missing limit)."""
    no_low, no_high = np.isnan(low), np.isnan(high)
    with np.errstate(invalid="ignore"):
        if qualifier in ("<", "<="):
            out = np.where(~no_low & (value <= low), LOW, np.where(no_high | (value <= high), NOT_HIGH, UNKNOWN))
        elif qualifier in (">", ">="):
            out = np.where(~no_high & (value >= high), HIGH, np.where(no_low | (value >= low), NOT_LOW, UNKNOWN))
        else:
            out = np.where(
                ~no_high & (value > high),
                HIGH,
                np.where(~no_low & (value < low), LOW, np.where(no_low & no_high, UNKNOWN, NORMAL)),
            )
    return np.where(found, out, UNKNOWN).astype(np.int8)


# ---------------------------------------------------------------------- cell conversions
# Each mirrors what ``columns.table_docs`` puts into a case dict, and says _BAD for anything the
# per-row path must see (it then accepts the row or says why not).


def _life_months(age: FloatArray) -> FloatArray:
    """:func:`~calcinosis.case.model.life_months` of each row's age (NaN where there is none),
    computed once per distinct age: the longest duration the reader accepts."""
    distinct, inverse = np.unique(age, return_inverse=True)
    months = np.array([life_months(float(a)) if math.isfinite(a) else math.nan for a in distinct.tolist()])
    return months[inverse] if len(months) else np.full(len(age), math.nan)


def _code_of(value: Any, kept: list[Any]) -> int:
    """A converted cell's code: -1 empty, -2 bad, else its place among the kept values."""
    return -1 if value is _EMPTY else -2 if value is _BAD else kept.index(value)


def _bits(array: Any) -> tuple[BoolArray, BoolArray]:
    """(valid, value) of a boolean Arrow array, unpacked from its two bitmaps."""
    n, offset = len(array), array.offset
    validity, data = array.buffers()[:2]

    def unpack(buffer: Any) -> BoolArray:
        bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little")
        return bits[offset : offset + n].astype(bool)

    valid = unpack(validity) if validity is not None else np.ones(n, dtype=bool)
    return valid, unpack(data) & valid


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _flag(value: Any) -> Any:
    """true / false cells (history, exposures, findings, postmenopausal, imaging flags)."""
    if isinstance(value, bool):
        return value
    if _blank(value):
        return _EMPTY
    found = _bool(value)
    return _BAD if found is None else found


def _listed(value: Any) -> Any:
    """true-or-empty cells (sites, patterns, tissues): anything else is the reader's to refuse."""
    if value is True or (isinstance(value, str) and _bool(value) is True):
        return True
    return _EMPTY if _blank(value) else _BAD


def _numeric(value: Any) -> Any:
    if _blank(value):
        return _EMPTY
    number = _number(value)
    if isinstance(number, bool) or not isinstance(number, float) or not math.isfinite(number):
        return _BAD
    return number


def _case_id(value: Any) -> Any:
    if _blank(value):
        return _EMPTY
    if isinstance(value, bool) or not isinstance(value, str | int):
        return _BAD
    text = str(value).strip()
    return _BAD if len(text) > LIMITS["id_chars"] or not text.isprintable() else text


def _short_text(value: Any) -> Any:
    if _blank(value):
        return _EMPTY
    if not isinstance(value, str) or len(value) > LIMITS["string_chars"]:
        return _BAD
    return value.strip()


def _word(value: Any, allowed: tuple[str, ...]) -> Any:
    text = _short_text(value)
    if text is _EMPTY or text is _BAD:
        return text
    return text if text in allowed else _BAD
