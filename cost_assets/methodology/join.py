"""Amortized cost per task: FOCUS dollars joined to CUR task shares (SPEC 3.1 to 3.3).

The *compute pool* is the EC2 instance-hour usage of instances in ECS fleets. Each
instance-hour's effective cost ``C`` goes to the tasks that ran on it:

- CPU instances (``cur_split``): in use ∝ the CUR ``split_cost``, idle ∝ ``unused_cost``,
  scaled so the tasks sum to ``C``;
- CPU instances where any task's split costs are null, or all are zero (``scad_recompute``):
  SCAD recomputed from reservation and usage, for the whole instance-hour;
- GPU instances (``gpu_resplit``): SCAD over GPU, vCPU and memory with GPUs per task from the
  worker catalog;
- instance-hours without a task other than daemons (``dark``): all of ``C`` is dark,
  attributed later by fleet.

``C`` is the sum of every FOCUS instance-usage row of the instance-hour (a Savings-Plan-covered
part and an on-demand part add up); data transfer, EBS and other rows that name the instance
are not compute. ``scale_factor`` is FOCUS ÷ CUR split dollars of the instance-hour wherever
CUR has them all (on every path: a reconciliation signal); on ``cur_split`` rows it is the
factor applied. Task-hours whose instance-hour has no FOCUS row cannot be priced: they are
left out here and reported (``PricedTasks.orphans``).

One row per task and instance-hour (dark instance-hours: one row with no task). Per
instance-hour, in_use_cost + idle_cost + dark_cost sums to ``C``.
"""

from collections.abc import Callable, Sequence
from typing import NamedTuple

import polars as pl

from cost_assets.methodology.charges import is_instance_usage
from cost_assets.methodology.scad import (
    AWS_FIXED_GPU_WEIGHTS,
    CPU_RESOURCES,
    CPU_WEIGHTS,
    GPU_RESOURCES,
    allocation_totals,
    allocations,
    instance_hour_columns,
    instance_rates,
    task_shares,
)

INSTANCE_HOUR = ["hour", "instance_id"]

TASK_COST_COLUMNS = [
    "hour",
    "region",
    "fleet",
    "instance_id",
    "instance_type",
    "task_id",
    "worker",
    "is_daemon",
    "split_path",
    "instance_cost",
    "scale_factor",
    "in_use_cost",
    "idle_cost",
    "dark_cost",
]


def instance_hours(charges: pl.LazyFrame) -> pl.LazyFrame:
    """Σ effective cost per EC2 instance-hour (all rows: Savings-Plan-covered and on-demand)."""
    return (
        charges.filter(is_instance_usage())
        .rename({"resource_id": "instance_id"})
        .group_by(INSTANCE_HOUR)
        .agg(
            pl.col("region").min(),
            pl.col("effective_cost").sum().alias("instance_cost"),
            pl.col("tag_fleet").min(),
            pl.col("sku_meter").min(),  # its instance type is read where CUR names none
            pl.len().alias("focus_rows"),
        )
    )


def instance_ids(hours: pl.DataFrame) -> pl.Enum:
    """The instance ids of the day's ``instance_hours``, enumerated: their positions are the
    codes of ``KEY``, the same in every frame of the day."""
    return pl.Enum(hours.get_column("instance_id").unique().sort().drop_nulls())


def compute_pool(charges: pl.LazyFrame, tasks: pl.LazyFrame, workers: pl.LazyFrame) -> pl.LazyFrame:
    """Instance-hours in ECS fleets, with their fleet.

    An instance is in a fleet when its fleet tag names a catalogued fleet, or when it hosts an
    ECS task that hour (then it takes the fleet of its tasks' workers, or ``unknown``).
    """
    hours = instance_hours(charges).collect()
    ids = instance_ids(hours)
    pool = _pool(hours, _tasks_with_workers(tasks, workers, ids, split=False), workers, ids)
    return pool.drop(KEY)


def _tasks_with_workers(
    tasks: pl.LazyFrame, workers: pl.LazyFrame, ids: pl.Enum, split: bool = True
) -> pl.LazyFrame:
    """Task-hours keyed by instance-hour (``KEY``), with their worker's fleet
    (``worker_fleet``) and daemon flag, which the pool reads, and the GPUs per task, which
    the ``split`` reads."""
    attributes = {"fleet": "worker_fleet", "is_daemon": "is_daemon"}
    if split:
        attributes["gpus_per_task"] = "gpus_per_task"
    catalog = workers.select("worker", *attributes).collect()
    # Looked up, not joined: a join would copy every column of the task-hours.
    return keyed(tasks, ids).with_columns(
        pl.col("worker")
        .replace_strict(catalog["worker"], catalog[column], default=None)
        .alias(name)
        for column, name in attributes.items()
    )


