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

UNATTRIBUTED = "unattributed"

WORKER_COST_COLUMNS = ["hour", "region", "fleet", "worker", "cost_class", "step", "cost_usd"]


def _in_use_by_worker(task_costs: pl.LazyFrame) -> pl.LazyFrame:
    """Worker tasks; a task whose worker could not be named keeps its dollars as
    ``unattributed``."""
    return task_costs.filter(_is_worker_task()).with_columns(
        pl.col("worker").fill_null(UNATTRIBUTED)
    )


def _is_worker_task() -> pl.Expr:
    return ~pl.col("is_daemon") & pl.col("task_id").is_not_null()


_INSTANCE_HOUR = ["hour", "instance_id"]
_WORKER_HOUR = ["hour", "region", "fleet", "worker"]
# A worker's weight in the daemon fold: its tasks' positive in-use cost.
_FOLD_WEIGHT = pl.col("in_use_cost").clip(lower_bound=0.0)


def _daemon_hours(active: pl.LazyFrame) -> pl.LazyFrame:
    """One row per active instance-hour with a daemon: the daemons' whole cost and the
    workers' total fold weight."""
    daemon, worker = pl.col("is_daemon"), _is_worker_task()
    # Conditional columns first, then plain sums: a filter inside an aggregation runs per group.
    return (
        active.select(
            *_INSTANCE_HOUR,
            daemon,
            pl.when(daemon)
            .then(pl.col("in_use_cost") + pl.col("idle_cost"))
            .otherwise(0.0)
            .alias("daemon_cost"),
            pl.when(worker).then(_FOLD_WEIGHT).otherwise(0.0).alias("in_use_total"),
        )
        .group_by(_INSTANCE_HOUR)
        .agg(daemon.max().alias("has_daemon"), pl.col("daemon_cost", "in_use_total").sum())
        .filter(pl.col("has_daemon"))
        .drop("has_daemon")
    )


def _fold_by_weight(workers: pl.LazyFrame, daemon_hours: pl.LazyFrame) -> pl.LazyFrame:
    """Each worker task's part of its instance-hour's daemon cost, ∝ its fold weight, where
    the workers' weights are positive (``daemon_fold``)."""
    weighted = daemon_hours.filter(pl.col("in_use_total") > 0)
    # The worker's share of the weight first, then of the cost: a cost per unit of weight
    # overflows where the weights are tiny.
    share = _FOLD_WEIGHT / pl.col("in_use_total")
    return workers.join(weighted, on=_INSTANCE_HOUR, how="left").with_columns(
        (pl.col("daemon_cost") * share).fill_null(0.0).alias("fold_cost"),
        pl.col("in_use_total").is_not_null().alias("_weighted"),
    )


def _fold_evenly_or_alone(active: pl.LazyFrame, daemon_hours: pl.LazyFrame) -> pl.LazyFrame:
    """Daemon cost of instance-hours whose workers have no positive weight: one share per
    worker (``daemon_fold_even``); with no worker at all it stays ``unattributed``. Such
    instance-hours are few: only their own rows are read."""
    unweighted = daemon_hours.filter(~(pl.col("in_use_total") > 0)).select(
        *_INSTANCE_HOUR, "daemon_cost"
    )
    rows = active.join(unweighted, on=_INSTANCE_HOUR, how="semi")
    workers = _in_use_by_worker(rows).select(*_WORKER_HOUR, "instance_id").unique()
    even = workers.join(unweighted, on=_INSTANCE_HOUR, how="inner").select(
        *_WORKER_HOUR,
        (pl.col("daemon_cost") / pl.len().over(_INSTANCE_HOUR)).alias("cost_usd"),
        pl.lit("daemon_fold_even").alias("step"),
    )
    alone = (
        rows.filter(pl.col("is_daemon"))
        .join(workers, on=_INSTANCE_HOUR, how="anti")
        .group_by(_INSTANCE_HOUR)
        .agg(pl.col("region", "fleet").first())
        .join(unweighted, on=_INSTANCE_HOUR, how="inner")
        .select(
            "hour",
            "region",
            "fleet",
            pl.lit(UNATTRIBUTED).alias("worker"),
            pl.col("daemon_cost").alias("cost_usd"),
            pl.lit("unattributed").alias("step"),
        )
    )
    return pl.concat([even, alone])


