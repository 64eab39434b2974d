"""Overlays a person can check: maximum-intensity projections with each deposit coloured and numbered.

Each PNG carries what a radiologist needs to check the measurement without the software: a
title (study, view, what was projected, threshold, number of deposits), the patient
orientation letters at the four edges, a scale bar in millimetres, and a legend giving each
deposit's number, colour and volume (CT, mm³) or area (radiograph, mm²) as in the result.

- Orientation comes from the study (DICOM ImageOrientationPatient and ImagePositionPatient,
  the NIfTI qform/sform, a radiograph's PatientOrientation). Projections of CT are shown in
  the radiological convention (patient's right on the viewer's left, anterior or superior at
  the top) by flipping the image; when the study does not state its orientation nothing is
  flipped, no letter is drawn and the image says "orientation unknown".
- Pixels are made square (rows stretched to the physical aspect), and small images are
  enlarged by a whole factor with nearest-neighbour sampling so that the long side has at least
  ``MIN_LONG_SIDE`` pixels and every voxel stays a sharp block of one colour.
- The scale bar is the longest round length (1, 2 or 5 x 10^k mm) not over a quarter of the
  image width, drawn from the real pixel spacing; :func:`scale_bar_length` gives its geometry.
- Text uses the font Pillow bundles (no system font, no download); superscripts, which that
  font lacks, are drawn as small raised digits.

Speed (issue 19): both projections of a CT are computed in one pass over the volume, a few
slices at a time, in memory order, without a copy of it; the deposits are coloured all at once;
the deposit numbers (thousands on a whole-body CT) are assembled from the ten digits rendered
once with their outline (:class:`_Numbers`), instead of rendering every number with FreeType in
each view, and painted many at once, in layers of numbers that do not overlap. The pixels are
those of drawing each deposit and each number in turn (tested).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume, in_memory_order
from calcinosis.outputs import prepare_output_dir, write_output
from calcinosis.textsafe import plain

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "MIN_LONG_SIDE",
    "Overlay",
    "ScaleBar",
    "deposit_colour",
    "direction_letters",
    "legend_entries",
    "overlay_paths",
    "render_overlays",
    "scale_bar_length",
    "write_overlays",
]

_PALETTE = [
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
]

MAX_OVERLAY_ROWS = 8192  # stretching rows to the physical aspect never makes a larger image
MIN_LONG_SIDE = 1024  # pixels on the long side of the projection, after enlarging small images
BAR_FRACTION = 0.25  # the scale bar is at most this fraction of the image width
MAX_LEGEND_ENTRIES = 120  # more deposits: the legend ends with how many more are in result.json
_BACKGROUND = (24, 24, 24)
_TEXT = (255, 255, 255)
_NOTE = (255, 225, 25)
_RAS_LETTERS = (("L", "R"), ("P", "A"), ("I", "S"))  # (negative, positive) end of each RAS axis
_OPPOSITE = {"A": "P", "P": "A", "L": "R", "R": "L", "H": "F", "F": "H"}
_SUPERSCRIPT = {"²": "2", "³": "3"}


def deposit_colour(number: int) -> tuple[int, int, int]:
    """The colour of deposit ``number`` on the overlays (and in the DICOM SEG)."""
    return _PALETTE[(number - 1) % len(_PALETTE)]


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar as drawn: its length in mm and in pixels, the pixel size, and where it lies in the PNG."""

    length_mm: float
    length_px: int
    mm_per_px: float
    x0: int
    y0: int
    thickness: int


@dataclass
class Overlay:
    """One rendered overlay: the view, the image, and what was drawn on it (for checks and tests)."""

    name: str
    image: Image.Image
    title: tuple[str, str]
    letters: dict[str, str] | None  # edge ("left", "right", "top", "bottom") -> letters; None: orientation unknown
    legend: list[str]
    scale_bar: ScaleBar
    picture_box: tuple[int, int, int, int]  # x0, y0, x1, y1 (end exclusive) of the projection in the PNG


