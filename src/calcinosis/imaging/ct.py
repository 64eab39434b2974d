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
5. per deposit, over its bounding box only: volume, largest dimension (principal axes), mean and
   maximum HU, Agatston-like score, HU-weighted volume, shape -> case-format pattern.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from calcinosis.errors import ImagingError
from calcinosis.imaging.results import Deposit, ImagingResult
from calcinosis.imaging.shape import distribution, principal_lengths, rank_deposits
from calcinosis.imaging.volume import Volume, check_number, check_volume

__all__ = ["BONE_CAVITY_FRACTION", "THRESHOLD_RANGE_HU", "DepositMask", "check_threshold", "measure_ct", "quantify_ct"]

BONE_CAVITY_FRACTION = 0.25  # hole filling must add a quarter of the component: a cortex around marrow
BONE_MIN_MM3 = 300.0  # smaller shells (eggshell nodules, phleboliths) stay deposits
BONE_MIN_ELONGATION = 2.0  # long bones and phalanges are tubes
BONE_LARGE_MM3 = 20_000.0  # or large shells (pelvis, vertebrae, epiphyses)
MIN_DEPOSIT_VOXELS = 3
PUNCTATE_MAX_MM3 = 15.0
THRESHOLD_RANGE_HU = (-1024.0, 32767.0)  # the values a CT can hold; outside it nothing or everything is "calcium"


def check_threshold(threshold: float) -> float:
    """The calcium threshold as a finite number of HU within ``THRESHOLD_RANGE_HU``, or an ImagingError."""
    low, high = THRESHOLD_RANGE_HU
    return check_number("--threshold (HU)", threshold, low=low, high=high)


def _label(mask: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.integer[Any]], int]:
    """26-connected components. cc3d fails ("maximum length exception") on a volume that is a line
    (two dimensions of size 1) holding more than one component: scipy labels those."""
    if sum(n == 1 for n in mask.shape) >= 2:
        line_labels, count = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
        return np.asarray(line_labels), int(count)
    import cc3d

    labels, n = cc3d.connected_components(mask, connectivity=26, return_N=True)
    return labels, int(n)


