"""``calcinosis serve``: the web app and REST API on loopback by default."""

from __future__ import annotations

import typer

from calcinosis.cli._common import fail

__all__ = ["serve"]


def serve(
    host: str | None = typer.Option(
        None,
        "--host",
        help="Address to bind (default: CALCINOSIS_HOST, else 127.0.0.1; loopback unless told otherwise).",
    ),
    port: int | None = typer.Option(None, "--port", help="TCP port (default: CALCINOSIS_PORT, else 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", help="Worker processes (default: CALCINOSIS_WORKERS, else 1)."
    ),
) -> None:
    """Serve the web app (case page, imaging page) and the REST API under /api/v1.

    An option given wins over its environment variable (docs/web.md), which wins over the
    default; the settings are checked together before anything is served."""
    try:
        import uvicorn

        from calcinosis.web.settings import Settings, SettingsError
    except ImportError:
        raise fail("the web app needs the 'web' extra: run scripts/setup (or pip install 'calcinosis[web]')") from None
    try:
        settings = Settings.from_env(host=host, port=port, workers=workers)
    except SettingsError as exc:
        raise fail(exc) from None
    _first_user(settings)
    import os

    # the app (imported by uvicorn, in each worker) reads its settings from the environment: the
    # address given as --host is one of the Host names it answers to (else a request to it is refused)
    os.environ["CALCINOSIS_HOST"] = settings.host
    if settings.workers > 1 and not (settings.session_secret or settings.secret):
        import secrets

        # every worker must sign sessions with the same key: one for this run, shared through the environment
        os.environ["CALCINOSIS_SESSION_SECRET"] = secrets.token_urlsafe(32)
    if settings.https and not settings.trusted_proxies:
        # behind a proxy, every client then has the proxy's address: the sign-in limit per
        # address would lock everyone out after a few failures (a code review)
        typer.echo(
            "calcinosis: warning: CALCINOSIS_HTTPS is set (behind a proxy) but CALCINOSIS_TRUSTED_PROXIES "
            "is not: every client will have the proxy's address; name the proxy so that its "
            "X-Forwarded-For is believed",
            err=True,
        )
    typer.echo(f"calcinosis: serving on http://{settings.host}:{settings.port}/ (API docs: /api/docs)")
    uvicorn.run(
        "calcinosis.web.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # X-Forwarded-For believed only from the proxies named (uvicorn's default believes
        # 127.0.0.1, which let a local process escape the sign-in limit per address)
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        log_level="info",
        access_log=False,  # the app's own access log leaves out query strings (they may hold case data)
    )


def _first_user(settings: object) -> None:
    """On loopback, a registry without users gets a ``demo`` clinician whose password is printed
    once here (the registry's pages need an account; nothing is ever created beyond loopback)."""
    import secrets

    try:
        from sqlalchemy import func, select
    except ImportError:  # the registry extra is not installed: the app serves without it
        return

    from calcinosis.registry import store
    from calcinosis.registry.db import check_ready, migrate, open_engine, session_scope
    from calcinosis.registry.models import User
    from calcinosis.web.settings import Settings, is_loopback

    assert isinstance(settings, Settings)
    if not is_loopback(settings.host):
        return
    engine = open_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            migrate(engine)
        check_ready(engine)
        with session_scope(engine) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return
            password = secrets.token_urlsafe(12)
            store.add_user(session, "demo", password, "clinician", actor="calcinosis serve")
        typer.echo(f"registry: {engine.url.render_as_string(hide_password=True)}")
        typer.echo(f"registry sign-in (shown once): user demo, password {password}")
    finally:
        engine.dispose()
