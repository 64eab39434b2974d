"""a treatment started once on a day, a diagnosis held once on a date

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00

The store refused a treatment started twice on one day and a diagnosis held twice on one date
by looking first (a SELECT, then the INSERT); two writers at the same moment (the web app's
workers) could both pass that look and record the same thing twice. Two unique constraints now
stand behind it: ``treatment (patient_id, treatment, start)`` and ``clinical_diagnosis
(patient_id, diagnosis, date)``.

A registry that already holds such a repeat cannot take the constraint. Decision: the migration
does not choose for the clinic. The two records may differ (a dose, a stop date, adverse events),
so keeping one and deleting the other would lose what a user entered. It therefore stops before
changing anything, with a message listing every repeat (patient code and team, the treatment or
diagnosis, the date, the record ids) and what to do: keep one record of each, carry onto it what
the others hold, delete the others, run ``calcinosis registry init`` again. Nothing is changed:
the check runs before any DDL, and on PostgreSQL the whole upgrade is one transaction (an upgrade
from an older revision that stops here leaves the schema where it was); on SQLite the earlier
revisions of the same run may stay applied, each complete.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from alembic import op

from calcinosis.registry.db import RegistryError

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SHOWN = 50  # repeats listed in the message; the rest counted

# (table, what column, date column, constraint, how a repeat is said)
REPEATS = (
    ("treatment", "treatment", "start", "uq_treatment_patient_treatment_start", "treatment '{}' started on {}"),
    (
        "clinical_diagnosis",
        "diagnosis",
        "date",
        "uq_clinical_diagnosis_patient_diagnosis_date",
        "diagnosis '{}' held on {}",
    ),
)


def _repeats(connection: sa.Connection) -> tuple[list[str], dict[str, list[int]]]:
    """The repeated records, one line each, and the ids a clinic would delete by table (all but
    the first of each repeat: a suggestion, the message says to check them)."""
    patient = sa.table("patient", sa.column("id"), sa.column("team"), sa.column("code"))
    lines: list[str] = []
    extra: dict[str, list[int]] = {}
    for table_name, what, day, _constraint, said in REPEATS:
        table = sa.table(table_name, sa.column("id"), sa.column("patient_id"), sa.column(what), sa.column(day))
        keys = (
            sa.select(table.c.patient_id, table.c[what], table.c[day])
            .group_by(table.c.patient_id, table.c[what], table.c[day])
            .having(sa.func.count() > 1)
            .subquery()
        )
        rows = connection.execute(
            sa.select(patient.c.team, patient.c.code, table.c[what], table.c[day], table.c.id)
            .join(keys, sa.and_(*(table.c[c] == keys.c[c] for c in ("patient_id", what, day))))
            .join(patient, patient.c.id == table.c.patient_id)
            .order_by(patient.c.team, patient.c.code, table.c[what], table.c[day], table.c.id)
        ).all()
        for (team, code, thing, date), group in itertools.groupby(rows, key=lambda r: tuple(r[:4])):
            ids = [int(r[4]) for r in group]
            lines.append(f"patient '{code}' (team {team}): {said.format(thing, _day(date))}, records {_ids(ids)}")
            extra.setdefault(table_name, []).extend(ids[1:])
    return lines, extra


def _day(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


def upgrade() -> None:
    lines, extra = _repeats(op.get_bind())
    if lines:
        shown = "\n".join(f"  {line}" for line in lines[:SHOWN])
        if len(lines) > SHOWN:
            shown += f"\n  ... and {len(lines) - SHOWN} more"
        deletes = "; ".join(f"DELETE FROM {table} WHERE id IN ({_ids(ids)})" for table, ids in extra.items())
        raise RegistryError(
            f"the registry holds {len(lines)} record(s) entered more than once, which this version refuses "
            "(schema 0004: a treatment started once on a day, a diagnosis held once on a date); the upgrade "
            "stopped before that step, every record kept:\n"
            f"{shown}\n"
            "What to do: copy the database first (the SQLite file, or pg_dump); for each line, keep one "
            "record, carry onto it what the others hold (a dose, a stop date, adverse events), and delete "
            f"the others (with the first kept: {deletes}); then run `calcinosis registry init` again.",
        )
    for table, what, day, constraint, _said in REPEATS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(constraint, ["patient_id", what, day])


def downgrade() -> None:
    for table, _what, _day, constraint, _said in reversed(REPEATS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_="unique")
