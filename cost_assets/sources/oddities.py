"""Input that is odd but legal: counted for the raw assets' metadata, never dropped.

Each function takes normalised rows (see `schemas`) and returns plain numbers and short lists,
so that a day's metadata says how much of its input was unusual, and where. None of them
changes a row: what they count is still used (or, for `out_of_reach`, reported as the
dollars no day can take).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from cost_assets.sources.exports import month_start

EXAMPLES = 10  # how many names a count lists


def _total(frame: pl.DataFrame, column: str | None) -> float:
    if column is None or not frame.height:
        return 0.0
    return float(frame.get_column(column).fill_null(0.0).sum())


def empty_files(file_rows: dict[str, int], keys: Sequence[str]) -> list[str]:
    """The files of a delivery that held no rows (an overwrite delivery's stale chunks, when
    read without a manifest, or a chunk AWS wrote empty), from each file's row count."""
    return [k for k in keys if file_rows.get(k) == 0]


def duplicates_across_files(
    frame: pl.DataFrame,
    source_column: str,
    cost_column: str | None = None,
    hashes: pl.Series | None = None,
) -> dict[str, Any]:
    """Rows that appear identically (every column read) in more than one file of a delivery.

    AWS never repeats a row within one delivery, but a row identical in every column the
    pipeline reads can still be a distinct charge (it differs in columns not read), so the
    copies are kept. Counted: the copies beyond the first, their cost, and the files involved.
    ``hashes`` are the rows' hashes over every column but the source, when already computed.
    """
    if not frame.height:
        return {"rows": 0, "cost": 0.0, "files": []}
    if hashes is None:
        hashes = frame.drop(source_column).hash_rows()
    # Only the columns counted, as series: a frame-level with_columns would copy every column.
    kept = [source_column] + ([cost_column] if cost_column else [])
    keyed = pl.DataFrame([hashes.alias("__row"), *(frame.get_column(c) for c in kept)])
    groups = (
        keyed.group_by("__row")
        .agg(
            pl.col(source_column).n_unique().alias("files"),
            pl.col(source_column).unique().alias("file_keys"),
            pl.len().alias("copies"),
            (pl.col(cost_column).fill_null(0.0).first() if cost_column else pl.lit(0.0)).alias(
                "cost"
            ),
        )
        .filter(pl.col("files") > 1)
    )
    extra = groups.select((pl.col("copies") - 1).sum()).item() or 0
    cost = groups.select(((pl.col("copies") - 1) * pl.col("cost")).sum()).item() or 0.0
    files = sorted({k for keys in groups.get_column("file_keys").to_list() for k in keys})
    return {"rows": int(extra), "cost": float(cost), "files": files[:EXAMPLES]}


def outside_billing_period(focus_day: pl.DataFrame) -> dict[str, Any]:
    """FOCUS rows of the day dated before their billing period: corrections and late charges,
    placed on the day their charge period names."""
    rows = focus_day.filter(pl.col("ChargePeriodStart") < pl.col("BillingPeriodStart"))
    periods = rows.get_column("BillingPeriodStart").dt.strftime("%Y-%m").unique().sort()
    return {
        "rows": rows.height,
        "effective_cost": _total(rows, "EffectiveCost"),
        "billing_periods": periods.to_list(),
    }


def out_of_reach(focus: pl.DataFrame, day: date, later_periods_read: int) -> dict[str, Any]:
    """Rows of the day's own billing period delivery that no day partition reads.

    A day reads its own billing period and the `later_periods_read` after it, so a row
    dated more than that many periods before its billing period is on no day. Counted on
    every day of the delivery's period, with its dollars, so that it is never lost silently.
    """
    own = pl.col("BillingPeriodStart") == month_start(day)
    earliest = month_start(day, later_periods_read)
    rows = focus.filter(own & (pl.col("ChargePeriodEnd") <= earliest))
    return {"rows": rows.height, "effective_cost": _total(rows, "EffectiveCost")}


def over_capacity(tasks: pl.DataFrame, instances: pl.DataFrame) -> dict[str, int]:
    """Task-hours reserving more vCPU or memory than their instance has, and instance-hours
    whose tasks together reserve more than it has.

    SCAD still conserves the instance's cost (nothing is left unused, and the tasks share
    the whole instance in proportion to their reservations); the count says the CUR rows and
    the instance catalog disagree.
    """
    if not tasks.height or not instances.height:
        return {"task_hours": 0, "instance_hours": 0}
    capacity = instances.select(
        "instance_id",
        pl.col("vcpu").cast(pl.Float64),
        pl.col("memory_gib").cast(pl.Float64),
    ).unique("instance_id", keep="first")
    joined = tasks.select(
        "hour",
        "instance_id",
        pl.col("vcpu_reserved").cast(pl.Float64),
        pl.col("gb_reserved").cast(pl.Float64),
    ).join(capacity, on="instance_id", how="inner")

    def exceeds(reserved: pl.Expr, available: str) -> pl.Expr:
        return (reserved > pl.col(available) * (1 + 1e-9)).fill_null(False)

    per_task = joined.filter(
        exceeds(pl.col("vcpu_reserved"), "vcpu") | exceeds(pl.col("gb_reserved"), "memory_gib")
    ).height
    per_instance = (
        joined.group_by("instance_id", "hour")
        .agg(
            pl.col("vcpu_reserved").sum(),
            pl.col("gb_reserved").sum(),
            pl.col("vcpu").first(),
            pl.col("memory_gib").first(),
        )
        .filter(
            exceeds(pl.col("vcpu_reserved"), "vcpu") | exceeds(pl.col("gb_reserved"), "memory_gib")
        )
        .height
    )
    return {"task_hours": per_task, "instance_hours": per_instance}


def unknown_workers(
    frame: pl.DataFrame, catalog: pl.Series, values: Sequence[str] = ()
) -> dict[str, Any]:
    """Rows naming a worker missing from the worker catalog (`workers.csv`).

    Such rows are still used: usage is real traffic and a task's cost is real money, and a
    worker is often running before Finance adds it to the catalog.
    """
    unknown = frame.filter(
        pl.col("worker").is_not_null() & ~pl.col("worker").is_in(catalog.implode())
    )
    names = unknown.get_column("worker").unique().sort().to_list()
    counted: dict[str, Any] = {"rows": unknown.height, "workers": names[:EXAMPLES]}
    for value in values:
        counted[value] = _total(unknown, value)
    return counted
