"""Unit-cost variance per product line × model × region, daily and monthly.

The daily table compares a day with the same weekday a week before (so weekends meet
weekends); the monthly table compares a month with the month before. Both split the change of
cost per unit, and of dollars, into parts that sum to it exactly (see
``cost_assets.methodology.variance`` for the formulas).
"""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from cost_assets.assets.allocation import unit_costs_hourly
from cost_assets.assets.annotations import annotations, read_annotations
from cost_assets.assets.common import (
    load_reference,
    partition_day,
    table_metadata,
)
from cost_assets.assets.marts import days_of_month, finance_monthly_cogs
from cost_assets.assets.raw import reference_data, usage_hourly
from cost_assets.methodology import variance as rules
from cost_assets.partitions import daily_partitions, monthly_partitions
from cost_assets.report.charts import markdown_image, variance_waterfall
from cost_assets.resources import CostAssetsStorage
from cost_assets.warehouse import Warehouse

DAILY_BASE_LAG_DAYS = 7
WEEK_BEFORE = dg.TimeWindowPartitionMapping(
    start_offset=-DAILY_BASE_LAG_DAYS, end_offset=0, allow_nonexistent_upstream_partitions=True
)
MONTH_BEFORE = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True
)
CENT = 0.005


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _empty_variance() -> pl.DataFrame:
    empty = rules.period_from_rollup(
        pl.LazyFrame(
            schema={
                **{k: pl.String for k in rules.KEYS},
                **{c: pl.Float64 for c in rules.CLASS_COLUMNS},
                "unit": pl.String,
                "units": pl.Float64,
            }
        )
    )
    variance = rules.decompose(empty, empty, date.min, date.min)
    return variance.with_columns(pl.lit("").alias("annotations")).collect()


def _metadata(frame: pl.DataFrame, path: str, base: str, base_found: bool) -> dict:
    residuals = rules.largest_residuals(frame)
    statuses = (
        {s: int(n) for s, n in frame.group_by("status").len().iter_rows()} if frame.height else {}
    )
    top = (
        frame.sort(pl.col("delta_cost_usd").abs(), descending=True)
        .head(5)
        .select(*rules.KEYS, "delta_cost_usd", "delta_usd_per_unit", "annotations")
        .to_dicts()
        if frame.height
        else []
    )
    return {
        **table_metadata(frame, path),
        "base_period": base,
        "base_found": base_found,
        "rows_by_status": statuses,
        "delta_cost_usd": float(frame["delta_cost_usd"].sum()) if frame.height else 0.0,
        "largest_residual_usd": max(residuals.values()),
        "largest_movers": dg.MetadataValue.json(top),
    }


def _annotated(
    tables: Warehouse, variance: pl.LazyFrame, reference: dict, first: date, last: date
) -> pl.DataFrame:
    notes = read_annotations(tables).lazy()
    return rules.with_annotations(
        variance, notes, reference["worker_configs"], first, last
    ).collect()