def _pool(
    hours: pl.DataFrame, tasks: pl.LazyFrame, workers: pl.LazyFrame, ids: pl.Enum
) -> pl.LazyFrame:
    """``compute_pool`` of the ``instance_hours`` and the ``_tasks_with_workers`` tasks,
    keyed by ``ids``."""
    known_fleets = workers.select(pl.col("fleet").alias("tag_fleet")).unique()
    # Tasks of workers from several fleets on one instance: the fleet of the workers (not
    # daemons) that reserve the most of it, then by name, so every run picks the same one.
    allocated = CPU_WEIGHTS["vcpu"] * pl.max_horizontal(
        pl.col("vcpu_reserved").fill_null(0.0), pl.col("vcpu_used").fill_null(0.0)
    ) + CPU_WEIGHTS["gb"] * pl.max_horizontal(
        pl.col("gb_reserved").fill_null(0.0), pl.col("gb_used").fill_null(0.0)
    )
    tagged = (
        keyed(hours.lazy(), ids)
        .join(known_fleets.with_columns(pl.lit(True).alias("known")), on="tag_fleet", how="left")
        .collect()
        .lazy()
    )
    # Only instance-hours without a catalogued fleet tag, or without a region, take their
    # tasks' fleet or region: only their tasks are grouped (usually few or none).
    undecided = tagged.filter(~pl.col("known").fill_null(False) | pl.col("region").is_null())
    task_fleets = (
        tasks.join(undecided.select(KEY), on=KEY, how="semi")
        .group_by(KEY, pl.col("worker_fleet").alias("fleet"))
        .agg(
            (~pl.col("is_daemon").fill_null(False)).any().alias("runs_workers"),
            allocated.sum().alias("allocated"),
            pl.col("region").min().alias("task_region"),
        )
        .group_by(KEY)
        .agg(
            pl.col("fleet")
            .sort_by(
                [pl.col("fleet").is_null(), "runs_workers", "allocated", "fleet"],
                descending=[False, True, True, False],
                nulls_last=True,
            )
            .first()
            .fill_null("unknown")
            .alias("task_fleet"),
            pl.col("task_region").min(),
        )
    )
    return (
        tagged.join(task_fleets, on=KEY, how="left")
        .with_columns(
            pl.when(pl.col("known"))
            .then(pl.col("tag_fleet"))
            .otherwise(pl.col("task_fleet"))
            .alias("fleet"),
            pl.coalesce("region", "task_region").alias("region"),
        )
        .filter(pl.col("fleet").is_not_null())
        .drop("known", "task_fleet", "tag_fleet", "task_region")
    )


def _capacity(pool: pl.LazyFrame, instances: pl.LazyFrame, instance_types: pl.LazyFrame):
    """Instance capacity from CUR's product attributes, else the instance-type catalog."""
    catalog = instance_types.select(
        "instance_type",
        pl.col("vcpu").alias("cat_vcpu"),
        pl.col("memory_gib").alias("cat_gb"),
        pl.col("gpus").alias("cat_gpus"),
    )
    return (
        pool.join(
            instances.select("instance_id", "instance_type", "vcpu", "memory_gib", "gpus"),
            on="instance_id",
            how="left",
        )
        .with_columns(
            # The meter ("EU-BoxUsage:g5.xlarge") is read only where CUR names no type.
            pl.when(pl.col("instance_type").is_null())
            .then(pl.col("sku_meter").str.extract(r":(.+)$", 1))
            .otherwise(pl.col("instance_type"))
            .alias("instance_type")
        )
        .join(catalog, on="instance_type", how="left")
        .select(
            pl.exclude("vcpu", "memory_gib", "gpus", "cat_vcpu", "cat_gb", "cat_gpus", "sku_meter"),
            pl.coalesce("vcpu", "cat_vcpu").alias("vcpu_capacity"),
            pl.coalesce("memory_gib", "cat_gb").alias("gb_capacity"),
            pl.coalesce("gpus", "cat_gpus").fill_null(0.0).alias("gpu_capacity"),
        )
    )


class PricedTasks(NamedTuple):
    """The day's split of the compute pool: ``task_costs`` (``TASK_COST_COLUMNS``), the
    ``pool`` it split and the ``orphans``, task-hours whose instance-hour has no FOCUS
    compute row."""

    task_costs: pl.DataFrame
    pool: pl.DataFrame
    orphans: pl.DataFrame


