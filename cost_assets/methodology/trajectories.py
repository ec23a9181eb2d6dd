"""Worker trajectories: each worker's daily cost per capacity class beside its traffic.

Grain: one row per day, fleet and worker (regions added together): compute dollars per
capacity class (in use, idle reserved, dark reserved), the units of the worker's catalogued
unit (audio hours, requests or tokens), the cost per unit and the worker's share of its
fleet's dollars that day.

Growth over the trailing window of ``window_days`` compares the day with the day
``window_days`` before it (the same weekday for a 7-day window, so weekends meet weekends):
``cost_growth = C_d / C_base − 1``, ``units_growth = U_d / U_base − 1`` and
``unit_cost_growth = (1 + cost_growth) / (1 + units_growth) − 1``, the growth of cost per
unit. A worker is *flagged* when ``unit_cost_growth`` exceeds the threshold: its cost grew
faster than its traffic. A worker without traffic or without cost on either end (daemons, a
worker that started or stopped) has no growth and is never flagged.
"""

from datetime import date, timedelta

import polars as pl

from cost_assets.methodology.rollups import CAPACITY_CLASSES

CLASS_COLUMNS = [f"{c}_usd" for c in CAPACITY_CLASSES]


def _per_worker_day(worker_costs_daily: pl.LazyFrame) -> pl.LazyFrame:
    return worker_costs_daily.group_by("day", "fleet", "worker").agg(
        *[pl.col(c).sum() for c in CLASS_COLUMNS],
        pl.col("cost_usd").sum(),
        pl.col("unit").drop_nulls().first(),
        pl.col("units").sum(),
    )


def worker_trajectories(
    worker_costs_daily: pl.LazyFrame, day: date, window_days: int, threshold: float
) -> pl.LazyFrame:
    """The workers of ``day`` with their growth since ``day − window_days``.

    ``worker_costs_daily`` holds rows of that table for at least the two end days.
    """
    base_day = day - timedelta(days=window_days)
    daily = _per_worker_day(worker_costs_daily.filter(pl.col("day").is_in([base_day, day])))
    base = daily.filter(pl.col("day") == base_day).select(
        "fleet",
        "worker",
        pl.col("cost_usd").alias("cost_usd_base"),
        pl.col("units").alias("units_base"),
    )
    growth = pl.col("cost_usd") / pl.col("cost_usd_base") - 1.0
    traffic = pl.col("units") / pl.col("units_base") - 1.0
    judged = (
        (pl.col("cost_usd_base") > 0)
        & (pl.col("cost_usd") > 0)
        & (pl.col("units_base") > 0)
        & (pl.col("units") > 0)
    )
    fleet_cost = pl.col("cost_usd").sum().over("fleet")
    return (
        daily.filter(pl.col("day") == day)
        .join(base, on=["fleet", "worker"], how="left")
        .with_columns(
            pl.when(pl.col("units") > 0)
            .then(pl.col("cost_usd") / pl.col("units"))
            .alias("usd_per_unit"),
            pl.when(fleet_cost != 0).then(pl.col("cost_usd") / fleet_cost).alias("fleet_share"),
            pl.lit(base_day).alias("base_day"),
            pl.when(judged).then(growth).alias("cost_growth"),
            pl.when(judged).then(traffic).alias("units_growth"),
        )
        .with_columns(
            ((1.0 + pl.col("cost_growth")) / (1.0 + pl.col("units_growth")) - 1.0).alias(
                "unit_cost_growth"
            ),
        )
        .with_columns(
            (pl.col("unit_cost_growth") > threshold).fill_null(False).alias("flagged"),
        )
        .select(
            "day",
            "fleet",
            "worker",
            *CLASS_COLUMNS,
            "cost_usd",
            "unit",
            "units",
            "usd_per_unit",
            "fleet_share",
            "base_day",
            "cost_usd_base",
            "units_base",
            "cost_growth",
            "units_growth",
            "unit_cost_growth",
            "flagged",
        )
        .sort("fleet", "worker")
    )


def flagged_workers(trajectories: pl.DataFrame) -> list[dict]:
    """The flagged workers, fastest-growing cost per unit first, rounded for reading."""
    rows = trajectories.filter(pl.col("flagged")).sort("unit_cost_growth", descending=True)
    return [
        {
            "worker": r["worker"],
            "fleet": r["fleet"],
            "cost_growth": round(r["cost_growth"], 4),
            "units_growth": round(r["units_growth"], 4),
            "unit_cost_growth": round(r["unit_cost_growth"], 4),
            "cost_usd": round(r["cost_usd"], 2),
            "cost_usd_base": round(r["cost_usd_base"], 2),
        }
        for r in rows.iter_rows(named=True)
    ]
