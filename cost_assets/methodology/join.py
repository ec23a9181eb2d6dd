"""Amortized cost per task: FOCUS dollars joined to CUR task shares (SPEC 3.1 to 3.3).

The *compute pool* is the EC2 instance-hour usage of instances in ECS fleets. Each
instance-hour's effective cost ``C`` goes to the tasks that ran on it:

- CPU instances: in use ∝ the CUR ``split_cost``, idle ∝ ``unused_cost``, scaled so the tasks
  sum to ``C`` (the scale factor, FOCUS ÷ CUR, is a reconciliation signal);
- CPU instances whose split costs are null or zero: SCAD recomputed from usage;
- GPU instances: SCAD over GPU, vCPU and memory with GPUs per task from the worker catalog;
- instance-hours without a non-daemon task: all of ``C`` is *dark*, attributed later by fleet.

One row per task and instance-hour (dark instance-hours: one row with no task). Per
instance-hour, in_use_cost + idle_cost + dark_cost sums to ``C``.
"""

import polars as pl

from cost_assets.methodology.charges import is_instance_usage
from cost_assets.methodology.scad import (
    AWS_FIXED_GPU_WEIGHTS,
    CPU_RESOURCES,
    CPU_WEIGHTS,
    GPU_RESOURCES,
)
from cost_assets.methodology.scad import split_instance_hours as scad_split

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
            pl.col("region").drop_nulls().first(),
            pl.col("effective_cost").sum().alias("instance_cost"),
            pl.col("tag_fleet").drop_nulls().first(),
            pl.col("sku_meter").drop_nulls().first().str.extract(r":(.+)$", 1).alias("meter_type"),
            pl.len().alias("focus_rows"),
        )
    )


def compute_pool(charges: pl.LazyFrame, tasks: pl.LazyFrame, workers: pl.LazyFrame) -> pl.LazyFrame:
    """Instance-hours in ECS fleets, with their fleet.

    An instance is in a fleet when its fleet tag names a catalogued fleet, or when it hosts an
    ECS task that hour (then it takes the fleet of its tasks' workers, or ``unknown``).
    """
    known_fleets = workers.select(pl.col("fleet").alias("tag_fleet")).unique()
    task_fleets = (
        tasks.join(workers.select("worker", "fleet", "is_daemon"), on="worker", how="left")
        .sort("is_daemon", nulls_last=True)
        .group_by(INSTANCE_HOUR)
        .agg(pl.col("fleet").drop_nulls().first().fill_null("unknown").alias("task_fleet"))
    )
    hours = instance_hours(charges)
    tagged = hours.join(
        known_fleets.with_columns(pl.lit(True).alias("known")), on="tag_fleet", how="left"
    )
    return (
        tagged.join(task_fleets, on=INSTANCE_HOUR, how="left")
        .with_columns(
            pl.when(pl.col("known"))
            .then(pl.col("tag_fleet"))
            .otherwise(pl.col("task_fleet"))
            .alias("fleet")
        )
        .filter(pl.col("fleet").is_not_null())
        .drop("known", "task_fleet", "tag_fleet")
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
        .with_columns(pl.coalesce("instance_type", "meter_type").alias("instance_type"))
        .join(catalog, on="instance_type", how="left")
        .select(
            pl.exclude(
                "vcpu", "memory_gib", "gpus", "cat_vcpu", "cat_gb", "cat_gpus", "meter_type"
            ),
            pl.coalesce("vcpu", "cat_vcpu").alias("vcpu_capacity"),
            pl.coalesce("memory_gib", "cat_gb").alias("gb_capacity"),
            pl.coalesce("gpus", "cat_gpus").fill_null(0.0).alias("gpu_capacity"),
        )
    )