def _body_outline(hu: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """Body outline at quarter in-plane resolution (largest component above -300 HU, holes filled).

    Kept small on purpose: it is only looked up at each component's voxels, never expanded to
    the full volume (memory is the constraint on a 512x512x600 CT).
    """
    small = hu[:, ::4, ::4] > -300
    if not small.any():
        return np.ones_like(small)
    lab, n = _label(small)
    if n > 1:
        counts = np.bincount(lab.ravel())
        counts[0] = 0
        small = lab == int(np.argmax(counts))
    filled = np.stack([ndimage.binary_fill_holes(s) for s in small])
    return np.asarray(ndimage.binary_dilation(filled, iterations=1), dtype=bool)


def _inside_body(body: npt.NDArray[np.bool_], box: tuple[slice, slice, slice], comp: npt.NDArray[np.bool_]) -> bool:
    zz, yy, xx = np.nonzero(comp)
    k = len(zz) // 2
    return bool(body[box[0].start + zz[k], (box[1].start + yy[k]) // 4, (box[2].start + xx[k]) // 4])


def _fill_slices(comp: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    return np.stack([ndimage.binary_fill_holes(s) if s.any() else s for s in comp])


def _fused_deposits(comp: npt.NDArray[np.bool_], spacing: tuple[float, float, float]) -> npt.NDArray[np.bool_]:
    """Voxels of a bone component that stick out of its cortex: deposits fused to the bone.

    Per slice, the distance of each voxel from the marrow cavity is measured; the cortical
    thickness is the median, over 36 angular sectors around the cavity, of the largest distance
    in the sector. A deposit on the surface makes a few sectors thicker; what lies more than one
    voxel beyond that thickness is not cortex. Slices without a cavity (bone ends) are left whole.
    """
    _, dy, dx = spacing
    out = np.zeros_like(comp)
    for k, sl in enumerate(comp):
        if not sl.any():
            continue
        cavity = ndimage.binary_fill_holes(sl) & ~sl
        if cavity.sum() < 4:
            continue
        dist = ndimage.distance_transform_edt(~cavity, sampling=(dy, dx))
        yy, xx = np.nonzero(sl)
        cy, cx = np.argwhere(cavity).mean(axis=0)
        sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * 36).astype(int) % 36
        d = dist[yy, xx]
        reach = np.zeros(36)
        np.maximum.at(reach, sector, d)
        thickness = float(np.median(reach[reach > 0]))
        beyond = d > thickness + max(dy, dx)
        out[k, yy[beyond], xx[beyond]] = True
    # a deposit extends over whole slices; keep the voxels within one voxel of the flagged ones
    return np.asarray(ndimage.binary_dilation(out, iterations=1) & comp, dtype=bool)


def _pattern(volume_mm3: float, l1: float, l2: float, l3: float) -> str:
    if volume_mm3 < PUNCTATE_MAX_MM3:
        return "punctate"
    if l1 / l2 >= 4:
        return "linear"
    if l2 / l3 >= 3 and l1 / l2 < 3:
        return "sheet"
    if l1 / l2 >= 2 and l1 <= 15:
        return "rice_grain"
    return "nodular"


def _agatston_weight(max_hu: float) -> int:
    return 1 if max_hu < 200 else 2 if max_hu < 300 else 3 if max_hu < 400 else 4


DepositMask = tuple[tuple[slice, slice, slice], npt.NDArray[np.bool_]]


def quantify_ct(
    volume: Volume, *, threshold: float = 130.0, bone_mask: npt.NDArray[np.bool_] | None = None
) -> ImagingResult:
    """Measure every calcified deposit of a CT volume; see :func:`measure_ct`."""
    return measure_ct(volume, threshold=threshold, bone_mask=bone_mask)[0]


def measure_ct(
    volume: Volume, *, threshold: float = 130.0, bone_mask: npt.NDArray[np.bool_] | None = None
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
    """
    check_volume(volume)
    if volume.modality != "ct":
        raise ImagingError(
            f"{volume.source}: a {volume.modality} cannot be measured as a CT", path=volume.source or None
        )
    threshold = check_threshold(threshold)
    if bone_mask is not None and bone_mask.shape != volume.array.shape:
        raise ImagingError(
            f"{volume.source}: bone mask shape {bone_mask.shape} differs from the study's {volume.array.shape}",
            path=volume.source or None,
        )
    t0 = time.perf_counter()
    hu = volume.array
    dz, dy, dx = volume.spacing
    voxel = volume.voxel_volume_mm3
    timings: dict[str, float] = {}
    body = _body_outline(hu)
    mask = hu >= threshold
    timings["threshold_and_body"] = time.perf_counter() - t0
    t = time.perf_counter()
    labels, _n = _label(mask)
    del mask  # labels take 2-4 bytes a voxel: free what is not needed before measuring
    timings["labelling"] = time.perf_counter() - t
    t = time.perf_counter()
    boxes = ndimage.find_objects(labels)
    deposit_parts: list[tuple[tuple[slice, slice, slice], npt.NDArray[np.bool_], bool]] = []
    bone_count = 0
    for index, box in enumerate(boxes, start=1):
        if box is None:
            continue
        comp = labels[box] == index
        count = int(np.count_nonzero(comp))
        if count < MIN_DEPOSIT_VOXELS or not _inside_body(body, box, comp):
            continue
        is_bone = False
        if bone_mask is not None and np.count_nonzero(bone_mask[box] & comp) > 0.5 * count:
            is_bone = True
        elif count * voxel >= BONE_MIN_MM3:
            # shape first (cheap), cavity second (per-slice hole filling): only tubes or big shells
            zz, yy, xx = np.nonzero(comp)
            l1, l2, _ = principal_lengths(np.column_stack([zz * dz, yy * dy, xx * dx]), min(dy, dx))
            if l1 / l2 >= BONE_MIN_ELONGATION or count * voxel >= BONE_LARGE_MM3:
                cavity = int(np.count_nonzero(_fill_slices(comp))) - count
                is_bone = cavity >= BONE_CAVITY_FRACTION * count
        if not is_bone:
            deposit_parts.append((box, comp, False))
            continue
        bone_count += 1
        rest = _fused_deposits(comp, (dz, dy, dx))
        if np.count_nonzero(rest) >= MIN_DEPOSIT_VOXELS:
            sub, _m = ndimage.label(rest, structure=np.ones((3, 3, 3), dtype=bool))
            for j, sbox in enumerate(ndimage.find_objects(sub), start=1):
                if sbox is None:
                    continue
                part = sub[sbox] == j
                if np.count_nonzero(part) < MIN_DEPOSIT_VOXELS:
                    continue
                full = tuple(slice(b.start + s.start, b.start + s.stop) for b, s in zip(box, sbox, strict=True))
                deposit_parts.append((full, part, True))  # type: ignore[arg-type]
    timings["bone_separation"] = time.perf_counter() - t
    t = time.perf_counter()
    deposits: list[Deposit] = []
    for box, part, touches in deposit_parts:
        values = hu[box][part].astype(np.float64)
        zz, yy, xx = np.nonzero(part)
        z0, y0, x0 = box[0].start, box[1].start, box[2].start
        coords = np.column_stack([(zz + z0) * dz, (yy + y0) * dy, (xx + x0) * dx])
        l1, l2, l3 = principal_lengths(coords, min(dy, dx))
        count = len(values)
        vol_mm3 = count * voxel
        agatston = 0.0
        for z in np.unique(zz):
            in_slice = zz == z
            agatston += np.count_nonzero(in_slice) * dy * dx * _agatston_weight(float(values[in_slice].max()))
        agatston *= dz / 3.0
        centroid = coords.mean(axis=0)
        deposits.append(
            Deposit(
                id=0,
                voxels=count,
                volume_mm3=round(vol_mm3, 2),
                largest_dimension_mm=round(l1, 2),
                mean_hu=round(float(values.mean()), 1),
                max_hu=float(values.max()),
                agatston_like=round(agatston, 1),
                mass_score=round(float(values.sum()) * voxel / 1000.0, 3),
                centroid_mm=(round(float(centroid[0]), 2), round(float(centroid[1]), 2), round(float(centroid[2]), 2)),
                bbox=(box[0].start, box[0].stop, box[1].start, box[1].stop, box[2].start, box[2].stop),
                elongation=round(l1 / l2, 2),
                flatness=round(l2 / l3, 2),
                pattern=_pattern(vol_mm3, l1, l2, l3),
                touches_bone=touches,
            )
        )
    deposits, masks, patterns = rank_deposits(deposits, [(box, part) for box, part, _ in deposit_parts])
    timings["measurement"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    result = ImagingResult(
        source=volume.source,
        modality="ct",
        shape=hu.shape,
        spacing_mm=volume.spacing,
        threshold_hu=threshold,
        deposits=deposits,
        total_volume_mm3=round(sum(d.volume_mm3 for d in deposits), 2),
        total_agatston_like=round(sum(d.agatston_like for d in deposits), 1),
        bone_components=bone_count,
        patterns=patterns,
        distribution=distribution([d.centroid_mm for d in deposits]),
        assumptions=list(volume.assumptions),
        timings_s={k: round(v, 3) for k, v in timings.items()},
    )
    return result, masks
