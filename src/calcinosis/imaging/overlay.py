"""Overlays a person can check: maximum-intensity projections with each deposit coloured and numbered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.ct import DepositMask
from calcinosis.imaging.results import ImagingResult
from calcinosis.imaging.volume import Volume

__all__ = ["write_overlays"]

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


def _window(mip: npt.NDArray[np.int16], low: float = -200.0, high: float = 1500.0) -> npt.NDArray[np.uint8]:
    scaled = (np.clip(mip.astype(np.float32), low, high) - low) / (high - low) * 255
    return scaled.astype(np.uint8)


def write_overlays(volume: Volume, result: ImagingResult, masks: list[DepositMask], out_dir: Path) -> list[Path]:
    """Axial (along z) and coronal (along y) MIPs with deposits coloured and numbered, as PNG.

    Pixels are stretched to the physical aspect ratio so that shapes are true.
    """
    from PIL import Image, ImageDraw

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    dz, dy, dx = volume.spacing
    views = (("radiograph", 0),) if volume.modality == "radiograph" else (("axial", 0), ("coronal", 1))
    for name, axis in views:
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
        scale_rows = max(row_mm / dx, 1e-3)
        if abs(scale_rows - 1) > 0.01:
            image = image.resize((image.width, max(1, round(image.height * scale_rows))))
        draw = ImageDraw.Draw(image)
        for ident, r, c in labels_at:
            draw.text((c + 4, r * scale_rows - 4), str(ident), fill=(255, 255, 255))
        draw.text((4, 4), f"{name} MIP - {len(result.deposits)} deposits - check each one", fill=(255, 255, 0))
        path = out_dir / f"{Path(result.source).name or 'study'}-{name}.png"
        image.save(path)
        written.append(path)
    return written
