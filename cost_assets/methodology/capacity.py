"""Capacity classes per worker (SPEC 3.4): in use, idle reserved, dark reserved.

- in use: what a worker's tasks consumed (their split-cost part), plus the whole cost of the
  daemon tasks on the same active instance-hour (their split and their share of the unused
  capacity), folded in ∝ the co-located workers' allocation (their in-use cost: SCAD's
  weighted allocation, in dollars), as SPEC 3.4 says;
- idle reserved: the workers' own share of the unused capacity inside instances that run
  tasks;
- dark reserved: instance-hours with no task but daemons, attributed by fleet to the workers
  that ran in the fleet that hour ∝ their in-use cost; else ∝ their in-use cost in the fleet
  over the trailing window; else evenly over the fleet's catalogued workers; else
  ``unattributed``. A fleet is an ECS cluster, and clusters are regional: the same fleet
  name in two regions is two fleets, so dark capacity is matched within its region.

One row per hour, region, fleet, worker, capacity class and attribution step; the classes
explain the compute pool and never change its total.
"""

import polars as pl

from cost_assets.methodology.allocate import WEIGHT, Level, allocate, even_drivers
from cost_assets.methodology.join import coded

UNATTRIBUTED = "unattributed"

WORKER_COST_COLUMNS = ["hour", "region", "fleet", "worker", "cost_class", "step", "cost_usd"]


def _in_use_by_worker(task_costs: pl.LazyFrame) -> pl.LazyFrame:
    """Worker tasks; a task whose worker could not be named keeps its dollars as
    ``unattributed``."""
    return task_costs.filter(~pl.col("is_daemon") & pl.col("task_id").is_not_null()).with_columns(
        pl.col("worker").fill_null(UNATTRIBUTED)
    )


def fold_daemons(task_costs: pl.LazyFrame) -> pl.LazyFrame:
    """Daemon-task cost on active instance-hours, moved onto the co-located workers in use.

    All of a daemon's cost, its split and its share of the unused capacity alike, becomes the
    workers' in-use cost (SPEC 3.4): keeping the instance's agents running is part of running
    the workers, not capacity held in reserve. Within an instance-hour the workers share it
    in proportion to their in-use cost (``daemon_fold``), evenly when that is all zero
    (``daemon_fold_even``); an instance-hour with no worker keeps it ``unattributed``.

    The rule is the allocation mechanism's (``allocate``) with one level per instance-hour,
    written out: one grouping and one join, as it runs over every task-hour of the day.
    """
    instance_hour = ["hour", "instance_id"]
    active = task_costs.filter(pl.col("split_path") != "dark")
    daemons = (
        active.filter(pl.col("is_daemon"))
        .group_by(instance_hour)
        .agg(
            pl.col("region").first(),
            pl.col("fleet").first(),
            (pl.col("in_use_cost") + pl.col("idle_cost")).sum().alias("daemon_cost"),
        )
    )
    # A worker's weight is its tasks' positive in-use cost; evenly means one share a worker.
    workers = (
        _in_use_by_worker(active)
        .group_by(*instance_hour, "worker")
        .agg(pl.col("in_use_cost").clip(lower_bound=0.0).sum())
    )
    totals = workers.group_by(instance_hour).agg(
        pl.col("in_use_cost").sum().alias("in_use_total"), pl.len().alias("workers")
    )
    by_instance_hour = daemons.join(totals, on=instance_hour, how="left")
    folded = by_instance_hour.join(workers, on=instance_hour, how="inner").select(
        "hour",
        "region",
        "fleet",
        "worker",
        pl.when(pl.col("in_use_total") > 0)
        .then(pl.col("daemon_cost") * (pl.col("in_use_cost") / pl.col("in_use_total")))
        .otherwise(pl.col("daemon_cost") / pl.col("workers"))
        .alias("cost_usd"),
        pl.when(pl.col("in_use_total") > 0)
        .then(pl.lit("daemon_fold"))
        .otherwise(pl.lit("daemon_fold_even"))
        .alias("step"),
    )
    alone = by_instance_hour.filter(pl.col("workers").is_null()).select(
        "hour",
        "region",
        "fleet",
        pl.lit(UNATTRIBUTED).alias("worker"),
        pl.col("daemon_cost").alias("cost_usd"),
        pl.lit("unattributed").alias("step"),
    )
    return pl.concat([folded, alone]).select(
        "hour",
        "region",
        "fleet",
        "worker",
        pl.lit("in_use").alias("cost_class"),
        "step",
        "cost_usd",
    )


def attribute_dark(
    task_costs: pl.LazyFrame, trailing_task_costs: pl.LazyFrame, workers: pl.LazyFrame
) -> pl.LazyFrame:
    """Dark instance-hours' cost, attributed to workers by fleet with the four fallbacks."""
    dark = task_costs.filter(pl.col("split_path") == "dark").select(
        "hour", "region", "fleet", pl.col("dark_cost").alias("cost_usd")
    )
    same_hour = _in_use_by_worker(task_costs).select(
        "hour", "region", "fleet", "worker", pl.col("in_use_cost").alias(WEIGHT)
    )
    trailing = _in_use_by_worker(trailing_task_costs).select(
        "region", "fleet", "worker", pl.col("in_use_cost").alias(WEIGHT)
    )
    catalogued = workers.filter(~pl.col("is_daemon")).select("fleet", "worker")
    levels = [
        Level("same_hour", same_hour, on=("hour", "region", "fleet")),
        Level("trailing_window", trailing, on=("region", "fleet")),
        Level("fleet_catalog", even_drivers(catalogued), on=("fleet",)),
    ]
    return allocate(dark, levels, ["worker"], {"worker": UNATTRIBUTED}).select(
        "hour",
        "region",
        "fleet",
        "worker",
        pl.lit("dark_reserved").alias("cost_class"),
        "step",
        "cost_usd",
    )


def worker_costs(
    task_costs: pl.LazyFrame, trailing_task_costs: pl.LazyFrame, workers: pl.LazyFrame
) -> pl.LazyFrame:
    """Compute cost per hour, region, fleet, worker and capacity class."""
    task_costs = coded(task_costs)  # daemons are folded per instance-hour: joined on codes
    running = _in_use_by_worker(task_costs).filter(pl.col("split_path") != "dark")
    in_use = running.select(
        "hour",
        "region",
        "fleet",
        "worker",
        pl.lit("in_use").alias("cost_class"),
        pl.lit("task").alias("step"),
        pl.col("in_use_cost").alias("cost_usd"),
    )
    idle = running.select(
        "hour",
        "region",
        "fleet",
        "worker",
        pl.lit("idle_reserved").alias("cost_class"),
        pl.lit("task").alias("step"),
        pl.col("idle_cost").alias("cost_usd"),
    )
    parts = [
        in_use,
        idle,
        fold_daemons(task_costs),
        attribute_dark(task_costs, trailing_task_costs, workers),
    ]
    return (
        pl.concat(parts, how="vertical_relaxed")
        .group_by(WORKER_COST_COLUMNS[:-1])
        .agg(pl.col("cost_usd").sum())
        .select(WORKER_COST_COLUMNS)
    )
