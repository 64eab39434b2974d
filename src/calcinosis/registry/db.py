"""Open a registry: its URL, the engine with safe settings, migrations, sessions.

SQLite by default (a file in the user's data folder, WAL journal, foreign keys enforced, a busy
timeout so concurrent writers wait instead of failing); PostgreSQL when
``CALCINOSIS_DATABASE_URL`` (or ``--db``) says ``postgresql+psycopg://...``. The schema is only
ever created by the Alembic migrations (``migrate``), never by ``create_all``, so a registry made
by an old version upgrades in place with its data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from calcinosis.errors import CalcinosisError

__all__ = ["RegistryError", "check_ready", "default_url", "migrate", "open_engine", "schema_revision", "session_scope"]

MIGRATIONS = resources.files("calcinosis") / "registry" / "migrations"


class RegistryError(CalcinosisError):
    """The registry cannot be opened, or an operation on it is refused (the message says why).

    ``status`` is the HTTP status the API answers with: 404 for an unknown patient, 409 (Conflict)
    for what conflicts with a record already there (a patient, visit, measurement or user that
    exists; a lesion recorded at another site; two writers at once), else 422.
    """

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status
        self.key: str | None = None
        self.values: dict[str, object] = {}

    @classmethod
    def said(cls, key: str, /, *, status: int = 422, **values: object) -> RegistryError:
        """An error kept as a ``messages.yaml`` key and its values, so that a page can say it in
        its reader's language (``text``); ``str()`` is the English text. A value named ``what``
        is a field: its ``reg_field_*`` label when it has one ('size_mm' -> 'size (mm)',
        'taille (mm)'), else as given (an option name such as '--date')."""
        error = cls("", status=status)
        error.key, error.values = key, values
        error.args = (error.text("en"),)
        return error

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the English text for an error not kept as a key)."""
        if self.key is None:
            return str(self)
        from calcinosis.i18n import message as message_in
        from calcinosis.i18n import messages

        table = messages()
        # a number is written in the reader's language, an age in years as an age ('7 mois': a code
        # review read '0.6 ans' in French)
        values = {k: _said(k, v, lang) for k, v in self.values.items()}
        field = f"reg_field_{values.get('what')}"
        if field in table:
            values["what"] = message_in(field, lang)
        if "near" in values:  # the closest known terms, when there are any
            near = values.pop("near")
            values["hint"] = message_in("reg_hint_closest", lang, near=near) if near else ""
        return message_in(self.key, lang, **values)


def default_url() -> str:
    """``CALCINOSIS_DATABASE_URL``, else an SQLite file in the user's data folder."""
    url = os.environ.get("CALCINOSIS_DATABASE_URL")
    if url:
        return url
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("calcinosis", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite:///{folder / 'registry.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default :func:`default_url`); refuses a URL it cannot use, clearly."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RegistryError(
            "the registry URL is not a database URL (expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise RegistryError(f"the registry runs on SQLite or PostgreSQL, not {backend!r}")
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@contextmanager
def _reachable(engine: Engine) -> Iterator[None]:
    """A database that cannot be reached is a RegistryError naming it, never a driver traceback."""
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise RegistryError(
            f"the registry database {where} is busy or unreachable ({str(exc.orig).splitlines()[0]})"
        ) from None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the registry's schema to ``revision`` (Alembic), keeping every row."""
    from alembic import command

    with _reachable(engine):
        command.upgrade(_alembic_config(engine), revision)


def schema_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with _reachable(engine), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_ready(engine: Engine) -> None:
    """Refuse to work on a database that is not an up-to-date registry (the message says what to run)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    current = schema_revision(engine)
    if current is None:
        with _reachable(engine):
            tables = inspect(engine).get_table_names()
        what = "is empty" if not tables else "holds other tables"
        raise RegistryError(f"this database {what}: run `calcinosis registry init` first")
    if current != head:
        raise RegistryError(
            f"the registry schema is at {current}, this version needs {head}: run `calcinosis registry init` to upgrade"
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back entirely on any error."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        # two writers recording the same thing at the same moment: the second is refused whole
        raise RegistryError(
            f"this change conflicts with one recorded at the same time; nothing was changed ({exc.orig})",
            status=409,
        ) from None
    except OperationalError as exc:
        session.rollback()
        raise RegistryError(f"the registry database is busy or unreachable; nothing was changed ({exc.orig})") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _said(name: str, value: object, lang: str) -> object:
    """A value as the message says it: a float named ``*_years`` as an age ('7 months', '24 ans'),
    another float to one decimal at most with the decimal comma in French ('2,5'), the rest as given."""
    if not isinstance(value, float):
        return value
    from calcinosis.i18n import age_text

    if name.endswith("_years"):
        return age_text(value, lang)
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "fr" else text