@dg.asset(
    partitions_def=daily_partitions,
    group_name="explain",
    kinds={"polars", "parquet"},
    deps=[
        dg.AssetDep(unit_costs_hourly, partition_mapping=WEEK_BEFORE),
        dg.AssetDep(usage_hourly, partition_mapping=WEEK_BEFORE),
        reference_data,
        annotations,
    ],
)
def unit_cost_variance_daily(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Why cost per unit moved between the same weekday a week before and this day, per
    product line × model × region: the change of cost per unit split into volume, in-use
    efficiency, idle reserved, dark reserved, shared service and unused commitment, and the
    change of dollars split into traffic, in-use efficiency and the other classes. Empty
    (and ``base_found`` false) when the base day is not stored."""
    day = partition_day(context)
    base_day = day - timedelta(days=DAILY_BASE_LAG_DAYS)
    tables = storage.tables()
    reference = load_reference(tables)
    calendar = reference["product_calendar"]
    base_found = tables.exists("unit_costs_hourly", base_day.isoformat())

    if base_found:
        periods = [
            rules.period_costs(
                tables.read("unit_costs_hourly", d.isoformat()).lazy(),
                tables.read("usage_hourly", d.isoformat()).lazy(),
                calendar,
            )
            for d in (base_day, day)
        ]
        variance = rules.decompose(periods[0], periods[1], base_day, day)
        frame = _annotated(tables, variance, reference, base_day, day)
    else:
        frame = _empty_variance()
    path = tables.write("unit_cost_variance_daily", context.partition_key, frame)
    context.log.info(
        f"unit_cost_variance_daily {day} against {base_day}: rows out {frame.height}, "
        f"dollar change {frame['delta_cost_usd'].sum():+,.6f}"
        + ("" if base_found else " (base day not stored: empty)")
    )
    return dg.MaterializeResult(metadata=_metadata(frame, path, base_day.isoformat(), base_found))


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="explain",
    kinds={"polars", "parquet"},
    deps=[
        dg.AssetDep(finance_monthly_cogs, partition_mapping=MONTH_BEFORE),
        reference_data,
        annotations,
    ],
)
def unit_cost_variance_monthly(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Why cost per unit moved from the previous month to this one, per product line × model ×
    region (ledgers added), split like the daily variance, with the month's annotations; its
    metadata shows the dollar waterfall. Empty (``base_found`` false) without the previous
    month's finance_monthly_cogs. Months may be partial: compare per unit, or mind
    ``days_found`` of finance_monthly_cogs when reading dollars."""
    month = date.fromisoformat(context.partition_key)
    base_month = previous_month(month)
    tables = storage.tables()
    reference = load_reference(tables)
    base_found = tables.exists("finance_monthly_cogs", base_month.isoformat())

    if base_found:
        base, current = (
            rules.period_from_rollup(tables.read("finance_monthly_cogs", m.isoformat()).lazy())
            for m in (base_month, month)
        )
        variance = rules.decompose(base, current, base_month, month)
        last_day = date.fromisoformat(days_of_month(month.isoformat())[-1])
        frame = _annotated(tables, variance, reference, base_month, last_day)
    else:
        frame = _empty_variance()
    path = tables.write("unit_cost_variance_monthly", context.partition_key, frame)
    png = variance_waterfall(
        rules.waterfall(frame), f"Dollar change {base_month:%Y-%m} to {month:%Y-%m}, by cause"
    )
    context.log.info(
        f"unit_cost_variance_monthly {month:%Y-%m} against {base_month:%Y-%m}: rows out "
        f"{frame.height}, dollar change {frame['delta_cost_usd'].sum():+,.6f}"
    )
    return dg.MaterializeResult(
        metadata={
            **_metadata(frame, path, base_month.isoformat(), base_found),
            "waterfall": dg.MetadataValue.md(markdown_image(png, "variance waterfall")),
        }
    )


def _period_dollars(tables: Warehouse, table: str, key: str) -> tuple[float, float]:
    """The stored facts' dollars of the base and the current period of a variance row."""
    if table == "unit_cost_variance_daily":
        source = "unit_costs_hourly"
        base = (date.fromisoformat(key) - timedelta(days=DAILY_BASE_LAG_DAYS)).isoformat()
    else:
        source = "finance_monthly_cogs"
        base = previous_month(date.fromisoformat(key)).isoformat()
    if not tables.exists(source, base):
        return 0.0, 0.0  # no base: the variance table is empty
    return (
        float(tables.read(source, base)["cost_usd"].sum()),
        float(tables.read(source, key)["cost_usd"].sum()),
    )


def _residual_check(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage, table):
    key = context.op_execution_context.partition_key
    tables = storage.tables()
    frame = tables.read(table, key)
    residuals = rules.largest_residuals(frame)
    facts_gap = rules.facts_residual(frame, *_period_dollars(tables, table, key))
    # A per-unit residual is weighed in dollars: times the larger of the two periods' units.
    per_unit_usd = (
        frame.select(
            (
                (pl.sum_horizontal(rules.PER_UNIT_PARTS) - pl.col("delta_usd_per_unit")).abs()
                * pl.max_horizontal("units", "units_base")
            ).max()
        ).item()
        if frame.height
        else 0.0
    )
    passed = per_unit_usd < CENT and residuals["dollars"] < CENT and facts_gap < CENT
    return dg.AssetCheckResult(
        passed=bool(passed),
        metadata={
            "largest_gap_to_stored_facts_usd": facts_gap,
            "largest_per_unit_residual": residuals["per_unit"],
            "largest_per_unit_residual_usd": float(per_unit_usd or 0.0),
            "largest_dollar_residual_usd": residuals["dollars"],
            "rows": frame.height,
        },
        description=None if passed else "the parts do not sum to the total change to the cent",
    )


@dg.asset_check(
    asset=unit_cost_variance_daily,
    name="parts_sum_to_total",
    blocking=True,
    partitions_def=daily_partitions,
    description="On every row, the per-unit parts sum to the change of cost per unit and the "
    "dollar parts to the change of dollars, to the cent; both periods' totals equal the "
    "stored facts.",
)
def daily_parts_sum_to_total(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    return _residual_check(context, storage, "unit_cost_variance_daily")


@dg.asset_check(
    asset=unit_cost_variance_monthly,
    name="parts_sum_to_total",
    blocking=True,
    partitions_def=monthly_partitions,
    description="On every row, the per-unit parts sum to the change of cost per unit and the "
    "dollar parts to the change of dollars, to the cent; both periods' totals equal the "
    "stored facts.",
)
def monthly_parts_sum_to_total(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    return _residual_check(context, storage, "unit_cost_variance_monthly")


VARIANCE_CHECKS = [daily_parts_sum_to_total, monthly_parts_sum_to_total]