def scale_bar_length(width_px: int, mm_per_px: float, *, fraction: float = BAR_FRACTION) -> tuple[float, int]:
    """The longest round length (1, 2 or 5 x 10^k mm) not over ``fraction`` of an image ``width_px``
    pixels wide with pixels of ``mm_per_px``, and that length in pixels."""
    limit = max(width_px * mm_per_px * fraction, mm_per_px)
    exponent = math.floor(math.log10(limit))
    candidates = [round(m * 10.0**e, 12) for e in (exponent - 1, exponent) for m in (1, 2, 5)]
    length = max(c for c in candidates if c <= limit * (1 + 1e-9))
    return length, max(1, round(length / mm_per_px))


def direction_letters(direction: Sequence[float] | npt.NDArray[np.float64]) -> str:
    """Letters of the patient direction a RAS+ vector points to, strongest first ("L", "PL" for an oblique axis)."""
    vector = np.asarray(direction, dtype=np.float64)
    norm = float(np.linalg.norm(vector))
    if norm == 0 or not math.isfinite(norm):
        return ""
    vector = vector / norm
    order = sorted(range(3), key=lambda k: -abs(vector[k]))
    return "".join(_RAS_LETTERS[k][int(vector[k] > 0)] for k in order if abs(vector[k]) >= 0.25)


def legend_entries(result: ImagingResult) -> list[str]:
    """One legend line per deposit, numbered as in the result: its volume (CT) or area (radiograph)."""
    unit = "mm²" if result.modality == "radiograph" else "mm³"
    return [f"{d.id}: {d.volume_mm3:.2f} {unit}" + (" (on bone)" if d.touches_bone else "") for d in result.deposits]


def _window(mip: npt.NDArray[np.generic], low: float = -200.0, high: float = 1500.0) -> npt.NDArray[np.uint8]:
    span = max(high - low, 1e-6)  # a uniform image is black, not NaN
    scaled = (np.clip(mip.astype(np.float32), low, low + span) - low) / span * 255
    return scaled.astype(np.uint8)


def _views(volume: Volume) -> tuple[tuple[str, int], ...]:
    return (("radiograph", 0),) if volume.modality == "radiograph" else (("axial", 0), ("coronal", 1))


def overlay_paths(volume: Volume, out_dir: Path) -> list[Path]:
    """The overlay files :func:`write_overlays` writes for ``volume`` into ``out_dir``."""
    stem = Path(volume.source).name or "study"
    return [out_dir / f"{stem}-{name}.png" for name, _ in _views(volume)]


@dataclass(frozen=True)
class _Orientation:
    """How a projection is shown: flips, edge letters, and the name of its plane."""

    flip_rows: bool
    flip_cols: bool
    letters: dict[str, str] | None
    plane: str | None


def _orientation(volume: Volume, axis: int) -> _Orientation:
    """Flips and letters of the projection along array ``axis`` (rows and columns are the other two axes)."""
    rows_axis, cols_axis = [a for a in range(3) if a != axis]
    if volume.modality == "radiograph":
        stated = volume.geometry.patient_orientation
        if stated is None:
            return _Orientation(False, False, None, None)
        row_dir, col_dir = stated  # directions of increasing column, and of increasing row
        opposite = ("".join(_OPPOSITE[c] for c in row_dir), "".join(_OPPOSITE[c] for c in col_dir))
        letters = {"right": row_dir, "left": opposite[0], "bottom": col_dir, "top": opposite[1]}
        return _Orientation(False, False, letters, None)
    affine = volume.geometry.affine
    if affine is None:
        return _Orientation(False, False, None, None)

    def direction(array_axis: int) -> npt.NDArray[np.float64]:
        return np.asarray(affine[:3, 2 - array_axis], dtype=np.float64)  # affine columns are x, y, z

    # radiological display: the R, A or S end of an axis goes to the left or the top
    down, across = direction(rows_axis), direction(cols_axis)
    flip_rows = bool(down[int(np.argmax(np.abs(down)))] > 0)
    flip_cols = bool(across[int(np.argmax(np.abs(across)))] > 0)
    down = -down if flip_rows else down
    across = -across if flip_cols else across
    letters = {
        "right": direction_letters(across),
        "left": direction_letters(-across),
        "bottom": direction_letters(down),
        "top": direction_letters(-down),
    }
    plane = ("sagittal", "coronal", "axial")[int(np.argmax(np.abs(direction(axis))))]
    return _Orientation(flip_rows, flip_cols, letters, plane)


