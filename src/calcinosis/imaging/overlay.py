"""Overlays a person can check: maximum-intensity projections with each deposit coloured and numbered."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume
from calcinosis.outputs import prepare_output_dir, write_output

__all__ = ["overlay_paths", "write_overlays"]

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

    Pixels are stretched to the physical aspect ratio so that shapes are true. Files are written
    through :mod:`calcinosis.outputs`: an existing overlay is replaced only with ``force``.
    """
    from PIL import Image, ImageDraw

    prepare_output_dir(out_dir, inputs=inputs)
    written = []
    dz, dy, dx = volume.spacing
    for (name, axis), path in zip(_views(volume), overlay_paths(volume, out_dir), strict=True):
        projection = volume.array.max(axis=axis)
        if volume.modality == "radiograph":
            low, high = np.percentile(projection, [1, 99.5])
            gray = _window(projection, float(low), float(high))
        else:
            gray = _window(projection)
        rgb = np.stack([gray] * 3, axis=-1)
        labels_at: list[tuple[int, float, float]] = []
        for deposit, (box, part) in zip(result.deposits, masks, strict=True):
            colour = _PALETTE[(deposit.id - 1) % len(_PALETTE)]
            proj = part.any(axis=axis)
            keep = [b for i, b in enumerate(box) if i != axis]
            region = rgb[keep[0], keep[1]]
            region[proj] = colour
            rows, cols = np.nonzero(proj)
            labels_at.append((deposit.id, keep[0].start + rows.mean(), keep[1].start + cols.mean()))
        image = Image.fromarray(rgb)
        row_mm = dz if axis == 1 else dy
        scale_rows = min(max(row_mm / dx, 1e-3), max(1.0, MAX_OVERLAY_ROWS / image.height))
        if abs(scale_rows - 1) > 0.01:
            image = image.resize((image.width, max(1, round(image.height * scale_rows))))
        draw = ImageDraw.Draw(image)
        for ident, r, c in labels_at:
            draw.text((c + 4, r * scale_rows - 4), str(ident), fill=(255, 255, 255))
        draw.text((4, 4), f"{name} MIP - {len(result.deposits)} deposits - check each one", fill=(255, 255, 0))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        written.append(write_output(path, buffer.getvalue(), inputs=inputs, force=force))
    return written