def _running_costs(task_costs: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(per worker-hour, leftover daemon cost): the workers' in-use, idle and folded daemon
    cost summed per hour, region, fleet and worker, and the daemon cost no weight placed.

    Daemon-task cost on active instance-hours is moved onto the co-located workers in use:
    all of it, its split and its share of the unused capacity alike (SPEC 3.4), as keeping
    the instance's agents running is part of running the workers, not capacity held in
    reserve. Within an instance-hour the workers share it ∝ their positive in-use cost
    (``daemon_fold``), evenly when that is all zero (``daemon_fold_even``); an instance-hour
    with no worker keeps it ``unattributed``. One pass over the task-hours: each worker
    task's part is summed with its own costs, never listed per task.
    """
    active = task_costs.filter(pl.col("split_path") != "dark")
    daemon_hours = _daemon_hours(active).collect().lazy()  # read by both branches below
    workers = _in_use_by_worker(active)
    per_worker_hour = (
        _fold_by_weight(workers, daemon_hours)
        .group_by(_WORKER_HOUR)
        .agg(
            pl.col("in_use_cost").sum(),
            pl.col("idle_cost").sum(),
            pl.col("fold_cost").sum(),
            # A worker beside a weighted daemon gets a fold row, even of zero dollars.
            pl.col("_weighted").any().alias("folded"),
        )
    )
    return per_worker_hour, _fold_evenly_or_alone(active, daemon_hours)


def fold_daemons(task_costs: pl.LazyFrame) -> pl.LazyFrame:
    """Daemon-task cost on active instance-hours, moved onto the co-located workers in use
    (``_running_costs``), per hour, region, fleet, worker and step."""
    per_worker_hour, leftover = _running_costs(task_costs)
    return _folded_rows(per_worker_hour, leftover)


def _folded_rows(per_worker_hour: pl.LazyFrame, leftover: pl.LazyFrame) -> pl.LazyFrame:
    weighted = per_worker_hour.filter(pl.col("folded")).select(
        *_WORKER_HOUR, pl.col("fold_cost").alias("cost_usd"), pl.lit("daemon_fold").alias("step")
    )
    return pl.concat([weighted, leftover]).select(
        *_WORKER_HOUR, pl.lit("in_use").alias("cost_class"), "step", "cost_usd"
    )


# What ``attribute_dark`` reads of the trailing window's task costs: a window of days is
# read with only these columns.
TRAILING_TASK_COST_COLUMNS = ["region", "fleet", "worker", "is_daemon", "task_id", "in_use_cost"]


def attribute_dark(
    task_costs: pl.LazyFrame, trailing_task_costs: pl.LazyFrame, workers: pl.LazyFrame
) -> pl.LazyFrame:
    """Dark instance-hours' cost, attributed to workers by fleet with the four fallbacks."""
    dark = (
        task_costs.filter(pl.col("split_path") == "dark")
        .select("hour", "region", "fleet", pl.col("dark_cost").alias("cost_usd"))
        .collect()
    )
    # Dark hours are few: only the drivers of their regions and fleets are read and grouped.
    near_dark = pl.col("region").is_in(dark["region"].unique().implode()) & pl.col("fleet").is_in(
        dark["fleet"].unique().implode()
    )
    same_hour = _in_use_by_worker(task_costs.filter(near_dark))
    trailing = _in_use_by_worker(trailing_task_costs.filter(near_dark))
    catalogued = workers.filter(~pl.col("is_daemon")).select("fleet", "worker")
    levels = [
        Level(
            "same_hour",
            same_hour.select(*_WORKER_HOUR, pl.col("in_use_cost").alias(WEIGHT)),
            on=("hour", "region", "fleet"),
        ),
        Level(
            "trailing_window",
            trailing.select("region", "fleet", "worker", pl.col("in_use_cost").alias(WEIGHT)),
            on=("region", "fleet"),
        ),
        Level("fleet_catalog", even_drivers(catalogued), on=("fleet",)),
    ]
    return allocate(dark.lazy(), levels, ["worker"], {"worker": UNATTRIBUTED}).select(
        *_WORKER_HOUR, pl.lit("dark_reserved").alias("cost_class"), "step", "cost_usd"
    )


def worker_costs(
    task_costs: pl.LazyFrame, trailing_task_costs: pl.LazyFrame, workers: pl.LazyFrame
) -> pl.LazyFrame:
    """Compute cost per hour, region, fleet, worker and capacity class."""
    per_worker_hour, leftover = _running_costs(task_costs)
    per_worker_hour = per_worker_hour.collect().lazy()  # read by three parts below
    parts = [
        per_worker_hour.select(
            *_WORKER_HOUR,
            pl.lit(cost_class).alias("cost_class"),
            pl.lit("task").alias("step"),
            pl.col(column).alias("cost_usd"),
        )
        for cost_class, column in (("in_use", "in_use_cost"), ("idle_reserved", "idle_cost"))
    ]
    parts += [
        _folded_rows(per_worker_hour, leftover),
        attribute_dark(task_costs, trailing_task_costs, workers),
    ]
    return (
        pl.concat(parts, how="vertical_relaxed")
        .group_by(WORKER_COST_COLUMNS[:-1])
        .agg(pl.col("cost_usd").sum())
        .select(WORKER_COST_COLUMNS)
    )
