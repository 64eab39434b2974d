"""Imaging measurement results (serialised unchanged to JSON, later to the registry and DICOM SEG)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Deposit", "ImagingResult"]

DISCLAIMER = (
    "Measurements for research and follow-up, made by an automatic method: a clinician must check "
    "every deposit on the overlays before using them."
)


class Deposit(BaseModel):
    """One calcified deposit."""

    model_config = ConfigDict(allow_inf_nan=False)  # a result never holds NaN or infinity

    id: int
    voxels: int
    volume_mm3: float = Field(description="CT: volume; radiograph: area in mm²")
    largest_dimension_mm: float
    mean_hu: float
    max_hu: float
    agatston_like: float = Field(description="sum over slices of area (mm²) x Agatston density weight (1-4), per 3 mm")
    mass_score: float = Field(description="HU-weighted volume, HU·cm³ (not mg: needs a calibration phantom)")
    centroid_mm: tuple[float, float, float]
    bbox: tuple[int, int, int, int, int, int] = Field(description="z0, z1, y0, y1, x0, x1 (voxels, end exclusive)")
    elongation: float = Field(description="length / width from principal axes")
    flatness: float = Field(description="width / thickness from principal axes")
    pattern: str = Field(description="case-format pattern: punctate, nodular, linear, sheet, rice_grain")
    touches_bone: bool


class ImagingResult(BaseModel):
    """All deposits of a study, their totals, and how they map onto the case format."""

    model_config = ConfigDict(allow_inf_nan=False)

    source: str
    modality: str
    shape: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    threshold_hu: float
    deposits: list[Deposit]
    total_volume_mm3: float
    total_agatston_like: float
    bone_components: int
    patterns: list[str]
    distribution: str | None
    assumptions: list[str]
    timings_s: dict[str, float] = {}
    disclaimer: str = DISCLAIMER

    def case_imaging(self) -> dict[str, object]:
        """The imaging entry of case format v1 that this measurement supports."""
        entry: dict[str, object] = {"modality": self.modality, "patterns": self.patterns}
        if self.distribution:
            entry["distribution"] = self.distribution
        if self.deposits:
            entry["size_cm"] = round(max(d.largest_dimension_mm for d in self.deposits) / 10, 2)
        return entry
