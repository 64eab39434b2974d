"""The follow-up registry: patients, lesions, visits, treatments, imaging and response over time.

SQLAlchemy 2 ORM on SQLite (default: an embedded file in the user's data folder) or PostgreSQL
(``CALCINOSIS_DATABASE_URL``), with Alembic migrations from the first version. Needs the
``registry`` extra. Entry points: :mod:`calcinosis.registry.db` (open and migrate),
:mod:`calcinosis.registry.store` (what the CLI and the API do), :mod:`calcinosis.registry.response`.
"""