def _fonts(
    size: int,
) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """Pillow's bundled font at ``size`` and at superscript size (its bitmap font where FreeType is missing)."""
    from PIL import ImageFont

    return ImageFont.load_default(size=size), ImageFont.load_default(size=max(8, round(size * 0.6)))


def _parts(text: str) -> list[tuple[str, bool]]:
    return [(part, part in _SUPERSCRIPT) for part in re.split("([²³])", text) if part]


def _text_width(text: str, fonts: tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...]) -> int:
    font, small = fonts
    return int(
        sum((small if sup else font).getlength(_SUPERSCRIPT.get(part, part)) for part, sup in _parts(text)) + 0.5
    )


def _draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    fonts: tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...],
    *,
    fill: tuple[int, int, int] = _TEXT,
    stroke: bool = False,
) -> None:
    """Text with ² and ³ drawn as small raised digits (the bundled font has no superscripts)."""
    from PIL import ImageFont

    font, small = fonts
    x, y = xy
    outline = 2 if stroke and isinstance(font, ImageFont.FreeTypeFont) else 0  # Pillow's bitmap font has no outline
    for part, sup in _parts(text):
        shown = _SUPERSCRIPT.get(part, part)
        chosen = small if sup else font
        lift = 0.1 * _font_size(font) if sup else 0.0
        draw.text((x, y - lift), shown, font=chosen, fill=fill, stroke_width=outline, stroke_fill=(0, 0, 0))
        x += chosen.getlength(shown)


def _font_size(font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return float(getattr(font, "size", 11))


def _fit(text: str, width: int, fonts: tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...]) -> str:
    """``text`` cut with '…' so that it fits in ``width`` pixels."""
    if _text_width(text, fonts) <= width:
        return text
    while len(text) > 1 and _text_width(text + "…", fonts) > width:
        text = text[:-1]
    return text + "…"


def _titles(volume: Volume, result: ImagingResult, axis: int, plane: str | None) -> tuple[str, str]:
    study = plain(Path(volume.source).name or "study", limit=80, newlines=False)
    count = f"{len(result.deposits)} deposit{'s' if len(result.deposits) != 1 else ''}"
    if volume.modality == "radiograph":
        return (
            f"{study} · radiograph",
            f"detection {result.threshold_hu:g} noise units · {count} · automatic: check each one",
        )
    slices = volume.array.shape[0]
    if axis == 0:
        what = f"MIP of all {slices} slices"
    else:
        what = f"MIP through {volume.array.shape[1]} rows of {slices} slices"
    view = f"{plane} {what}" if plane else f"{what} (orientation unknown)"
    return f"{study} · {view}", f"threshold {result.threshold_hu:g} HU · {count} · automatic: check each one"


# zlib level 1 instead of Pillow's 6: the same pixels, written in half the time, files about as
# large on these images (flat background, a few colours; 1.5 MB for a 1100 x 2900 overlay)
_PNG_COMPRESSION = 1
_MIP_SLAB_BYTES = 4 << 20  # slices read together for the projections: a few MB, in cache


