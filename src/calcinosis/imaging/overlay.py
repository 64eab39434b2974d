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
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume
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


def _render(volume: Volume, result: ImagingResult, masks: Sequence[DepositMask], name: str, axis: int) -> Overlay:
    from PIL import Image, ImageDraw

    dz, dy, dx = volume.spacing
    projection = volume.array.max(axis=axis)
    if volume.modality == "radiograph":
        low, high = np.percentile(projection, [1, 99.5])
        gray = _window(projection, float(low), float(high))
    else:
        gray = _window(projection)
    rgb = np.stack([gray] * 3, axis=-1)
    labels_at: list[tuple[int, float, float]] = []
    for deposit, (box, part) in zip(result.deposits, masks, strict=True):
        proj = part.any(axis=axis)
        keep = [b for i, b in enumerate(box) if i != axis]
        rgb[keep[0], keep[1]][proj] = deposit_colour(deposit.id)
        rows, cols = np.nonzero(proj)
        labels_at.append((deposit.id, keep[0].start + rows.mean(), keep[1].start + cols.mean()))
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

    canvas = Image.new("RGB", (canvas_w, canvas_h), _BACKGROUND)
    canvas.paste(picture, (image_x, image_y))
    draw = ImageDraw.Draw(canvas)
    for k, text in enumerate(title):
        _draw_text(draw, (pad // 2, size // 4 + k * line), _fit(text, canvas_w - pad, fonts), fonts)
    for ident, r, c in labels_at:
        _draw_text(
            draw, (image_x + (c + 0.5) * fx + 4, image_y + (r + 0.5) * fy - size), str(ident), fonts, stroke=True
        )
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


def render_overlays(volume: Volume, result: ImagingResult, masks: Sequence[DepositMask]) -> list[Overlay]:
    """The overlays of a measured study, as images with what was drawn on them (see the module docstring)."""
    return [_render(volume, result, masks, name, axis) for name, axis in _views(volume)]


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
    with ``force``.
    """
    prepare_output_dir(out_dir, inputs=inputs)
    written = []
    for overlay, path in zip(render_overlays(volume, result, masks), overlay_paths(volume, out_dir), strict=True):
        buffer = io.BytesIO()
        overlay.image.save(buffer, format="PNG")
        written.append(write_output(path, buffer.getvalue(), inputs=inputs, force=force))
    return written
