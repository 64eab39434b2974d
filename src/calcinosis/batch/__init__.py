"""Cohorts: ``calcinosis batch``, many cases in, one row of results per case out.

::

    input (folder, JSON Lines, CSV, Parquet)          inputs.py   chunks of raw rows
      └─ rows -> case dicts (flat tables)             columns.py  the column names, checked
           └─ case dicts -> validated cases           validate.py parse_case; rejects located
                └─ cases -> scores                    calcinosis.engine.batch.score_cases
                     └─ output rows                   job.py      one chunk at a time
    local run with a progress bar                     job.py, progress.py
    the same chunks on a Dask cluster                 distributed.py
    results, rejects, full results, summary           outputs.py

This part reads, writes, partitions and calls the kernel; it holds no clinical logic.
"""

from __future__ import annotations

__all__: list[str] = []