def _projections(volume: Volume) -> dict[int, npt.NDArray[np.generic]]:
    """The maximum-intensity projection along each view's axis, in one pass over the volume.

    The volume is read a slab of slices at a time, in memory order (:func:`in_memory_order`:
    three times faster than through the flips of a mapped LPS file; a maximum does not depend on
    the direction of an axis): each slab gives its rows of the coronal projection (maximum over
    y) and is folded into the axial one (maximum over z), so that the volume is read once and
    nothing of its size is allocated. The projections are then flipped back.
    """
    axes = [axis for _, axis in _views(volume)]
    if axes != [0, 1]:
        return {axis: volume.array.max(axis=axis) for axis in axes}
    array, flipped = in_memory_order(volume.array)
    depth = array.shape[0]
    per_slab = max(1, _MIP_SLAB_BYTES // max(1, array[0].nbytes))
    axial = array[0].copy()
    coronal = np.empty((depth, array.shape[2]), dtype=array.dtype)
    for start in range(0, depth, per_slab):
        slab = array[start : start + per_slab]
        np.maximum(axial, slab.max(axis=0), out=axial)
        slab.max(axis=1, out=coronal[start : start + per_slab])
    # the axial projection is (y, x), the coronal one (z, x): each axis flipped back where the volume's was
    axial_flips = tuple(a - 1 for a in flipped if a > 0)
    coronal_flips = tuple({0: 0, 2: 1}[a] for a in flipped if a != 1)
    return {0: np.flip(axial, axial_flips), 1: np.flip(coronal, coronal_flips)}


def _paint(region: npt.NDArray[np.uint8], outline: npt.NDArray[np.uint16], fill: npt.NDArray[np.uint16]) -> None:
    """Paint an outlined number on an RGB region, in place: black through the ``outline`` mask, then
    white through the ``fill`` mask (both (h, w, 1), 0-255), with Pillow's own rounding of
    ``Image.paste(colour, box, mask)``: (a (255 - m) + c m) / 255, rounded."""
    shaded: npt.NDArray[Any] = region * (255 - outline)
    shaded += 128
    high = shaded >> 8  # x / 255 rounded is (x + 128 + ((x + 128) >> 8)) >> 8; in place: no new arrays
    shaded += high
    shaded >>= 8
    shaded *= 255 - fill
    shaded += fill * 255 + 128
    np.right_shift(shaded, 8, out=high)
    shaded += high
    shaded >>= 8
    region[...] = shaded


_RGB = np.dtype((np.void, 3))  # a pixel of an RGB image as one item


class _Numbers:
    """Outlined deposit numbers assembled from the ten digits, each rendered once, painted many at once.

    A CT with thousands of deposits has thousands of numbers in each view; rendering each with
    FreeType (outline, then text) took most of the time of the overlays, and painting them one
    by one, forty numpy calls each, most of what remained. The digits are rendered once for a
    font, with their outline, as masks in a common cell; a number is its digits side by side at
    their advance, the masks of all numbers being built at once per count of digits. They are
    painted as the text would be drawn, one number after the other (the outline in black, then
    the digits in white, with Pillow's blending: :func:`_paint`), but in layers: each number goes
    to the layer after the last one holding a number it overlaps, so that the numbers of a layer
    do not overlap and are gathered, blended and put back in a few array operations, and where
    numbers overlap the later one is still painted over the earlier. A number is placed at whole
    pixels.
    """

    def __init__(self, font: ImageFont.FreeTypeFont, stroke: int) -> None:
        from PIL import Image, ImageDraw

        glyphs = []
        for ch in "0123456789":
            left, top, right, bottom = (int(v) for v in font.getbbox(ch, stroke_width=stroke))
            size = (max(1, right - left), max(1, bottom - top))
            stroked, plain = Image.new("L", size, 0), Image.new("L", size, 0)
            ImageDraw.Draw(stroked).text((-left, -top), ch, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
            ImageDraw.Draw(plain).text((-left, -top), ch, font=font, fill=255)
            glyphs.append((font.getlength(ch), left, top, np.asarray(stroked), np.asarray(plain)))
        self._left = min(left for _, left, _, _, _ in glyphs)
        self._top = min(top for _, _, top, _, _ in glyphs)
        height = max(top + o.shape[0] for _, _, top, o, _ in glyphs) - self._top
        self._cell = max(left + o.shape[1] for _, left, _, o, _ in glyphs) - self._left
        self._advance = np.array([advance for advance, _, _, _, _ in glyphs])
        self._outline = np.zeros((10, height, self._cell), dtype=np.uint8)
        self._fill = np.zeros((10, height, self._cell), dtype=np.uint8)
        for digit, (_, left, top, outline, fill) in enumerate(glyphs):
            rows = slice(top - self._top, top - self._top + outline.shape[0])
            cols = slice(left - self._left, left - self._left + outline.shape[1])
            self._outline[digit, rows, cols] = outline
            self._fill[digit, rows, cols] = fill

    def masks(self, numbers: Sequence[int]) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16]]:
        """Outline and fill masks, (k, h, w), of numbers of the same count of digits (left of the
        cell at the text origin's column plus the digits' smallest left bearing)."""
        values = np.asarray(numbers, dtype=np.int64)
        places = len(str(int(values[0])))
        digits = values[:, None] // 10 ** np.arange(places - 1, -1, -1) % 10
        advance = self._advance[digits]
        # each digit at its pen position rounded to whole pixels, as the digits of a text are drawn
        pens = np.rint(np.cumsum(advance, axis=1) - advance).astype(np.intp)
        width = int(pens[:, -1].max()) + self._cell
        outline = np.zeros((len(values), self._outline.shape[1], width), dtype=np.uint16)
        fill = np.zeros_like(outline)
        for place in range(places):
            for pen in np.unique(pens[:, place]).tolist():
                which = np.flatnonzero(pens[:, place] == pen)  # all of them with digits of equal advance
                cols = slice(pen, pen + self._cell)
                for masks, glyphs in ((outline, self._outline), (fill, self._fill)):
                    masks[which, :, cols] = np.maximum(masks[which, :, cols], glyphs[digits[which, place]])
        return outline, fill

    def draw(self, pixels: npt.NDArray[np.uint8], placed: Sequence[tuple[int, tuple[float, float]]]) -> None:
        """Paint each ``(number, xy)`` on a C-contiguous RGB array, in order, with its text origin
        (left, top of the line) at ``xy``."""
        if not placed:
            return
        if not pixels.flags.c_contiguous:
            raise ValueError("numbers are painted on a C-contiguous RGB array")
        height, width = pixels.shape[:2]
        sheets, where = self._sheets([number for number, _ in placed])
        # layers of numbers whose patches do not overlap, a number in a later layer than every earlier
        # number it overlaps: painting layer after layer is painting number after number
        layers: list[list[tuple[int, int, int]]] = []  # (number, top, left)
        above = np.zeros((height, width), dtype=np.int32)  # 1 + the last layer painted on each pixel
        for number, (x, y) in placed:
            top, left = round(y) + self._top, round(x) + self._left
            _, h, w = sheets[where[number][0]][0].shape
            rows = slice(max(0, top), max(0, min(height, top + h)))
            cols = slice(max(0, left), max(0, min(width, left + w)))
            if rows.start >= rows.stop or cols.start >= cols.stop:
                continue  # entirely off the image
            layer = int(above[rows, cols].max())
            above[rows, cols] = layer + 1
            if layer == len(layers):
                layers.append([])
            layers[layer].append((number, top, left))
        for members in layers:
            self._paint_layer(pixels, members, sheets, where)

    def _sheets(
        self, numbers: list[int]
    ) -> tuple[dict[int, tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16]]], dict[int, tuple[int, int]]]:
        """The masks of the numbers, one sheet (outline, fill) per count of digits, and where each
        number's masks are: (count of digits, row in that sheet)."""
        by_places: dict[int, list[int]] = {}
        for number in dict.fromkeys(numbers):
            by_places.setdefault(len(str(number)), []).append(number)
        sheets = {places: self.masks(group) for places, group in by_places.items()}
        where = {number: (places, row) for places, group in by_places.items() for row, number in enumerate(group)}
        return sheets, where

    @staticmethod
    def _paint_layer(
        pixels: npt.NDArray[np.uint8],
        members: list[tuple[int, int, int]],
        sheets: dict[int, tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16]]],
        where: dict[int, tuple[int, int]],
    ) -> None:
        """Paint numbers whose patches do not overlap: those wholly on the image, per sheet, at once."""
        height, width = pixels.shape[:2]
        inside: dict[int, list[tuple[int, int, int]]] = {}  # sheet -> (row, top, left)
        for number, top, left in members:
            places, row = where[number]
            outline, fill = (sheet[row] for sheet in sheets[places])
            h, w = outline.shape
            if top >= 0 and left >= 0 and top + h <= height and left + w <= width:
                inside.setdefault(places, []).append((row, top, left))
                continue
            r0, c0 = max(0, -top), max(0, -left)  # partly off the image: the part on it
            r1, c1 = min(h, height - top), min(w, width - left)
            region = pixels[top + r0 : top + r1, left + c0 : left + c1]
            _paint(region, outline[r0:r1, c0:c1, None], fill[r0:r1, c0:c1, None])
        # one 3-byte item per pixel: numpy gathers and scatters them two to four times faster than rows of 3
        cells = pixels.reshape(-1, 3).view(_RGB).reshape(-1)
        for places, placed in inside.items():
            outlines, fills = sheets[places]
            _, h, w = outlines.shape
            rows = np.array([row for row, _, _ in placed])
            corners = np.array([top * width + left for _, top, left in placed])
            index = corners[:, None, None] + (np.arange(h) * width)[:, None] + np.arange(w)
            region = cells.take(index).view(np.uint8).reshape(*index.shape, 3)  # (k, h, w, 3)
            _paint(region, outlines[rows][..., None], fills[rows][..., None])
            np.put(cells, index, region.reshape(*index.shape[:-1], -1).view(_RGB))


