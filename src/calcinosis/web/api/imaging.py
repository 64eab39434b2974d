"""``/api/v1/image/quantify``: measure an uploaded study (NIfTI, DICOM file, PNG, or a zip of a series).

The study is spooled to a private temporary folder and measured in a worker thread (the server
keeps answering) by :func:`calcinosis.web.uploads.quantify_upload`, which the imaging page calls too.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, File, Form, UploadFile

from calcinosis.web.api.clinical import json_response
from calcinosis.web.lang import request_lang
from calcinosis.web.uploads import QuantifyResponse, quantify_upload, spooled

__all__ = ["router"]

router = APIRouter(tags=["imaging"])
Lang = Annotated[str, Depends(request_lang)]


@router.post(
    "/image/quantify",
    response_model=QuantifyResponse,
)
async def quantify(
    study: Annotated[
        UploadFile, File(description="A NIfTI file, a DICOM file, a PNG radiograph, or a zip of a DICOM series.")
    ],
    lang: Lang,
    threshold: Annotated[float, Form(ge=-1024, le=32767, description="Calcium threshold in HU (CT).")] = 130.0,
    pixel_spacing: Annotated[float | None, Form(gt=0.001, le=1000, description="mm per pixel (PNG only).")] = None,
) -> Any:
    """Find and measure every calcified deposit (research and follow-up use: check every deposit).

    The assumptions, the disclaimer and any error are in the request's language (``?lang=``,
    else ``Accept-Language``)."""
    async with spooled(study) as data_file:
        response = await anyio.to_thread.run_sync(
            lambda: quantify_upload(
                data_file, study.filename or "", threshold=threshold, pixel_spacing=pixel_spacing, lang=lang
            )
        )
    return json_response(response)
