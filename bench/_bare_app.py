"""The ceiling for bench/api.py: a bare FastAPI endpoint that returns a small JSON object."""

from __future__ import annotations

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/bare")
async def bare(request: Request) -> dict[str, str]:
    await request.body()  # read the same body the real endpoint reads
    return {"status": "ok"}
