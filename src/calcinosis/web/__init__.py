"""The web app and REST API (FastAPI, Jinja2 + htmx): ``calcinosis serve`` or ``scripts/run``.

Needs the ``web`` extra. Build an app with :func:`calcinosis.web.app.create_app`.
"""