def _colour_deposits(
    rgb: npt.NDArray[np.uint8], result: ImagingResult, masks: Sequence[DepositMask], axis: int
) -> list[tuple[int, float, float]]:
    """Colour each deposit's projection along ``axis`` on ``rgb``, a later deposit over an earlier one
    as if painted in turn, and return where each number goes: (id, mean row, mean column) of the
    deposit's projection. Two numpy calls per deposit (its projection and the pixels in it); the
    colouring and the means are done for all deposits at once."""
    if not masks:
        return []
    width = rgb.shape[1]
    rows_in, cols_in, origins = [], [], []
    for box, part in masks:
        rows, cols = np.nonzero(part.any(axis=axis))
        rows_in.append(rows)
        cols_in.append(cols)
        keep = [b for i, b in enumerate(box) if i != axis]
        origins.append((keep[0].start, keep[1].start))
    counts = np.array([len(r) for r in rows_in])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows, cols = np.concatenate(rows_in), np.concatenate(cols_in)
    # means of the rows and columns of each projection (in the box: sums of integers are exact, so
    # these are the values rows.mean() gives), then moved to the image
    mean_rows = np.add.reduceat(rows, starts) / counts
    mean_cols = np.add.reduceat(cols, starts) / counts
    start_rows, start_cols = (np.array(a) for a in zip(*origins, strict=True))
    flat = (rows + np.repeat(start_rows, counts)) * width + cols + np.repeat(start_cols, counts)
    top = np.full(rgb.shape[0] * width, -1, dtype=np.intp)
    np.maximum.at(top, flat, np.repeat(np.arange(len(masks)), counts))  # the last deposit painted wins
    painted = np.flatnonzero(top >= 0)
    colours = np.array([deposit_colour(d.id) for d in result.deposits], dtype=np.uint8)
    rgb.reshape(-1, 3)[painted] = colours[top[painted]]
    return [
        (d.id, r0 + r, c0 + c)
        for d, (r0, c0), r, c in zip(result.deposits, origins, mean_rows.tolist(), mean_cols.tolist(), strict=True)
    ]


