"""Compute stages: amortized cost per task (the join), capacity classes, and layer 1."""

import dagster as dg
import polars as pl

from cost_assets.assets.common import (
    by_column,
    dollars,
    load_reference,
    log_stage,
    partition_day,
    table_metadata,
    trailing_days,
)
from cost_assets.assets.raw import focus_charges, reference_data, usage_hourly
from cost_assets.methodology import capacity, gpu, join, workers
from cost_assets.partitions import daily_partitions
from cost_assets.resources import CostAssetsStorage

# The windows drawn in the asset graph; the settings decide the days actually read.
USAGE_WINDOW = dg.TimeWindowPartitionMapping(
    start_offset=-6, end_offset=0, allow_nonexistent_upstream_partitions=True
)


@dg.asset(
    partitions_def=daily_partitions,
    group_name="compute",
    kinds={"polars", "parquet"},
    deps=[focus_charges, "cur_task_hours", "cur_instances", reference_data],
)
def task_costs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Amortized cost per ECS task and instance-hour, split into in use, idle and dark.

    The compute pool (FOCUS EC2 instance-hour usage of fleet instances) joined to CUR's task
    shares: CPU instances by SCAD split cost scaled to FOCUS dollars, GPU instances re-split
    over GPU, vCPU and memory, instance-hours with no worker task all dark.
    """
    day = context.partition_key
    tables = storage.tables()
    reference = load_reference(tables)
    settings = reference["settings"]
    charges = tables.read("focus_charges", day).lazy()
    tasks = tables.read("cur_task_hours", day).lazy()
    instances = tables.read("cur_instances", day).lazy()
    weights = gpu.gpu_weights(
        reference["instance_types"].collect(),
        settings["gpu_weighting"],
        settings["gpu_reference_family"],
    )

    frame = join.task_costs(
        charges,
        tasks,
        instances,
        reference["workers"],
        reference["instance_types"],
        weights.lazy(),
    ).collect()
    pool = join.compute_pool(charges, tasks, reference["workers"]).collect()
    orphans = join.orphan_tasks(tasks, pool.lazy()).collect()
    path = tables.write("task_costs", day, frame)

    usd_in = dollars(pool, "instance_cost")
    usd_out = (
        float(
            frame.select(pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost"))
            .to_series()
            .sum()
        )
        if frame.height
        else 0.0
    )
    log_stage(context, pool.height, frame.height, usd_in, usd_out)
    scale = (
        frame.filter(pl.col("scale_factor").is_not_null())
        .group_by("hour", "instance_id")
        .agg(pl.col("scale_factor").first())["scale_factor"]
    )
    per_class = {
        "in_use": float(frame["in_use_cost"].sum()),
        "idle_reserved": float(frame["idle_cost"].sum()),
        "dark": float(frame["dark_cost"].sum()),
    }
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, path),
            "dollars_in": usd_in,
            "dollars_out": usd_out,
            "dollars_by_class": {k: round(v, 2) for k, v in per_class.items()},
            "dollars_by_region": by_column(
                frame.with_columns(
                    pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost").alias("cost_usd")
                ),
                "region",
            ),
            "instance_hours": pool.height,
            "instance_hours_by_split_path": {
                str(k): int(v)
                for k, v in frame.group_by("split_path")
                .agg(pl.struct("hour", "instance_id").n_unique())
                .iter_rows()
            },
            "tasks": int(frame["task_id"].n_unique()) if frame.height else 0,
            "dark_instance_hours": int((frame["split_path"] == "dark").sum()),
            "orphan_task_hours": orphans.height,
            "scale_factor": {
                "min": scale.min(),
                "median": scale.median(),
                "max": scale.max(),
                "beyond_1_percent": int(((scale - 1).abs() > 0.01).sum()),
            }
            if scale.len()
            else {},
            "gpu_weights_by_instance_type": dg.MetadataValue.json(weights.to_dicts()),
        }
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="compute",
    kinds={"polars", "parquet"},
    deps=[dg.AssetDep(task_costs, partition_mapping=USAGE_WINDOW), reference_data],
)
def worker_costs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Compute cost per hour, region, fleet, worker and capacity class (in use, idle
    reserved, dark reserved), with the step that attributed each dark dollar."""
    day = partition_day(context)
    tables = storage.tables()
    reference = load_reference(tables)
    window = trailing_days(day, int(reference["settings"]["usage_window_days"]))
    today = tables.read("task_costs", context.partition_key)
    trailing, found = tables.read_many("task_costs", window)

    frame = capacity.worker_costs(today.lazy(), trailing.lazy(), reference["workers"]).collect()
    path = tables.write("worker_costs", context.partition_key, frame)
    usd_in = (
        float(
            today.select(pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost"))
            .to_series()
            .sum()
        )
        if today.height
        else 0.0
    )
    usd_out = dollars(frame)
    log_stage(context, today.height, frame.height, usd_in, usd_out)
    dark = frame.filter(pl.col("cost_class") == "dark_reserved")
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, path),
            "dollars_in": usd_in,
            "dollars_out": usd_out,
            "dollars_by_class": by_column(frame, "cost_class"),
            "dollars_by_fleet": by_column(frame, "fleet"),
            "dark_dollars_by_step": by_column(dark, "step"),
            "trailing_days_found": len(found),
        }
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="compute",
    kinds={"polars", "parquet"},
    deps=[worker_costs, dg.AssetDep(usage_hourly, partition_mapping=USAGE_WINDOW), reference_data],
)
def product_compute_costs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Layer 1: compute cost per hour, region, product, model and language (null where the
    work was language-agnostic), by worker and capacity class."""
    day = partition_day(context)
    tables = storage.tables()
    reference = load_reference(tables)
    window = trailing_days(day, int(reference["settings"]["usage_window_days"]))
    costs = tables.read("worker_costs", context.partition_key)
    usage = tables.read("usage_hourly", context.partition_key)
    trailing, _ = tables.read_many("usage_hourly", window)

    frame = workers.product_costs(
        costs.lazy(),
        usage.lazy(),
        trailing.lazy(),
        reference["workers"],
        reference["worker_configs"],
    ).collect()
    path = tables.write("product_compute_costs", context.partition_key, frame)
    usd_in, usd_out = dollars(costs), dollars(frame)
    log_stage(context, costs.height, frame.height, usd_in, usd_out)
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, path),
            "dollars_in": usd_in,
            "dollars_out": usd_out,
            "dollars_by_step": by_column(frame, "step"),
            "dollars_by_product": by_column(frame, "product"),
            "dollars_by_region": by_column(frame, "region"),
        }
    )
