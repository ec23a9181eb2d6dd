"""Compute stages: amortized cost per task (the join), capacity classes, and layer 1."""

import dagster as dg
import polars as pl

from cost_assets.assets.common import (
    by_column,
    dollars,
    load_reference,
    log_stage,
    partition_day,
    stage_metadata,
    trailing_days,
)
from cost_assets.assets.raw import focus_charges, reference_data, usage_hourly
from cost_assets.methodology import capacity, join, workers
from cost_assets.partitions import daily_partitions
from cost_assets.pipeline import task_cost_tables
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
    frame, pool, orphans, weights = task_cost_tables(charges, tasks, instances, reference)
    path = tables.write("task_costs", day, frame)

    costed = frame.with_columns(
        pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost").alias("cost_usd")
    )
    usd_in, usd_out = dollars(pool, "instance_cost"), dollars(costed)
    log_stage(context, pool.height, frame.height, usd_in, usd_out)
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            **_task_cost_metadata(costed),
            "orphan_task_hours": orphans.height,
            "orphan_cur_split_dollars": round(
                float(orphans.select(pl.col("split_cost") + pl.col("unused_cost")).sum().item())
                if orphans.height
                else 0.0,
                6,
            ),
            "orphan_parents": dg.MetadataValue.json(
                sorted(set(orphans["instance_id"].fill_null("(empty)")))[:20]
                if orphans.height
                else []
            ),
            "gpu_weighting": settings["gpu_weighting"],
            "gpu_weights_by_instance_type": dg.MetadataValue.json(weights.to_dicts()),
            "gpu_instance_hours_on_fallback_weights": _gpu_hours_without_weights(frame, weights),
        }
    )


def _task_cost_metadata(costed: pl.DataFrame) -> dict:
    """Dollars by class, join path and region; counts; the scale factor's distribution."""
    if not costed.height:
        return {"instance_hours": 0, "tasks": 0, "dark_instance_hours": 0}
    instance_hours = costed.select("hour", "instance_id").unique()
    scale = join.scale_factors(costed)
    factors = scale["scale_factor"]
    flagged = scale.filter("flagged")
    return {
        "dollars_by_class": {
            "in_use": round(float(costed["in_use_cost"].sum()), 6),
            "idle_reserved": round(float(costed["idle_cost"].sum()), 6),
            "dark_reserved": round(float(costed["dark_cost"].sum()), 6),
        },
        "dollars_by_split_path": by_column(costed, "split_path"),
        "dollars_by_region": by_column(costed, "region"),
        "dollars_by_fleet": by_column(costed, "fleet"),
        "instance_hours": instance_hours.height,
        "instance_hours_by_split_path": {
            str(k): int(v)
            for k, v in costed.group_by("split_path")
            .agg(pl.struct("hour", "instance_id").n_unique())
            .sort("split_path")
            .iter_rows()
        },
        "tasks": int(costed["task_id"].drop_nulls().n_unique()),
        "task_hours": int(costed["task_id"].is_not_null().sum()),
        "daemon_task_hours": int(costed["is_daemon"].sum()),
        "dark_instance_hours": int((costed["split_path"] == "dark").sum()),
        "scale_factor": {
            "instance_hours": factors.len(),
            "min": factors.min(),
            "median": factors.median(),
            "max": factors.max(),
            "beyond_1_percent": flagged.height,
        }
        if factors.len()
        else {"instance_hours": 0},
        "scale_factor_flagged": dg.MetadataValue.json(
            flagged.head(20)
            .select(
                pl.col("hour").dt.strftime("%Y-%m-%dT%H:%MZ"),
                "instance_id",
                "split_path",
                pl.col("scale_factor").round(6),
            )
            .to_dicts()
        ),
    }


def _gpu_hours_without_weights(frame: pl.DataFrame, weights: pl.DataFrame) -> int:
    """GPU instance-hours whose type is missing from the catalog (AWS's fixed weights used)."""
    gpu = frame.filter(pl.col("split_path") == "gpu_resplit")
    missing = gpu.join(weights.select("instance_type"), on="instance_type", how="anti")
    return missing.select("hour", "instance_id").unique().height


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
    trailing, found = tables.read_many("task_costs", window, capacity.TRAILING_TASK_COST_COLUMNS)

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
            **stage_metadata(frame, path, usd_in, usd_out),
            "dollars_by_class": by_column(frame, "cost_class"),
            "dollars_by_step": by_column(frame, "step"),
            "dollars_by_region": by_column(frame, "region"),
            "dollars_by_fleet": by_column(frame, "fleet"),
            "dollars_by_fleet_and_class": dg.MetadataValue.json(_by_fleet_and_class(frame)),
            "dark_dollars_by_step": by_column(dark, "step"),
            "unattributed_dollars": dollars(frame.filter(pl.col("worker") == "unattributed")),
            "instance_hours": today.select("hour", "instance_id").unique().height,
            "dark_instance_hours": int((today["split_path"] == "dark").sum())
            if today.height
            else 0,
            "tasks": int(today["task_id"].drop_nulls().n_unique()) if today.height else 0,
            "workers": int(frame["worker"].n_unique()) if frame.height else 0,
            "trailing_days_found": len(found),
        }
    )


def _by_fleet_and_class(frame: pl.DataFrame) -> list[dict]:
    return (
        frame.group_by("region", "fleet", "cost_class")
        .agg(pl.col("cost_usd").sum().round(6))
        .sort("region", "fleet", "cost_class")
        .to_dicts()
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
            **stage_metadata(frame, path, usd_in, usd_out),
            "dollars_by_class": by_column(frame, "cost_class"),
            "dollars_by_step": by_column(frame, "step"),
            "dollars_by_product": by_column(frame, "product"),
            "dollars_by_region": by_column(frame, "region"),
            "unattributed_dollars": dollars(frame.filter(pl.col("product") == "unattributed")),
            "workers_by_step": {
                str(k): int(v)
                for k, v in frame.group_by("step").agg(pl.col("worker").n_unique()).iter_rows()
            }
            if frame.height
            else {},
        }
    )
