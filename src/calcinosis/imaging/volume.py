"""An image in Hounsfield units with its geometry, and the assumptions made while reading it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Volume"]


@dataclass
class Volume:
    """A CT volume (z, y, x) in HU, or a radiograph (1, y, x) in raw units.

    ``spacing`` is (dz, dy, dx) in mm; for a radiograph dz is 0 and ``spacing_kind`` says
    whether the in-plane spacing is at the detector or at the patient.
    """

    array: npt.NDArray[np.int16]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    modality: str = "ct"
    source: str = ""
    spacing_kind: str = "patient"
    assumptions: list[str] = field(default_factory=list)

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel in mm³ (area in mm² for a radiograph)."""
        dz, dy, dx = self.spacing
        return (dz or 1.0) * dy * dx
