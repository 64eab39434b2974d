"""``/api/v1/image/quantify``: measure an uploaded study (NIfTI, DICOM file, PNG, or a zip of a series).

The study is written to a private temporary folder, measured in a worker thread (the server
keeps answering), and deleted. Paths of that folder never reach the client: errors name the
uploaded file instead.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from calcinosis.errors import ImagingError
from calcinosis.imaging.results import ImagingResult
from calcinosis.web.api.clinical import json_response
from calcinosis.web.uploads import spooled, study_path

__all__ = ["Overlay", "QuantifyResponse", "quantify_upload", "router"]

router = APIRouter(tags=["imaging"])


class Overlay(BaseModel):
    """A maximum-intensity projection with the deposits coloured and numbered."""

    view: str
    media_type: str = "image/png"
    data_base64: str


class QuantifyResponse(BaseModel):
    """The measurement, the imaging entry of a case it supports, and the overlays."""

    result: ImagingResult
    case_imaging: dict[str, Any]
    overlays: list[Overlay]


def quantify_upload(
    data_file: Path, filename: str, *, threshold: float = 130.0, pixel_spacing: float | None = None
) -> QuantifyResponse:
    """Measure the study in ``data_file`` (uploaded as ``filename``), with overlays; shared with the imaging page."""
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.imaging.io import read_study
    from calcinosis.imaging.measure import measure_volume
    from calcinosis.imaging.overlay import write_overlays

    check_threshold(threshold)
    workdir = Path(tempfile.mkdtemp(prefix="calcinosis-upload-"))
    shown = "".join(ch for ch in Path(filename).name if ch.isprintable())[:100] or "upload"
    try:
        path = study_path(data_file, filename, workdir)
        volume = read_study(path, pixel_spacing_mm=pixel_spacing)
        result, masks = measure_volume(volume, threshold=threshold)
        overlays = []
        for png in write_overlays(volume, result, masks, workdir / "overlays"):
            view = png.stem.rsplit("-", 1)[-1]
            overlays.append(Overlay(view=view, data_base64=base64.b64encode(png.read_bytes()).decode("ascii")))
        result = result.model_copy(update={"source": shown})
        return QuantifyResponse(result=result, case_imaging=result.case_imaging(), overlays=overlays)
    except ImagingError as exc:
        raise ImagingError(
            str(exc).replace(str(workdir), shown).replace(str(data_file), shown).splitlines()[0],
            issues=exc.issues,
        ) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@router.post(
    "/image/quantify",
    response_model=QuantifyResponse,
)
async def quantify(
    study: Annotated[
        UploadFile, File(description="A NIfTI file, a DICOM file, a PNG radiograph, or a zip of a DICOM series.")
    ],
    threshold: Annotated[float, Form(ge=-1024, le=32767, description="Calcium threshold in HU (CT).")] = 130.0,
    pixel_spacing: Annotated[float | None, Form(gt=0.001, le=1000, description="mm per pixel (PNG only).")] = None,
) -> Any:
    """Find and measure every calcified deposit (research and follow-up use: check every deposit)."""
    async with spooled(study) as data_file:
        response = await anyio.to_thread.run_sync(
            lambda: quantify_upload(data_file, study.filename or "", threshold=threshold, pixel_spacing=pixel_spacing)
        )
    return json_response(response)
