"""Allocation stages: shared services (layer 2), languages (layer 3) and the fact table."""

from datetime import date, timedelta

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
from cost_assets.assets.compute import product_compute_costs, task_costs
from cost_assets.assets.raw import focus_charges, reference_data, usage_hourly
from cost_assets.methodology import charges as charge_rules
from cost_assets.methodology import ledger, shared
from cost_assets.partitions import daily_partitions, is_provisional, today
from cost_assets.pipeline import language_cost_table, pool_instance_hours, shared_cost_tables
from cost_assets.resources import CostAssetsStorage

LANGUAGE_WINDOW = dg.TimeWindowPartitionMapping(
    start_offset=-27, end_offset=0, allow_nonexistent_upstream_partitions=True
)


def by_two_columns(frame: pl.DataFrame, outer: str, inner: str) -> dict[str, dict[str, float]]:
    """Dollars per value of ``outer`` and, within it, per value of ``inner``, to the cent."""
    totals = frame.group_by(outer, inner).agg(pl.col("cost_usd").sum()).sort(outer, inner)
    nested: dict[str, dict[str, float]] = {}
    for first, second, usd in totals.iter_rows():
        nested.setdefault(str(first), {})[str(second)] = round(float(usd), 2)
    return nested


@dg.asset(
    partitions_def=daily_partitions,
    group_name="allocation",
    kinds={"polars", "parquet"},
    deps=[focus_charges, task_costs, usage_hourly, product_compute_costs, reference_data],
)
def product_shared_costs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Layer 2: every non-compute FOCUS dollar of the day (less excluded categories) per hour,
    region, product line and model, by tier (tag, requests, containers, fixed, fallback, LLM
    tokens) or as unused commitment, with the scope each row was placed at."""
    day = context.partition_key
    tables = storage.tables()
    reference = load_reference(tables)
    charges = tables.read("focus_charges", day)
    tasks = tables.read("task_costs", day)
    usage = tables.read("usage_hourly", day)
    compute = tables.read("product_compute_costs", day)

    pool_hours = pool_instance_hours(tasks)
    frame, excluded_rows = shared_cost_tables(charges, tasks, pool_hours, usage, compute, reference)
    path = tables.write("product_shared_costs", day, frame)

    usd_excluded = dollars(excluded_rows, "effective_cost")
    usd_in = (
        dollars(charges, "effective_cost")
        - dollars(
            tasks.select(
                pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost").alias("cost_usd")
            )
        )
        - usd_excluded
    )
    usd_out = dollars(frame)
    log_stage(context, charges.height, frame.height, usd_in, usd_out)
    top = (
        frame.group_by("service_code", "tier")
        .agg(pl.col("cost_usd").sum())
        .sort("cost_usd", "service_code", "tier", descending=[True, False, False])
        .head(10)
    )
    non_fleet = charges.filter(charge_rules.is_instance_usage()).join(
        pool_hours.rename({"instance_id": "resource_id"}),
        on=["hour", "resource_id"],
        how="anti",
    )
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            "dollars_by_tier": by_column(frame, "tier"),
            "dollars_by_scope": by_column(frame, "step"),
            "dollars_by_tier_and_scope": dg.MetadataValue.json(
                by_two_columns(frame, "tier", "step")
            ),
            "dollars_by_model_scope": by_column(frame, "model_step"),
            "non_fleet_instance_dollars": dollars(non_fleet, "effective_cost"),
            "unattributed_dollars": dollars(frame.filter(pl.col("product") == shared.UNATTRIBUTED)),
            "excluded_dollars_by_category": by_column(
                excluded_rows, "charge_category", "effective_cost"
            ),
            "excluded_dollars": usd_excluded,
            "top_shared_services": dg.MetadataValue.json(
                [{"service_code": s, "tier": t, "usd": round(c, 2)} for s, t, c in top.iter_rows()]
            ),
        }
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="allocation",
    kinds={"polars", "parquet"},
    deps=[
        product_compute_costs,
        product_shared_costs,
        dg.AssetDep(usage_hourly, partition_mapping=LANGUAGE_WINDOW),
        reference_data,
    ],
)
def language_costs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Layer 3: compute and shared cost per hour, region, product, model and language, with
    cost that reached a model without a language split by the trailing audio-hour mix."""
    day = partition_day(context)
    tables = storage.tables()
    reference = load_reference(tables)
    compute = tables.read("product_compute_costs", context.partition_key)
    shared_frame = tables.read("product_shared_costs", context.partition_key)
    window = trailing_days(day, int(reference["settings"]["language_window_days"]))
    # Days before the first partition or never materialized are simply absent from the window.
    trailing, found = tables.read_many("usage_hourly", window)
    if trailing is None:
        trailing = tables.read("usage_hourly", context.partition_key).clear()

    frame, costs = language_cost_table(compute, shared_frame, trailing, reference)
    path = tables.write("language_costs", context.partition_key, frame)
    usd_in, usd_out = dollars(costs), dollars(frame)
    log_stage(context, costs.height, frame.height, usd_in, usd_out)
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            "dollars_by_language_step": by_column(frame, "language_step"),
            "dollars_by_language": by_column(frame, "language"),
            "window_days_found": len(found),
            "window_days_missing": [d for d in window if d not in found],
        }
    )


def provisional_reasons(day: date, charges: pl.DataFrame, on: date) -> list[str]:
    """Why a day's numbers can still change; an empty list means they are final."""
    reasons = []
    if is_provisional(day, on):
        reasons.append("billing period open or closed less than 15 days ago")
    if charges.height and charges["invoice_id"].null_count():
        reasons.append("charges without an invoice id yet")
    return reasons


@dg.asset(
    partitions_def=daily_partitions,
    group_name="unit_economics",
    kinds={"polars", "parquet"},
    deps=[language_costs, reference_data],
    # Yesterday's numbers are expected by 09:00 UTC: the schedule runs at 06:00.
    freshness_policy=dg.FreshnessPolicy.cron(
        deadline_cron="0 9 * * *", lower_bound_delta=timedelta(hours=3)
    ),
)
def unit_costs_hourly(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """The fact table: amortized dollars per hour, region, product line, model, language, cost
    class and ledger. A day's total equals the FOCUS effective cost apportioned to the day,
    less the excluded charge categories. ``provisional`` is true while AWS can still restate
    the day (its billing period is open or closed less than 15 days ago, or some of its
    charges have no invoice yet)."""
    tables = storage.tables()
    reference = load_reference(tables)
    costs = tables.read("language_costs", context.partition_key)
    reasons = provisional_reasons(
        partition_day(context), tables.read("focus_charges", context.partition_key), today()
    )
    frame = (
        ledger.unit_costs(costs.lazy(), reference["product_calendar"])
        .with_columns(pl.lit(bool(reasons)).alias("provisional"))
        .collect()
    )
    path = tables.write("unit_costs_hourly", context.partition_key, frame)
    usd_in, usd_out = dollars(costs), dollars(frame)
    log_stage(context, costs.height, frame.height, usd_in, usd_out)
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            "dollars_by_class": by_column(frame, "cost_class"),
            "dollars_by_ledger": by_column(frame, "ledger"),
            "dollars_by_product": by_column(frame, "product"),
            "provisional": bool(reasons),
            "provisional_reasons": dg.MetadataValue.json(reasons),
            "unattributed_dollars": float(
                frame.filter(pl.col("product") == "unattributed")["cost_usd"].sum()
            ),
        }
    )
