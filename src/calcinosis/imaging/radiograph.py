"""Calcified deposits on a radiograph: area in cm² and 2D shape, with how sure the measure is.

A radiograph projects depth: deposits and bones overlap, and a deposit's area depends on the
projection. The method:

1. normalise the image to [0, 1] on its 1st-99.5th percentiles (dense is bright);
2. subtract the local background (a grey opening of about 15 mm, i.e. a white top-hat), which
   removes soft tissue and the broad part of bones; deposits wider than that are underestimated;
3. candidates: regions above 3 robust noise units (median absolute deviation) that contain a
   pixel above ``k`` units (hysteresis: seeds well above the noise, grown to their thin rims);
4. bone: a candidate region larger than ``BONE_MIN_MM2`` and elongated (a diaphysis seen side-on)
   is dropped as skeleton; a region touching the image border is not measured (anatomy leaving
   the field, or a deposit cut by it) and is counted in the assumptions;
5. per deposit: area (mm²), largest dimension, mean and peak intensity, 2D pattern.

On a PA hand radiograph (``hand=True``, or found by itself with ``hand=None``) the bones are
told by their cortex and chained into the rays of the hand, and the deposits are given by
region (:mod:`calcinosis.imaging.hand`).

Areas use the pixel spacing at the patient when the file gives it (PixelSpacing, or
ImagerPixelSpacing divided by the estimated magnification); otherwise the detector spacing,
which overestimates areas by the magnification squared, and the result says so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from calcinosis.errors import ImagingError
from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.hand import Component, describe, find_hand, hand_regions, is_bone
from calcinosis.imaging.results import Deposit, ImagingResult
from calcinosis.imaging.shape import distribution, principal_lengths, rank_deposits
from calcinosis.imaging.texts import Text, said, say
from calcinosis.imaging.volume import Volume, check_number, check_volume

__all__ = ["measure_radiograph", "quantify_radiograph"]

BACKGROUND_MM = 15.0
NOISE_UNITS = 6.0
EDGE_UNITS = 3.0
BONE_MIN_MM2 = 400.0
BONE_MIN_ELONGATION = 2.5
MIN_PIXELS = 4
PUNCTATE_MAX_MM2 = 4.0


def _pattern_2d(area: float, l1: float, l2: float) -> str:
    if area < PUNCTATE_MAX_MM2:
        return "punctate"
    if l1 / l2 >= 4:
        return "linear"
    if l1 / l2 >= 2 and l1 <= 15:
        return "rice_grain"
    return "nodular"


def quantify_radiograph(
    volume: Volume, *, noise_units: float = NOISE_UNITS, hand: bool | None = False, lang: str = "en"
) -> ImagingResult:
    """Measure the deposits of one radiograph; see :func:`measure_radiograph`."""
    return measure_radiograph(volume, noise_units=noise_units, hand=hand, lang=lang)[0]


def measure_radiograph(
    volume: Volume, *, noise_units: float = NOISE_UNITS, hand: bool | None = False, lang: str = "en"
) -> tuple[ImagingResult, list[DepositMask]]:
    """Measure the deposits of one radiograph (``volume.array`` of shape (1, y, x)), with their masks.

    ``hand``: True for a PA hand radiograph (an :class:`ImagingError` says what was found when
    the hand's bones are not recognised), None to look for a hand and use its regions when one
    is recognised, False (the default) for the method without regions. ``lang``: the language of
    the result's assumptions and disclaimer (en or fr).

    .. versionchanged:: 0.7.0
       ``hand``: deposits by region of a PA hand radiograph.
    """
    check_volume(volume)
    if volume.modality != "radiograph":
        raise ImagingError(
            "err_not_radiograph",
            path=volume.source or None,
            source=volume.source,
            modality=Text(f"modality_{volume.modality}"),
        )
    noise_units = check_number(Text("name_noise_units"), noise_units, low=0.5, high=100.0)
    from scipy import ndimage  # here, not at import: the CT path never needs scipy (0.2-0.3 s to import)

    image = volume.array[0].astype(np.float32)
    _, dy, dx = volume.spacing
    lo, hi = np.percentile(image, [1, 99.5])
    norm = np.clip((image - lo) / max(hi - lo, 1e-6), 0, 1)
    # white top-hat: a grey opening wider than the deposits keeps soft tissue and the broad
    # bone shafts, and removes what is smaller (deposits, and the thin cortex lines)
    size = max(3, round(BACKGROUND_MM / min(dy, dx) / 2) | 1)
    half = ndimage.grey_opening(norm[::2, ::2], size=(size, size))
    half = ndimage.uniform_filter(half, size=3)
    background = np.repeat(np.repeat(half, 2, axis=0), 2, axis=1)[: norm.shape[0], : norm.shape[1]]
    residual = norm - background
    mad = float(np.median(np.abs(residual - np.median(residual)))) * 1.4826 or 1e-3
    # hysteresis: a deposit is seeded where it stands well above the noise and grown down to
    # EDGE_UNITS, because a nodule's projection thins out towards its rim
    seeds = residual > noise_units * mad
    labels, _n = ndimage.label(residual > EDGE_UNITS * mad)  # 4-connected: noise does not bridge diagonally
    seeded = np.unique(labels[seeds])
    labels[~np.isin(labels, seeded[seeded > 0])] = 0
    deposits: list[Deposit] = []
    masks: list[DepositMask] = []
    bones = 0
    border = 0
    pixel = dy * dx
    found: list[tuple[int, tuple[slice, slice], npt.NDArray[np.bool_]]] = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        part = labels[box] == index
        if int(np.count_nonzero(part)) < MIN_PIXELS:
            continue
        if box[0].start == 0 or box[1].start == 0 or box[0].stop == labels.shape[0] or box[1].stop == labels.shape[1]:
            border += (
                1  # cut by the field edge: anatomy running out of the image, or a deposit that cannot be measured whole
            )
            continue
        found.append((index, (box[0], box[1]), part))
    # shape and cortex of every component only when a hand is looked for
    described: dict[int, Component] = (
        {i: describe(i, b, p, residual, (dy, dx)) for i, b, p in found} if hand is not False else {}
    )
    layout, why = find_hand(list(described.values())) if hand is not False else (None, "")
    if hand is True and layout is None:
        raise ImagingError("err_not_hand", path=volume.source or None, source=volume.source, why=why)
    for index, box, part in found:
        count = int(np.count_nonzero(part))
        yy, xx = np.nonzero(part)
        coords = np.column_stack([(yy + box[0].start) * dy, (xx + box[1].start) * dx])
        l1, l2, _ = principal_lengths(coords, min(dy, dx))
        area = count * pixel
        if (area >= BONE_MIN_MM2 and l1 / l2 >= BONE_MIN_ELONGATION) or (
            layout is not None and (index in layout.bone_indices or is_bone(described[index], shaft=False))
        ):
            bones += 1
            continue
        values = norm[box][part]
        centroid = coords.mean(axis=0)
        deposits.append(
            Deposit(
                id=0,
                voxels=count,
                volume_mm3=round(area, 2),
                largest_dimension_mm=round(l1, 2),
                mean_hu=round(float(values.mean()), 3),
                max_hu=round(float(values.max()), 3),
                agatston_like=0.0,
                mass_score=round(float((residual[box][part]).sum()) * pixel / 100.0, 3),
                centroid_mm=(0.0, round(float(centroid[0]), 2), round(float(centroid[1]), 2)),
                bbox=(0, 1, box[0].start, box[0].stop, box[1].start, box[1].stop),
                elongation=round(l1 / l2, 2),
                flatness=1.0,
                pattern=_pattern_2d(area, l1, l2),
                touches_bone=False,
            )
        )
        masks.append(((slice(0, 1), box[0], box[1]), part[None]))
    deposits, masks, patterns = rank_deposits(deposits, masks)
    assumptions = [
        *(said(note, lang) for note in volume.assumptions),
        say("note_projection", lang),
        say("note_areas_field", lang),
        say("note_border", lang, count=border),
    ]
    result = ImagingResult(
        source=volume.source,
        modality="radiograph",
        shape=(1, *volume.array.shape[1:]),
        spacing_mm=volume.spacing,
        threshold_hu=float(noise_units),
        deposits=deposits,
        total_volume_mm3=round(sum(d.volume_mm3 for d in deposits), 2),
        total_agatston_like=0.0,
        bone_components=bones,
        patterns=patterns,
        distribution=distribution([d.centroid_mm for d in deposits]),
        assumptions=assumptions,
        disclaimer=say("disclaimer", lang),
    )
    if layout is not None:
        result.hand = hand_regions(layout, result.deposits, masks, residual, (dy, dx), lang=lang)
        # distribution by anatomical area rather than by span: the hand (fingers and palm) is one
        # area, the wrist another (case format: multiple_localized = one area, regional = several
        # areas of one limb)
        areas = {"wrist" if r.site == "wrist" else "hand" for r in result.hand.regions if r.deposits}
        if len(result.deposits) > 1 and not result.hand.outside_deposits:
            result.distribution = "regional" if len(areas) > 1 else "multiple_localized"
        result.assumptions.append(say("note_pa_hand", lang))
    elif hand is None:
        result.assumptions.append(say("note_no_hand_regions", lang, why=why))
    return result, masks
