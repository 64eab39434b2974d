"""Calcified deposits on CT: threshold, body outline, skeleton removal by shape, per-deposit measures.

Method (no deep learning, so that hands, forearms, lower legs and feet work):

1. candidates: voxels >= threshold (130 HU by default, the Agatston threshold: Agatston AS et al.,
   J Am Coll Cardiol 1990;15:827-32); components outside the body outline (largest component
   above -300 HU, computed at quarter resolution: the CT table, clothing) are dropped;
2. 26-connected components (connected-components-3d);
3. bone: a component that is a dense shell enclosing a lower-density cavity (per-slice hole
   filling adds at least ``BONE_CAVITY_FRACTION`` of its volume) and is elongated or large:
   "in bone, calcium is ordered, a dense cortex surrounding the medullary cavity" (seed 003);
   amorphous calcification fills nothing. A user bone mask, when given, marks bone directly;
4. deposits touching bone (fingertips, eroded bone): the bone component minus its filled,
   one-voxel-dilated shell; what remains and is large enough is a deposit flagged ``touches_bone``;
5. per deposit: volume, largest dimension (principal axes), mean and maximum HU, Agatston-like
   score, HU-weighted volume, shape -> case-format pattern (:mod:`calcinosis.imaging._deposits`).

Speed and memory (issue 19): besides the volume, the only large arrays are the boolean mask
and cc3d's labels of the box that holds candidates (found a slab at a time from maxima of the
volume read in its memory order, the mask freed once labelled); the threshold is compared in
the volume's own integer type. The components are runs of one array of voxels (no object, no
pass over the box per component); the bone test works on each candidate's bounding box
(:mod:`calcinosis.imaging._bone`), and every deposit is measured in a few array operations over
all of them. Nothing here imports scipy (0.2-0.3 s of start-up).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError

# the bone test's helpers, under the names the tests of issue 19 import from this module
from calcinosis.imaging._bone import dilate as _dilate
from calcinosis.imaging._bone import fill_slices as _fill_slices
from calcinosis.imaging._bone import fused_deposits as _fused_deposits
from calcinosis.imaging._deposits import Runs, join, measure_runs, principal_shapes
from calcinosis.imaging.results import Deposit, ImagingResult
from calcinosis.imaging.shape import distribution, principal_lengths, rank_deposits
from calcinosis.imaging.texts import Text, said, say
from calcinosis.imaging.volume import Volume, check_number, check_volume, in_memory_order, ordinary_pages

__all__ = ["BONE_CAVITY_FRACTION", "THRESHOLD_RANGE_HU", "DepositMask", "check_threshold", "measure_ct", "quantify_ct"]

BONE_CAVITY_FRACTION = 0.25  # hole filling must add a quarter of the component: a cortex around marrow
BONE_MIN_MM3 = 300.0  # smaller shells (eggshell nodules, phleboliths) stay deposits
BONE_MIN_ELONGATION = 2.0  # long bones and phalanges are tubes
BONE_LARGE_MM3 = 20_000.0  # or large shells (pelvis, vertebrae, epiphyses)
MIN_DEPOSIT_VOXELS = 3
THRESHOLD_RANGE_HU = (-1024.0, 32767.0)  # the values a CT can hold; outside it nothing or everything is "calcium"
SHAPE_SAMPLE_VOXELS = 200_000  # the bone test's shape is measured on at most about this many voxels

DepositMask = tuple[tuple[slice, slice, slice], npt.NDArray[np.bool_]]
Voxels = tuple[npt.NDArray[np.intp], ...]  # np.nonzero of a box: (z, y, x) indices in slice order


def check_threshold(threshold: float) -> float:
    """The calcium threshold as a finite number of HU within ``THRESHOLD_RANGE_HU``, or an ImagingError."""
    low, high = THRESHOLD_RANGE_HU
    return check_number(Text("name_threshold"), threshold, low=low, high=high)


def _label(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.integer[Any]], int]:
    """26-connected components, numbered in raster order (as ``ndimage.label`` numbers them).

    cc3d fails ("maximum length exception") on a volume that is a line (two dimensions of size 1)
    holding more than one component; on a line the components are its runs of voxels, and on any
    other volume it fails on, scipy's labelling stands in.
    """
    if sum(n == 1 for n in mask.shape) >= 2:
        line = mask.ravel()
        first = line.copy()
        first[1:] &= ~line[:-1]
        runs = np.cumsum(first, dtype=np.int64)
        return (runs * line).reshape(mask.shape), int(runs[-1]) if len(runs) else 0
    import cc3d

    try:
        labels, n = cc3d.connected_components(mask, connectivity=26, return_N=True)
    except RuntimeError:
        # cc3d's union-find also overflows on some small volumes that are not lines (a property
        # test found one in CI): scipy's labelling, 26-connected, numbers the same way
        from scipy import ndimage

        labels, n = ndimage.label(mask, structure=np.ones((3,) * mask.ndim, dtype=bool))
    return labels, int(n)


def _threshold_level(hu: npt.NDArray[Any], threshold: float) -> Any:
    """The threshold in the volume's own type (``hu >= level`` is ``hu >= threshold``), or None when
    no value of that type reaches it. For integers it is ceil(threshold): no float copy of the volume."""
    if hu.dtype.kind in "iu":
        info = np.iinfo(hu.dtype)
        level = math.ceil(threshold)
        return None if level > info.max else hu.dtype.type(max(level, int(info.min)))
    return hu.dtype.type(threshold)


_SLAB_BYTES = 8 << 20  # the volume is scanned a few MB at a time


def _candidate_box(hu: npt.NDArray[Any], level: Any) -> tuple[slice, slice, slice] | None:
    """The bounding box of the voxels at or above ``level`` (None when there is none), found a slab
    of slices at a time so that no full-volume mask is made: the labels are then only as large as
    the part of the field of view that holds candidates (a forearm in a 500 mm field is a fraction).
    Each slab is reduced to the maximum of each row and of each column (numpy's fastest reductions,
    in memory order), which hold a value at or above ``level`` exactly where the slab does."""
    view, flipped = in_memory_order(hu)
    depth = view.shape[0]
    per_slab = max(1, _SLAB_BYTES // max(1, view[0].nbytes))
    in_z = np.zeros(depth, dtype=bool)
    row_max = col_max = None
    for start in range(0, depth, per_slab):
        slab = view[start : start + per_slab]
        by_row = slab.max(axis=2)
        in_z[start : start + per_slab] = by_row.max(axis=1) >= level
        rows, cols = by_row.max(axis=0), slab.max(axis=1).max(axis=0)
        row_max = rows if row_max is None else np.maximum(row_max, rows)
        col_max = cols if col_max is None else np.maximum(col_max, cols)
    extents = [in_z, row_max >= level, col_max >= level]
    if not in_z.any():
        return None
    z, y, x = (np.flatnonzero(a[::-1] if axis in flipped else a) for axis, a in enumerate(extents))
    return slice(int(z[0]), int(z[-1]) + 1), slice(int(y[0]), int(y[-1]) + 1), slice(int(x[0]), int(x[-1]) + 1)


def _body_outline(hu: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Body outline at quarter in-plane resolution (largest component above -300 HU, holes filled).

    Kept small on purpose: it is only looked up at each component's voxels, never expanded to
    the full volume (memory is the constraint on a 512x512x600 CT).
    """
    small = hu[:, ::4, ::4] > -300
    if not small.any():
        return np.ones_like(small)
    labels, n = _label(small)
    if n > 1:
        counts = _label_sizes(labels, n)
        counts[0] = 0
        small = labels == int(np.argmax(counts))
    return _dilate(_fill_slices(small))


