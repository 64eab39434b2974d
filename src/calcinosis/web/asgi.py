"""The ASGI application for servers (``uvicorn calcinosis.web.asgi:app``), configured from the environment."""

from __future__ import annotations

import logging

from calcinosis.web.app import create_app

logging.getLogger("calcinosis.web.access").setLevel(logging.INFO)
app = create_app()