def _render(
    volume: Volume,
    result: ImagingResult,
    masks: Sequence[DepositMask],
    name: str,
    axis: int,
    *,
    projection: npt.NDArray[np.generic] | None = None,
    numbers: dict[int, _Numbers] | None = None,
) -> Overlay:
    from PIL import Image, ImageDraw, ImageFont

    dz, dy, dx = volume.spacing
    if projection is None:
        projection = volume.array.max(axis=axis)
    if volume.modality == "radiograph":
        low, high = np.percentile(projection, [1, 99.5])
        gray = _window(projection, float(low), float(high))
    else:
        gray = _window(projection)
    rgb = np.stack([gray] * 3, axis=-1)
    labels_at = _colour_deposits(rgb, result, masks, axis)
    orientation = _orientation(volume, axis)
    height, width = gray.shape
    if orientation.flip_rows:
        rgb = rgb[::-1]
        labels_at = [(i, height - 1 - r, c) for i, r, c in labels_at]
    if orientation.flip_cols:
        rgb = rgb[:, ::-1]
        labels_at = [(i, r, width - 1 - c) for i, r, c in labels_at]

    # square pixels (rows stretched to the column spacing), then a whole enlargement factor
    row_mm = dz if axis == 1 else dy
    aspect = row_mm / dx
    factor = max(1, math.ceil(MIN_LONG_SIDE / max(width, height * aspect)))
    out_w = width * factor
    out_h = max(1, min(round(height * aspect * factor), max(height * factor, MAX_OVERLAY_ROWS)))
    compressed = out_h < round(height * aspect * factor)
    picture = Image.fromarray(np.ascontiguousarray(rgb)).resize((out_w, out_h), Image.Resampling.NEAREST)
    fx, fy = out_w / width, out_h / height

    size = min(40, max(16, round(max(out_w, out_h) / 64)))
    fonts = _fonts(size)
    line = round(size * 1.35)
    pad = round(size * 1.8)  # band around the image for the orientation letters
    title = _titles(volume, result, axis, orientation.plane)
    entries = legend_entries(result)
    shown = entries if len(entries) <= MAX_LEGEND_ENTRIES else entries[: MAX_LEGEND_ENTRIES - 1]
    more = len(entries) - len(shown)
    canvas_w = max(out_w + 2 * pad, 640)
    swatch = round(size * 0.8)
    column_w = max([_text_width(e, fonts) for e in shown] or [0]) + swatch + 3 * size // 2
    columns = max(1, (canvas_w - 2 * pad) // max(column_w, 1))
    legend_rows = math.ceil((len(shown) + (1 if more else 0)) / columns)
    title_h = 2 * line + size // 2
    image_x, image_y = (canvas_w - out_w) // 2, title_h + pad
    legend_y = image_y + out_h + pad
    canvas_h = legend_y + line * (1 + legend_rows) + size

    font = fonts[0]
    at = [(ident, (image_x + (c + 0.5) * fx + 4, image_y + (r + 0.5) * fy - size)) for ident, r, c in labels_at]
    if isinstance(font, ImageFont.FreeTypeFont):
        # the numbers are painted on the pixels first (they never reach the title band above the image)
        pixels = np.empty((canvas_h, canvas_w, 3), dtype=np.uint8)
        pixels[...] = _BACKGROUND
        pixels[image_y : image_y + out_h, image_x : image_x + out_w] = np.asarray(picture)
        cache = numbers if numbers is not None else {}
        if size not in cache:
            cache[size] = _Numbers(font, 2)
        cache[size].draw(pixels, at)
        canvas = Image.fromarray(pixels)
        draw = ImageDraw.Draw(canvas)
    else:  # Pillow without FreeType: its bitmap font, drawn as text
        canvas = Image.new("RGB", (canvas_w, canvas_h), _BACKGROUND)
        canvas.paste(picture, (image_x, image_y))
        draw = ImageDraw.Draw(canvas)
        for ident, xy in at:
            _draw_text(draw, xy, str(ident), fonts, stroke=True)
    for k, text in enumerate(title):
        _draw_text(draw, (pad // 2, size // 4 + k * line), _fit(text, canvas_w - pad, fonts), fonts)
    mid_x, mid_y = image_x + out_w / 2, image_y + out_h / 2
    if orientation.letters is None:
        note = "orientation unknown: no direction letters"
        _draw_text(
            draw, (mid_x - _text_width(note, fonts) / 2, image_y - pad + (pad - size) / 2), note, fonts, fill=_NOTE
        )
    else:
        letters = orientation.letters
        half = size / 2
        for edge, (x, y) in {
            "left": (image_x - pad / 2, mid_y),
            "right": (image_x + out_w + pad / 2, mid_y),
            "top": (mid_x, image_y - pad / 2),
            "bottom": (mid_x, image_y + out_h + pad / 2),
        }.items():
            text = letters[edge]
            _draw_text(draw, (x - _text_width(text, fonts) / 2, y - half - size * 0.15), text, fonts, fill=_NOTE)

    # scale bar (first line of the legend), drawn from the horizontal pixel size of the picture
    mm_per_px = dx / fx
    length_mm, length_px = scale_bar_length(out_w, mm_per_px)
    thickness = max(3, size // 4)
    bar = ScaleBar(length_mm, length_px, mm_per_px, image_x, legend_y + line // 2 - thickness // 2, thickness)
    draw.rectangle((bar.x0, bar.y0, bar.x0 + length_px - 1, bar.y0 + thickness - 1), fill=_TEXT)
    bar_text = f"{length_mm:g} mm" + ("  (vertical scale compressed)" if compressed else "")
    _draw_text(draw, (bar.x0 + length_px + size // 2, legend_y + (line - size) / 2 - size * 0.1), bar_text, fonts)
    for k, text in enumerate([*shown, *([f"and {more} more deposits: see result.json"] if more else [])]):
        col, row = k % columns, k // columns
        x, y = pad // 2 + col * column_w, legend_y + line * (1 + row)
        if k < len(shown):
            colour = deposit_colour(result.deposits[k].id)
            draw.rectangle((x, y + (line - swatch) // 2, x + swatch - 1, y + (line + swatch) // 2 - 1), fill=colour)
        _draw_text(draw, (x + swatch + size // 3, y + (line - size) / 2 - size * 0.1), text, fonts)
    return Overlay(
        name=name,
        image=canvas,
        title=title,
        letters=orientation.letters,
        legend=entries,
        scale_bar=bar,
        picture_box=(image_x, image_y, image_x + out_w, image_y + out_h),
    )


def _rendered(
    volume: Volume, result: ImagingResult, masks: Sequence[DepositMask], *, last_first: bool = False
) -> Iterator[Overlay]:
    """The overlays of a measured study, one view at a time (the last view first with ``last_first``)."""
    projections = _projections(volume)
    numbers: dict[int, _Numbers] = {}  # by font size: both views share the digits
    views = _views(volume)
    for name, axis in reversed(views) if last_first else views:
        yield _render(volume, result, masks, name, axis, projection=projections[axis], numbers=numbers)


def render_overlays(volume: Volume, result: ImagingResult, masks: Sequence[DepositMask]) -> list[Overlay]:
    """The overlays of a measured study, as images with what was drawn on them (see the module docstring)."""
    return list(_rendered(volume, result, masks))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=_PNG_COMPRESSION)
    return buffer.getvalue()


def write_overlays(
    volume: Volume,
    result: ImagingResult,
    masks: list[DepositMask],
    out_dir: Path,
    *,
    force: bool = False,
    inputs: Iterable[Path | str] = (),
) -> list[Path]:
    """Axial (along z) and coronal (along y) MIPs with deposits coloured and numbered, as PNG.

    Files are written through :mod:`calcinosis.outputs`: an existing overlay is replaced only
    with ``force``. Each view is compressed in a second thread while the next one is drawn
    (Pillow's PNG encoder releases the GIL: the first view's compression costs no time).
    """
    from concurrent.futures import ThreadPoolExecutor

    prepare_output_dir(out_dir, inputs=inputs)
    # the coronal view of a CT, the larger, is drawn first: its compression is the one that overlaps
    with ThreadPoolExecutor(max_workers=1) as encoder:
        encoded = [encoder.submit(_png, o.image) for o in _rendered(volume, result, masks, last_first=True)]
    return [
        write_output(path, png.result(), inputs=inputs, force=force)
        for png, path in zip(reversed(encoded), overlay_paths(volume, out_dir), strict=True)
    ]
