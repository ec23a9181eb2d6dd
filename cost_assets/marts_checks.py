"""Checks of the consumer tables: each keeps the dollars of the facts it rolls up.

The monthly table must equal the sum of its days to the cent, in total and for every product
line, model, region and ledger; the daily marts must equal their inputs like every stage.
All are blocking and re-read what was stored.
"""

import dagster as dg
import polars as pl

from cost_assets.assets.common import partition_day, trailing_days
from cost_assets.assets.marts import RATE_WINDOW_DAYS, days_of_month, read_days
from cost_assets.checks import conservation_result
from cost_assets.partitions import daily_partitions, monthly_partitions
from cost_assets.resources import CostAssetsStorage

CENT = 0.005  # "to the cent": every difference rounds to zero cents
MONTH_KEYS = ["product", "model", "region", "ledger"]


def month_against_days(monthly: pl.DataFrame, days: pl.DataFrame) -> dict[str, float]:
    """Σ of the month and of its days, and the largest difference of any one group."""
    by_days = days.group_by(MONTH_KEYS).agg(pl.col("cost_usd").sum().alias("days_usd"))
    joined = monthly.select(*MONTH_KEYS, pl.col("cost_usd").alias("month_usd")).join(
        by_days, on=MONTH_KEYS, how="full", coalesce=True, nulls_equal=True
    )
    worst = joined.select(
        (pl.col("month_usd").fill_null(0.0) - pl.col("days_usd").fill_null(0.0)).abs().max()
    ).item()
    return {
        "days_usd": float(days["cost_usd"].sum()) if days.height else 0.0,
        "month_usd": float(monthly["cost_usd"].sum()) if monthly.height else 0.0,
        "largest_group_delta": float(worst or 0.0),
    }


@dg.asset_check(
    asset="finance_monthly_cogs",
    name="equals_sum_of_days",
    blocking=True,
    partitions_def=monthly_partitions,
    additional_deps=["unit_costs_hourly"],
    description="The month's dollars equal the sum of its stored days of unit_costs_hourly to "
    "the cent, in total and per product line, model, region and ledger.",
)
def monthly_equals_days(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    month = context.op_execution_context.partition_key
    tables = storage.tables()
    days, found = read_days(tables, "unit_costs_hourly", days_of_month(month))
    monthly = tables.read("finance_monthly_cogs", month)
    totals = month_against_days(monthly, days)
    delta = totals["month_usd"] - totals["days_usd"]
    passed = abs(delta) < CENT and totals["largest_group_delta"] < CENT
    return dg.AssetCheckResult(
        passed=bool(passed),
        metadata={**totals, "delta": delta, "days_found": len(found)},
        description=None if passed else f"the month differs from its days by {delta:+.6f} USD",
    )


@dg.asset_check(
    asset="worker_costs_daily",
    name="conserves_worker_costs",
    blocking=True,
    partitions_def=daily_partitions,
    additional_deps=["worker_costs"],
    description="The day's worker rollup holds every dollar of worker_costs.",
)
def worker_costs_daily_conserves(
    context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage
):
    day = context.op_execution_context.partition_key
    tables = storage.tables()
    usd_in = float(tables.read("worker_costs", day)["cost_usd"].sum())
    usd_out = float(tables.read("worker_costs_daily", day)["cost_usd"].sum())
    return conservation_result(usd_in, usd_out)


@dg.asset_check(
    asset="unit_cost_rates",
    name="conserves_window_costs",
    blocking=True,
    partitions_def=daily_partitions,
    additional_deps=["unit_costs_hourly"],
    description="The rates' dollars equal the stored unit_costs_hourly days of the window.",
)
def unit_cost_rates_conserve(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    tables = storage.tables()
    window = trailing_days(partition_day(context), RATE_WINDOW_DAYS)
    facts, found = read_days(tables, "unit_costs_hourly", window)
    rates = tables.read("unit_cost_rates", context.op_execution_context.partition_key)
    usd_in = float(facts["cost_usd"].sum()) if facts.height else 0.0
    return conservation_result(usd_in, float(rates["cost_usd"].sum()), window_days_found=len(found))


MART_CHECKS = [monthly_equals_days, worker_costs_daily_conserves, unit_cost_rates_conserve]