def _label_sizes(labels: npt.NDArray[np.integer[Any]], n: int) -> npt.NDArray[np.intp]:
    """Voxels per label (0 to n), counted a piece at a time: bincount converts its input to 64-bit
    integers, which for the whole array would be a copy four to eight times its size (twice as
    slow as the counting; cc3d.largest_k is slower still)."""
    flat = labels.ravel()
    counts = np.zeros(n + 1, dtype=np.intp)
    for start in range(0, len(flat), 1 << 16):
        counts += np.bincount(flat[start : start + (1 << 16)], minlength=n + 1)
    return counts


def _component_runs(
    mask: npt.NDArray[np.bool_], labels: npt.NDArray[np.integer[Any]], n: int, origin: tuple[int, int, int] = (0, 0, 0)
) -> Runs:
    """Each labelled component, in label order, as a run of voxels (z, y, x) in slice order, the
    indices shifted by ``origin`` (where ``mask`` lies in the volume).

    The candidates' voxels (a percent of the box) are taken once, sorted by label (stable, so each
    component's voxels stay in C order), and cut into runs: no pass over the box per component,
    nor find_objects' pass over every voxel of the labels.
    """
    flat = np.flatnonzero(mask)
    if n == 0 or len(flat) == 0:
        empty = np.zeros(0, dtype=np.intp)
        return Runs(empty, empty, empty, empty, empty)
    ids = labels.ravel()[flat]
    if n < 1 << 16:
        ids = ids.astype(np.uint16)  # numpy sorts 16-bit keys by radix sort, stable: about twice as fast
    counts = np.bincount(ids, minlength=n + 1)[1:]
    order = np.argsort(ids, kind="stable")
    del ids
    flat = flat[order]
    # the indices of each voxel from its flat index: numpy divides by a constant with libdivide,
    # several times faster than np.unravel_index; ``order`` holds the products, ``flat`` becomes x
    # (fewer new arrays: each costs its first touch, a page fault per 4 kB)
    _, rows, cols = mask.shape
    zz = flat // (rows * cols)
    flat -= np.multiply(zz, rows * cols, out=order)
    yy = flat // cols
    flat -= np.multiply(yy, cols, out=order)
    xx = flat
    del order
    present = counts > 0  # labels that have voxels (cc3d numbers them 1..n)
    starts = (np.cumsum(counts) - counts)[present]
    if any(origin):
        zz += origin[0]
        yy += origin[1]
        xx += origin[2]
    return Runs(zz, yy, xx, starts, counts[present])


