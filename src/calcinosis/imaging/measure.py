"""Measure a study with the method of its modality: one entry point for the CLI and the web API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from calcinosis.imaging.ct import DepositMask
    from calcinosis.imaging.results import ImagingResult
    from calcinosis.imaging.volume import Volume

__all__ = ["measure_volume"]


def measure_volume(
    volume: Volume, *, threshold: float, mask: npt.NDArray[np.bool_] | None = None, lang: str = "en"
) -> tuple[ImagingResult, list[DepositMask]]:
    """Deposits of a radiograph (2-D method) or a CT volume (HU threshold, bone removed); the
    result's assumptions and disclaimer in ``lang`` (en or fr), the caller's language."""
    from calcinosis.imaging.ct import measure_ct
    from calcinosis.imaging.radiograph import measure_radiograph

    if volume.modality == "radiograph":
        return measure_radiograph(volume, lang=lang)
    return measure_ct(volume, threshold=threshold, bone_mask=mask, lang=lang)