def task_costs(
    charges: pl.LazyFrame,
    tasks: pl.LazyFrame,
    instances: pl.LazyFrame,
    workers: pl.LazyFrame,
    instance_types: pl.LazyFrame,
    gpu_weights: pl.LazyFrame,
) -> pl.LazyFrame:
    """Amortized cost per task and instance-hour, split into in use, idle and dark."""
    pool = _capacity(compute_pool(charges, tasks, workers), instances, instance_types)
    catalog = workers.select("worker", "is_daemon", "gpus_per_task")
    priced_tasks = (
        tasks.join(pool.select(INSTANCE_HOUR + ["gpu_capacity"]), on=INSTANCE_HOUR, how="inner")
        .join(catalog, on="worker", how="left")
        .with_columns(
            pl.col("is_daemon").fill_null(False),
            pl.col("gpus_per_task").fill_null(0.0).alias("gpu_reserved"),
            pl.lit(None, dtype=pl.Float64).alias("gpu_used"),
        )
    )
    active = priced_tasks.group_by(INSTANCE_HOUR).agg(
        (~pl.col("is_daemon")).any().alias("active"),
        (pl.col("split_cost").fill_null(0.0) + pl.col("unused_cost").fill_null(0.0))
        .sum()
        .alias("cur_total"),
        pl.max_horizontal("vcpu_reserved", "vcpu_used").sum().alias("vcpu_allocated"),
        pl.max_horizontal("gb_reserved", "gb_used").sum().alias("gb_allocated"),
    )
    pool = pool.join(active, on=INSTANCE_HOUR, how="left").with_columns(
        pl.col("active").fill_null(False),
        # An instance of unknown capacity is taken as exactly full: no idle part.
        pl.coalesce("vcpu_capacity", "vcpu_allocated").alias("vcpu_capacity"),
        pl.coalesce("gb_capacity", "gb_allocated").alias("gb_capacity"),
        pl.when(pl.col("gpu_capacity") > 0)
        .then(pl.lit("gpu_resplit"))
        .when(pl.col("cur_total").fill_null(0.0) != 0)
        .then(pl.lit("cur_split"))
        .otherwise(pl.lit("scad_recompute"))
        .alias("split_path"),
    )
    active_pool = pool.filter(pl.col("active"))
    on_active = priced_tasks.join(
        active_pool.select(INSTANCE_HOUR + ["split_path", "instance_cost", "cur_total"]),
        on=INSTANCE_HOUR,
        how="inner",
    )

    # CPU instances with CUR split costs: scale SCAD's dollars to FOCUS's.
    scaled = (
        on_active.filter(pl.col("split_path") == "cur_split")
        .with_columns((pl.col("instance_cost") / pl.col("cur_total")).alias("scale_factor"))
        .with_columns(
            (pl.col("split_cost").fill_null(0.0) * pl.col("scale_factor")).alias("in_use_cost"),
            (pl.col("unused_cost").fill_null(0.0) * pl.col("scale_factor")).alias("idle_cost"),
        )
    )

    # CPU instances without split costs: SCAD recomputed from reservation and usage.
    cpu_hours = active_pool.filter(pl.col("split_path") == "scad_recompute").with_columns(
        pl.lit(CPU_WEIGHTS["vcpu"]).alias("vcpu_weight"),
        pl.lit(CPU_WEIGHTS["gb"]).alias("gb_weight"),
    )
    recomputed = _scad(
        on_active.filter(pl.col("split_path") == "scad_recompute"), cpu_hours, CPU_RESOURCES
    )

    # GPU instances: SCAD over GPU, vCPU and memory with the configured weights.
    gpu_hours = (
        active_pool.filter(pl.col("split_path") == "gpu_resplit")
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
    resplit = _scad(
        on_active.filter(pl.col("split_path") == "gpu_resplit"), gpu_hours, GPU_RESOURCES
    )

    task_rows = (
        pl.concat([scaled, recomputed, resplit], how="diagonal_relaxed")
        .join(pool.select(INSTANCE_HOUR + ["fleet", "instance_type"]), on=INSTANCE_HOUR, how="left")
        .with_columns(pl.lit(0.0).alias("dark_cost"))
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


def _scad(tasks: pl.LazyFrame, hours: pl.LazyFrame, resources) -> pl.LazyFrame:
    split = scad_split(
        tasks.drop("split_cost", "unused_cost", "gpu_capacity"),
        hours.select(
            INSTANCE_HOUR
            + ["instance_cost"]
            + [f"{r}_capacity" for r in resources]
            + [f"{r}_weight" for r in resources]
        ),
        keys=INSTANCE_HOUR,
        resources=resources,
        cost_column="instance_cost",
    )
    return split.with_columns(
        pl.col("split_cost").alias("in_use_cost"),
        pl.col("unused_cost").alias("idle_cost"),
        pl.lit(None, dtype=pl.Float64).alias("scale_factor"),
    )


def orphan_tasks(tasks: pl.LazyFrame, pool: pl.LazyFrame) -> pl.LazyFrame:
    """Task-hours whose instance-hour has no FOCUS compute row: their share cannot be priced."""
    return tasks.join(pool.select(INSTANCE_HOUR), on=INSTANCE_HOUR, how="anti")