def price_tasks(
    charges: pl.LazyFrame,
    tasks: pl.LazyFrame,
    instances: pl.LazyFrame,
    workers: pl.LazyFrame,
    instance_types: pl.LazyFrame,
    gpu_weights: pl.LazyFrame,
) -> PricedTasks:
    """Amortized cost per task and instance-hour, split into in use, idle and dark.

    The task-hours are keyed and given their workers' attributes once, and the pool materialized
    once: the pool, the split and the orphans all read them, and a query plan would
    otherwise recompute them in each branch. Instance-hours are joined on one integer
    (``keyed``: the same matches, faster).
    """
    task_columns = tasks.collect_schema().names()
    hours = instance_hours(charges).collect()
    ids = instance_ids(hours)
    tasks = _tasks_with_workers(tasks, workers, ids).collect().lazy()
    pool = _pool(hours, tasks, workers, ids).collect()
    costs = _task_costs(tasks, pool.lazy(), instances, instance_types, gpu_weights).collect()
    orphans = tasks.join(pool.lazy().select(KEY), on=KEY, how="anti").select(task_columns)
    return PricedTasks(costs, pool.drop(KEY), orphans.collect())


def _task_costs(
    tasks: pl.LazyFrame,
    pool: pl.LazyFrame,
    instances: pl.LazyFrame,
    instance_types: pl.LazyFrame,
    gpu_weights: pl.LazyFrame,
) -> pl.LazyFrame:
    """``TASK_COST_COLUMNS`` of the ``_tasks_with_workers`` tasks over the keyed ``_pool``."""
    pool = _capacity(pool, instances, instance_types).collect().lazy()
    # Tasks outside the pool (orphans) fall out at the joins with its instance-hours below.
    priced_tasks = tasks.with_columns(
        pl.col("is_daemon").fill_null(False),
        pl.col("gpus_per_task").fill_null(0.0).alias("gpu_reserved"),
        pl.lit(None, dtype=pl.Float64).alias("gpu_used"),
    ).select(
        KEY,
        "hour",
        "instance_id",
        "task_id",
        "worker",
        "is_daemon",
        *[f"{r}_{s}" for r in GPU_RESOURCES for s in ("reserved", "used")],
        "split_cost",
        "unused_cost",
    )
    active = priced_tasks.group_by(KEY).agg(
        (~pl.col("is_daemon")).any().alias("active"),
        (pl.col("split_cost") + pl.col("unused_cost")).sum().alias("cur_total"),
        # One task without its split costs, or with none although it reserved or used
        # capacity (SPEC 3.1.4: null or zero), sends the whole instance-hour to the recompute.
        (
            pl.col("split_cost").is_null()
            | pl.col("unused_cost").is_null()
            | (
                (pl.col("split_cost") + pl.col("unused_cost") == 0)
                & (pl.max_horizontal("vcpu_reserved", "vcpu_used", "gb_reserved", "gb_used") > 0)
            )
        )
        .any()
        .alias("cur_incomplete"),
        # SCAD's totals, here once for every path: a path's tasks are all its hours' tasks.
        *allocation_totals(GPU_RESOURCES),
    )
    pool = (
        pool.join(active, on=KEY, how="left")
        .with_columns(
            pl.col("active").fill_null(False),
            # An instance of unknown capacity is taken as exactly full: no idle part.
            pl.coalesce("vcpu_capacity", "vcpu_alloc_total").alias("vcpu_capacity"),
            pl.coalesce("gb_capacity", "gb_alloc_total").alias("gb_capacity"),
            pl.when(pl.col("gpu_capacity") > 0)
            .then(pl.lit("gpu_resplit"))
            .when(~pl.col("cur_incomplete").fill_null(True) & (pl.col("cur_total") > 0))
            .then(pl.lit("cur_split"))
            .otherwise(pl.lit("scad_recompute"))
            .alias("split_path"),
            # FOCUS dollars over CUR split dollars: a reconciliation signal, 1 when they agree.
            pl.when(~pl.col("cur_incomplete").fill_null(True) & (pl.col("cur_total") > 0))
            .then(pl.col("instance_cost") / pl.col("cur_total"))
            .alias("scale_factor"),
        )
        .collect()
        .lazy()
    )
    active_pool = pool.filter(pl.col("active"))
    hour_columns = [
        KEY,
        "region",
        "fleet",
        "instance_type",
        "split_path",
        "instance_cost",
        "cur_total",
        "scale_factor",
    ]

    def on_path(hours: pl.LazyFrame, extra: Sequence[str] = ()) -> pl.LazyFrame:
        """The priced tasks of ``hours`` (active instance-hours of one path), with the
        hours' columns and ``extra``."""
        # Joined per path, not joined whole and then filtered: no row is copied twice.
        return priced_tasks.join(hours.select(*hour_columns, *extra), on=KEY, how="inner")

    def path(name: str) -> pl.LazyFrame:
        return active_pool.filter(pl.col("split_path") == name)

    # CPU instances with CUR split costs: SCAD's shares, scaled to FOCUS's dollars.
    # Each task's share of CUR's total first, then of C: the scale factor itself may be huge
    # where CUR's dollars are tiny.
    scaled = on_path(path("cur_split")).with_columns(
        (pl.col("instance_cost") * (pl.col("split_cost") / pl.col("cur_total"))).alias(
            "in_use_cost"
        ),
        (pl.col("instance_cost") * (pl.col("unused_cost") / pl.col("cur_total"))).alias(
            "idle_cost"
        ),
    )

    # CPU instances without split costs: SCAD recomputed from reservation and usage.
    cpu_hours = path("scad_recompute").with_columns(
        pl.lit(CPU_WEIGHTS["vcpu"]).alias("vcpu_weight"),
        pl.lit(CPU_WEIGHTS["gb"]).alias("gb_weight"),
    )
    recomputed = _scad(on_path, cpu_hours, CPU_RESOURCES)

    # GPU instances: SCAD over GPU, vCPU and memory with the configured weights.
    gpu_hours = (
        path("gpu_resplit")
        .join(
            gpu_weights.select("instance_type", "gpu_weight", "vcpu_weight", "gb_weight"),
            on="instance_type",
            how="left",
        )
        .with_columns(
            # A GPU type missing from the instance-type catalog takes AWS's fixed weighting.
            [pl.col(f"{r}_weight").fill_null(w) for r, w in AWS_FIXED_GPU_WEIGHTS.items()]
        )
    )
    resplit = _scad(on_path, gpu_hours, GPU_RESOURCES)

    task_rows = pl.concat([scaled, recomputed, resplit], how="diagonal_relaxed").with_columns(
        pl.lit(0.0).alias("dark_cost")
    )
    dark_rows = pool.filter(~pl.col("active")).with_columns(
        pl.lit("dark").alias("split_path"),
        pl.lit(None, dtype=pl.String).alias("task_id"),
        pl.lit(None, dtype=pl.String).alias("worker"),
        pl.lit(False).alias("is_daemon"),
        pl.lit(None, dtype=pl.Float64).alias("scale_factor"),
        pl.lit(0.0).alias("in_use_cost"),
        pl.lit(0.0).alias("idle_cost"),
        pl.col("instance_cost").alias("dark_cost"),
    )
    return pl.concat(
        [task_rows.select(TASK_COST_COLUMNS), dark_rows.select(TASK_COST_COLUMNS)],
        how="vertical_relaxed",
    )


