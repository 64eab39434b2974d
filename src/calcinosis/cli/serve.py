"""``calcinosis serve``: the web app and REST API on loopback by default."""

from __future__ import annotations

import typer

from calcinosis.cli._common import fail

__all__ = ["serve"]


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless told otherwise)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", help="Worker processes."),
) -> None:
    """Serve the web app (case page, imaging page) and the REST API under /api/v1."""
    try:
        import uvicorn

        from calcinosis.web.settings import Settings, SettingsError
    except ImportError:
        raise fail("the web app needs the 'web' extra: run scripts/setup (or pip install 'calcinosis[web]')") from None
    try:
        settings = Settings.from_env(host=host, port=port, workers=workers)
    except SettingsError as exc:
        raise fail(exc) from None
    typer.echo(f"calcinosis: serving on http://{settings.host}:{settings.port}/ (API docs: /api/docs)")
    uvicorn.run(
        "calcinosis.web.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        access_log=False,  # the app's own access log leaves out query strings (they may hold case data)
    )
