"""Engineering's worker trajectories: cost per class beside traffic, and who is drifting."""

from datetime import timedelta

import dagster as dg
import polars as pl

from cost_assets.assets.common import (
    REFERENCE,
    dollars,
    log_stage,
    partition_day,
    stage_metadata,
)
from cost_assets.assets.marts import worker_costs_daily
from cost_assets.assets.raw import reference_data
from cost_assets.checks import conservation_result
from cost_assets.methodology import trajectories as rules
from cost_assets.partitions import daily_partitions
from cost_assets.resources import CostAssetsStorage

# Lineage shows the default 7-day window; a longer ``trajectory_window_days`` reads further
# back all the same (the base day is read if stored).
DEFAULT_WINDOW = dg.TimeWindowPartitionMapping(
    start_offset=-7, end_offset=0, allow_nonexistent_upstream_partitions=True
)


@dg.asset(
    partitions_def=daily_partitions,
    group_name="explain",
    kinds={"polars", "parquet"},
    deps=[dg.AssetDep(worker_costs_daily, partition_mapping=DEFAULT_WINDOW), reference_data],
)
def worker_trajectories(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Per day, fleet and worker (regions added): compute dollars per capacity class, the units
    of the worker's unit, the cost per unit, the worker's share of its fleet's dollars, and the
    growth of cost, traffic and cost per unit since the day ``trajectory_window_days`` before
    (settings.yaml). ``flagged`` marks a cost per unit that grew more than
    ``cost_growth_threshold``: cost growing faster than traffic."""
    day = partition_day(context)
    tables = storage.tables()
    settings = tables.read(REFERENCE, "settings").row(0, named=True)
    window = int(settings.get("trajectory_window_days") or 7)
    threshold = float(settings.get("cost_growth_threshold") or 0.10)
    base_day = (day - timedelta(days=window)).isoformat()

    costs, found = tables.read_many("worker_costs_daily", [base_day, context.partition_key])
    if costs is None or context.partition_key not in found:
        raise dg.Failure(f"worker_costs_daily of {day} is not stored: materialize it first")
    frame = rules.worker_trajectories(costs.lazy(), day, window, threshold).collect()
    path = tables.write("worker_trajectories", context.partition_key, frame)
    usd_in = dollars(costs.filter(pl.col("day") == day))
    log_stage(context, costs.height, frame.height, usd_in, dollars(frame))
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, dollars(frame)),
            "base_day": base_day,
            "base_found": base_day in found,
            "window_days": window,
            "threshold": threshold,
            "flagged_workers": [r["worker"] for r in rules.flagged_workers(frame)],
        }
    )


@dg.asset_check(
    asset=worker_trajectories,
    name="conserves_worker_costs_daily",
    blocking=True,
    partitions_def=daily_partitions,
    additional_deps=["worker_costs_daily"],
    description="The day's trajectories hold every dollar of worker_costs_daily.",
)
def trajectories_conserve(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    day = context.op_execution_context.partition_key
    tables = storage.tables()
    usd_in = dollars(tables.read("worker_costs_daily", day))
    usd_out = dollars(tables.read("worker_trajectories", day))
    return conservation_result(usd_in, usd_out)


@dg.asset_check(
    asset=worker_trajectories,
    name="cost_grows_with_traffic",
    partitions_def=daily_partitions,
    description="Warns when a worker's cost grew faster than its traffic over the trailing "
    "window by more than cost_growth_threshold (settings.yaml); the workers are listed.",
)
def cost_grows_with_traffic(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    day = context.op_execution_context.partition_key
    frame = storage.tables().read("worker_trajectories", day)
    flagged = rules.flagged_workers(frame)
    judged = int(frame["unit_cost_growth"].is_not_null().sum()) if frame.height else 0
    return dg.AssetCheckResult(
        passed=not flagged,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "flagged_workers": dg.MetadataValue.json(flagged),
            "flagged": len(flagged),
            "workers_judged": judged,
            "base_day": str(frame["base_day"][0]) if frame.height else "",
        },
        description=(
            None
            if not flagged
            else "cost grows faster than traffic: " + ", ".join(f["worker"] for f in flagged)
        ),
    )


TRAJECTORY_CHECKS = [trajectories_conserve, cost_grows_with_traffic]