def _components(
    mask: npt.NDArray[np.bool_], labels: npt.NDArray[np.integer[Any]], n: int
) -> list[tuple[tuple[slice, slice, slice], Voxels]]:
    """Each labelled component in label order: its bounding box in ``labels`` and its voxels
    (z, y, x) relative to that box, in slice order: the same boxes as ``ndimage.find_objects``
    and the same voxels, in the same order, as ``np.nonzero(labels[box] == index)``."""
    runs = _component_runs(mask, labels, n)
    out: list[tuple[tuple[slice, slice, slice], Voxels]] = []
    for i, (z0, z1, y0, y1, x0, x1) in enumerate(runs.boxes().tolist()):
        zz, yy, xx = runs.voxels(i)
        out.append(((slice(z0, z1), slice(y0, y1), slice(x0, x1)), (zz - z0, yy - y0, xx - x0)))
    return out


def _kept(runs: Runs, body: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Components of at least ``MIN_DEPOSIT_VOXELS`` whose middle voxel (in slice order) lies inside
    the body outline (at quarter in-plane resolution)."""
    middle = runs.starts + runs.counts // 2
    inside = body[runs.zz[middle], runs.yy[middle] // 4, runs.xx[middle] // 4]
    return np.asarray((runs.counts >= MIN_DEPOSIT_VOXELS) & inside, dtype=bool)


def _in_bone_mask(runs: Runs, bone_mask: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
    """Components lying more than half inside the user's bone mask (none without one)."""
    if bone_mask is None:
        return np.zeros(len(runs), dtype=bool)
    inside = np.add.reduceat(bone_mask[runs.zz, runs.yy, runs.xx].astype(np.intp), runs.starts)
    return np.asarray(inside > 0.5 * runs.counts, dtype=bool)


def _crop(runs: Runs, i: int, box: list[int]) -> npt.NDArray[np.bool_]:
    """Component ``i`` as a mask of its bounding box ``box`` (z0, z1, y0, y1, x0, x1)."""
    z0, z1, y0, y1, x0, x1 = box
    comp = np.zeros((z1 - z0, y1 - y0, x1 - x0), dtype=bool)
    zz, yy, xx = runs.voxels(i)
    comp[zz - z0, yy - y0, xx - x0] = True
    return comp


class _BoneTest:
    """Which components are bone (a cortex around a cavity), and the deposits fused to each bone.

    The principal lengths the test needs (components of ``BONE_MIN_MM3`` to ``BONE_LARGE_MM3``)
    are computed beforehand for every component that may be a deposit, batched, and kept: a
    deposit's own measures reuse them.
    """

    def __init__(self, runs: Runs, kept: npt.NDArray[np.bool_], by_mask: npt.NDArray[np.bool_], volume: Volume) -> None:
        self.runs, self.spacing, self.voxel = runs, volume.spacing, volume.voxel_volume_mm3
        self.by_mask = by_mask
        self.boxes = runs.boxes().tolist()
        n = len(runs)
        self.lengths = np.full((n, 3), np.nan)
        self.centroids = np.full((n, 3), np.nan)
        # huge components (tiny voxels) are measured on a subsample for the test: see _elongation
        todo = np.flatnonzero(
            kept & ~by_mask & (runs.counts * self.voxel < BONE_LARGE_MM3) & (runs.counts < 2 * SHAPE_SAMPLE_VOXELS)
        )
        self.lengths[todo], self.centroids[todo] = principal_shapes(runs.take(todo), self.spacing)

    def may_be_bone(self, kept: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """The kept components the test must look at: in the user's bone mask, large, or tubes (or not
        yet shaped); the others are deposits, told apart without a Python call each."""
        mm3 = self.runs.counts * self.voxel
        elongated = ~(self.lengths[:, 0] / self.lengths[:, 1] < BONE_MIN_ELONGATION)  # NaN: not shaped yet
        return np.asarray(kept & (self.by_mask | ((mm3 >= BONE_MIN_MM3) & elongated)), dtype=bool)

    def _elongation(self, i: int) -> float:
        lengths = self.lengths[i]
        if np.isnan(lengths[0]):  # millions of voxels: a regular subsample is enough for the shape
            step = int(self.runs.counts[i]) // SHAPE_SAMPLE_VOXELS
            dz, dy, dx = self.spacing
            zz, yy, xx = (a[::step] for a in self.runs.voxels(i))
            lengths = principal_lengths(np.column_stack([zz * dz, yy * dy, xx * dx]), min(dy, dx))
        return float(lengths[0] / lengths[1])

    def is_bone(self, i: int) -> tuple[bool, npt.NDArray[np.bool_] | None, npt.NDArray[np.bool_] | None]:
        """Whether component ``i`` is bone, with its mask and its filled slices when they were made."""
        if self.by_mask[i]:
            return True, None, None
        mm3 = int(self.runs.counts[i]) * self.voxel
        # shape first (cheap), cavity second (per-slice hole filling): only tubes or big shells
        if mm3 < BONE_MIN_MM3 or (mm3 < BONE_LARGE_MM3 and self._elongation(i) < BONE_MIN_ELONGATION):
            return False, None, None
        comp = _crop(self.runs, i, self.boxes[i])
        filled = _fill_slices(comp)
        count = int(self.runs.counts[i])
        return int(np.count_nonzero(filled)) - count >= BONE_CAVITY_FRACTION * count, comp, filled

    def fused(self, i: int, comp: npt.NDArray[np.bool_] | None, filled: npt.NDArray[np.bool_] | None) -> Runs:
        """The deposits fused to bone ``i`` (of ``MIN_DEPOSIT_VOXELS`` or more), as runs in the volume."""
        box = self.boxes[i]
        zz, yy, xx = self.runs.voxels(i)
        voxels = (zz - box[0], yy - box[2], xx - box[4])
        rest = _fused_deposits(_crop(self.runs, i, box) if comp is None else comp, self.spacing, filled, voxels=voxels)
        if np.count_nonzero(rest) < MIN_DEPOSIT_VOXELS:
            return join([])
        labels, m = _label(rest)
        parts = _component_runs(rest, labels, m, (box[0], box[2], box[4]))
        return parts.take(np.flatnonzero(parts.counts >= MIN_DEPOSIT_VOXELS))


def _masks(runs: Runs) -> list[DepositMask]:
    """Each run as a deposit mask: its bounding box in the volume and its voxels in that box."""
    boxes = runs.boxes()
    if not len(boxes):
        return []
    lows = boxes[:, [0, 2, 4]]
    zz, yy, xx = (axis - np.repeat(lows[:, k], runs.counts) for k, axis in enumerate((runs.zz, runs.yy, runs.xx)))
    out: list[DepositMask] = []
    for (z0, z1, y0, y1, x0, x1), start, count in zip(
        boxes.tolist(), runs.starts.tolist(), runs.counts.tolist(), strict=True
    ):
        part = np.zeros((z1 - z0, y1 - y0, x1 - x0), dtype=bool)
        run = slice(start, start + count)
        part[zz[run], yy[run], xx[run]] = True
        out.append(((slice(z0, z1), slice(y0, y1), slice(x0, x1)), part))
    return out


def quantify_ct(
    volume: Volume, *, threshold: float = 130.0, bone_mask: npt.NDArray[np.bool_] | None = None, lang: str = "en"
) -> ImagingResult:
    """Measure every calcified deposit of a CT volume; see :func:`measure_ct`."""
    return measure_ct(volume, threshold=threshold, bone_mask=bone_mask, lang=lang)[0]


def measure_ct(
    volume: Volume,
    *,
    threshold: float = 130.0,
    bone_mask: npt.NDArray[np.bool_] | None = None,
    lang: str = "en",
) -> tuple[ImagingResult, list[DepositMask]]:
    """Measure every calcified deposit of a CT volume (see the module docstring for the method),
    and return each deposit's voxel mask (bounding box and crop) for overlays.

    Parameters
    ----------
    volume
        The CT in HU, (z, y, x), with its spacing.
    threshold
        Calcium threshold in HU (130 by default, Agatston 1990).
    bone_mask
        Optional boolean mask of the skeleton, same shape: components mostly inside it are bone.
    lang
        Language of the result's assumptions and disclaimer (en or fr).
    """
    check_volume(volume)
    if volume.modality != "ct":
        raise ImagingError(
            "err_not_ct",
            path=volume.source or None,
            source=volume.source,
            modality=Text(f"modality_{volume.modality}"),
        )
    threshold = check_threshold(threshold)
    if bone_mask is not None and bone_mask.shape != volume.array.shape:
        raise ImagingError(
            "err_mask_shape",
            path=volume.source or None,
            source=volume.source,
            mask=bone_mask.shape,
            shape=volume.array.shape,
        )
    with ordinary_pages():  # cc3d's labels: see ordinary_pages (up to 4x faster on a shared machine)
        return _measure_checked(volume, threshold, bone_mask, lang)


def _candidates(volume: Volume, threshold: float, timings: dict[str, float]) -> tuple[Runs, npt.NDArray[np.bool_]]:
    """The 26-connected components at or above ``threshold`` as runs of voxels, and which of them may
    be deposits (large enough, inside the body outline); the time of each stage in ``timings``."""
    t = time.perf_counter()
    hu = volume.array
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the body outline in a second thread while the candidates are found: numpy releases the GIL
        # while it reduces and compares the volume
        outline = pool.submit(_body_outline, hu)
        level = _threshold_level(hu, threshold)
        crop = None if level is None else _candidate_box(hu, level)
        # only the box holding candidates is thresholded and labelled (contiguous, for cc3d)
        mask = np.zeros((1, 1, 1), dtype=bool) if crop is None else np.ascontiguousarray(hu[crop] >= level)
        body = outline.result()
    timings["threshold_and_body"] = time.perf_counter() - t
    t = time.perf_counter()
    labels, n = _label(mask)
    origin = (0, 0, 0) if crop is None else (crop[0].start, crop[1].start, crop[2].start)
    runs = _component_runs(mask, labels, n, origin)  # none when nothing reaches the threshold
    timings["labelling"] = time.perf_counter() - t
    return runs, _kept(runs, body)


def _measure_checked(
    volume: Volume, threshold: float, bone_mask: npt.NDArray[np.bool_] | None, lang: str
) -> tuple[ImagingResult, list[DepositMask]]:
    """:func:`measure_ct` once its arguments are checked."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    runs, kept = _candidates(volume, threshold, timings)
    t = time.perf_counter()
    test = _BoneTest(runs, kept, _in_bone_mask(runs, bone_mask), volume)
    timings["shapes"] = time.perf_counter() - t
    t = time.perf_counter()
    bone = np.zeros(len(runs), dtype=bool)
    bones: list[tuple[int, npt.NDArray[np.bool_] | None, npt.NDArray[np.bool_] | None]] = []
    for i in np.flatnonzero(test.may_be_bone(kept)).tolist():
        bone[i], comp, filled = test.is_bone(i)
        if bone[i]:
            bones.append((i, comp, filled))
    # each bone's label and the deposits fused to it; two bones at a time (numpy releases the GIL
    # for most of the cortex measurement: two cores, about half the time for a pair of long bones)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fused = list(zip([i for i, _, _ in bones], pool.map(lambda b: test.fused(*b), bones), strict=True))
    deposits = np.flatnonzero(kept & ~bone).tolist()  # in label order
    timings["bone_separation"] = time.perf_counter() - t
    t = time.perf_counter()
    found, masks = _measure_all(volume, test, deposits, fused)
    ranked, ranked_masks, patterns = rank_deposits(found, masks)
    timings["measurement"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    result = ImagingResult(
        source=volume.source,
        modality="ct",
        shape=volume.array.shape,
        spacing_mm=volume.spacing,
        threshold_hu=threshold,
        deposits=ranked,
        total_volume_mm3=round(sum(d.volume_mm3 for d in ranked), 2),
        total_agatston_like=round(sum(d.agatston_like for d in ranked), 1),
        bone_components=len(fused),
        patterns=patterns,
        distribution=distribution([d.centroid_mm for d in ranked]),
        assumptions=[said(note, lang) for note in volume.assumptions],
        timings_s={k: round(v, 3) for k, v in timings.items()},
        disclaimer=say("disclaimer", lang),
    )
    return result, ranked_masks


def _measure_all(
    volume: Volume, test: _BoneTest, deposits: list[int], fused: list[tuple[int, Runs]]
) -> tuple[list[Deposit], list[DepositMask]]:
    """Every deposit measured (batched) with its mask, in the order the components were found: each
    component, and the deposits fused to a bone where that bone's component was (the order that
    breaks ties between deposits of equal volume when they are ranked)."""
    which = np.asarray(deposits, dtype=np.intp)
    missing = which[np.isnan(test.lengths[which, 0])]  # large or huge components: not shaped for the test
    if len(missing):
        test.lengths[missing], test.centroids[missing] = principal_shapes(test.runs.take(missing), volume.spacing)
    alone = test.runs.take(which)
    on_bone = join([parts for _, parts in fused])
    hu, spacing, voxel = volume.array, volume.spacing, volume.voxel_volume_mm3
    shapes = (test.lengths[which], test.centroids[which])
    found = measure_runs(hu, alone, spacing, voxel, touches_bone=False, shapes=shapes)
    found_on_bone = measure_runs(hu, on_bone, spacing, voxel, touches_bone=True)
    masks, masks_on_bone = _masks(alone), _masks(on_bone)
    keys = deposits + [i for i, parts in fused for _ in range(len(parts))]
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: a bone's fused deposits in their order
    everything, every_mask = found + found_on_bone, masks + masks_on_bone
    return [everything[k] for k in order], [every_mask[k] for k in order]