# One integer per instance-hour: hours since the epoch above, the instance's position in the
# day's ``instance_ids`` below, so that the joins of task_costs match on one column. An id
# outside the enumeration (a task on an instance without usage: an orphan) has no key.
KEY = "_instance_hour"


def keyed(frame: pl.LazyFrame, ids: pl.Enum) -> pl.LazyFrame:
    """``frame`` with its instance-hour as ``KEY`` (the instance ids themselves unchanged)."""
    hours = pl.col("hour").dt.epoch("s") // 3600
    code = pl.col("instance_id").cast(ids, strict=False).to_physical().cast(pl.Int64)
    return frame.with_columns((hours * (1 << 32) + code).alias(KEY))


def _scad(
    on_path: Callable[[pl.LazyFrame, Sequence[str]], pl.LazyFrame],
    hours: pl.LazyFrame,
    resources: Sequence[str],
) -> pl.LazyFrame:
    """SCAD over ``resources`` for the tasks of ``hours``, which hold their totals (one join
    of the tasks to their hours)."""
    rates = instance_rates(hours, resources, "instance_cost")
    tasks = on_path(rates, instance_hour_columns(resources))
    split = task_shares(
        tasks.drop("split_cost", "unused_cost").with_columns(allocations(resources)), resources
    )
    return split.with_columns(
        pl.col("split_cost").alias("in_use_cost"),
        pl.col("unused_cost").alias("idle_cost"),
    )


SCALE_FACTOR_TOLERANCE = 0.01


def scale_factors(task_costs: pl.DataFrame) -> pl.DataFrame:
    """One row per instance-hour with CUR split dollars: its FOCUS ÷ CUR scale factor and
    whether it is off by more than ``SCALE_FACTOR_TOLERANCE``."""
    return (
        task_costs.filter(pl.col("scale_factor").is_not_null())
        .group_by(INSTANCE_HOUR)
        .agg(pl.col("region", "instance_type", "split_path", "scale_factor").first())
        .with_columns(
            ((pl.col("scale_factor") - 1).abs() > SCALE_FACTOR_TOLERANCE).alias("flagged")
        )
        .sort(INSTANCE_HOUR)
    )
