"""The consumer tables: Finance's monthly COGS, Engineering's worker costs, Customer Success's
unit-cost rates. Each is stored as Parquet like every stage and is also a SQL view in the
warehouse's DuckDB file (``<warehouse>/cost_assets.duckdb``)."""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from cost_assets.assets.allocation import unit_costs_hourly
from cost_assets.assets.common import (
    by_column,
    dollars,
    load_reference,
    partition_day,
    stage_metadata,
    trailing_days,
)
from cost_assets.assets.compute import task_costs, worker_costs
from cost_assets.assets.raw import reference_data, usage_hourly
from cost_assets.methodology import rollups
from cost_assets.partitions import daily_partitions, monthly_partitions
from cost_assets.resources import CostAssetsStorage
from cost_assets.sql_catalog import write_catalog
from cost_assets.warehouse import Warehouse

RATE_WINDOW_DAYS = 30
RATE_WINDOW = dg.TimeWindowPartitionMapping(
    start_offset=-(RATE_WINDOW_DAYS - 1), end_offset=0, allow_nonexistent_upstream_partitions=True
)
# A month reads the days it holds; days before the first partition simply do not exist.
MONTH_OF_DAYS = dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True)


def days_of_month(month_key: str) -> list[str]:
    """The UTC day partition keys of the month that starts on ``month_key``."""
    first = date.fromisoformat(month_key)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return [(first + timedelta(days=n)).isoformat() for n in range((following - first).days)]


# usage_hourly's schema, for windows in which no day of usage is stored.
NO_USAGE = pl.DataFrame(
    schema={
        "hour": pl.Datetime("us", "UTC"),
        "region": pl.String,
        "product": pl.String,
        "worker": pl.String,
        "model": pl.String,
        "language": pl.String,
        "audio_hours": pl.Float64,
        "requests": pl.Float64,
        "tokens": pl.Float64,
        "kind": pl.String,
    }
)


def read_days(tables: Warehouse, table: str, days: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """The stored partitions of ``table`` among ``days`` (usage: an empty table when none is)."""
    frame, found = tables.read_many(table, days)
    if frame is None:
        return (NO_USAGE if table == "usage_hourly" else pl.DataFrame()), found
    return frame, found


def _catalog_metadata(tables: Warehouse) -> dict:
    path = write_catalog(tables.root)
    return {"duckdb_catalog": dg.MetadataValue.path(path)} if path else {}


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="marts",
    kinds={"polars", "parquet", "duckdb"},
    deps=[
        dg.AssetDep(unit_costs_hourly, partition_mapping=MONTH_OF_DAYS),
        dg.AssetDep(usage_hourly, partition_mapping=MONTH_OF_DAYS),
        reference_data,
    ],
)
def finance_monthly_cogs(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Finance's COGS per month, product line, model, region and ledger (cogs or r_and_d):
    dollars per cost class, units served (audio hours or tokens, per model, never added) and
    cost per unit. Σ cost of a month equals Σ of its stored days of unit_costs_hourly."""
    month = context.partition_key
    tables = storage.tables()
    reference = load_reference(tables)
    days = days_of_month(month)
    facts, found = read_days(tables, "unit_costs_hourly", days)
    usage, _ = read_days(tables, "usage_hourly", days)
    if not found:
        raise dg.Failure(f"no day of {month[:7]} has unit_costs_hourly: materialize days first")

    frame = rollups.monthly_cogs(
        facts.lazy(), usage.lazy(), reference["product_calendar"], date.fromisoformat(month)
    ).collect()
    path = tables.write("finance_monthly_cogs", month, frame)
    usd_in, usd_out = dollars(facts), dollars(frame)
    context.log.info(
        f"finance_monthly_cogs {month[:7]}: {len(found)} of {len(days)} days, rows in "
        f"{facts.height}, rows out {frame.height}, dollars in {usd_in:,.6f}, out {usd_out:,.6f}"
    )
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            **_catalog_metadata(tables),
            "days_found": len(found),
            "days_missing": [d for d in days if d not in found],
            "dollars_by_ledger": by_column(frame, "ledger"),
            "dollars_by_product": by_column(frame, "product"),
        }
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="marts",
    kinds={"polars", "parquet", "duckdb"},
    deps=[worker_costs, task_costs, usage_hourly, reference_data],
)
def worker_costs_daily(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Engineering's view per day, region, fleet and worker: compute dollars per capacity class
    (in use, idle reserved, dark reserved), task-hours, audio hours, requests, tokens and the
    cost per unit of the worker's catalogued unit."""
    day = context.partition_key
    tables = storage.tables()
    reference = load_reference(tables)
    costs = tables.read("worker_costs", day)
    frame = rollups.worker_costs_daily(
        costs.lazy(),
        tables.read("task_costs", day).lazy(),
        tables.read("usage_hourly", day).lazy(),
        reference["workers"],
        partition_day(context),
    ).collect()
    path = tables.write("worker_costs_daily", day, frame)
    usd_in, usd_out = dollars(costs), dollars(frame)
    context.log.info(
        f"worker_costs_daily {day}: rows in {costs.height}, rows out {frame.height}, "
        f"dollars in {usd_in:,.6f}, dollars out {usd_out:,.6f}"
    )
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            **_catalog_metadata(tables),
            "dollars_by_fleet": by_column(frame, "fleet"),
        }
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="marts",
    kinds={"polars", "parquet", "duckdb"},
    deps=[
        dg.AssetDep(unit_costs_hourly, partition_mapping=RATE_WINDOW),
        dg.AssetDep(usage_hourly, partition_mapping=RATE_WINDOW),
        reference_data,
    ],
)
def unit_cost_rates(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Customer Success's rates as of the partition day: per model, region and ledger, Σ cost ÷
    Σ units over the trailing 30 days (USD per audio hour for speech models, per million tokens
    for LLM models), with the dollars per cost class behind each rate."""
    as_of = partition_day(context)
    tables = storage.tables()
    reference = load_reference(tables)
    window = trailing_days(as_of, RATE_WINDOW_DAYS)
    facts, found = read_days(tables, "unit_costs_hourly", window)
    usage, _ = read_days(tables, "usage_hourly", window)
    if not found:
        raise dg.Failure(f"no day of the window ending {as_of} has unit_costs_hourly")

    frame = rollups.unit_cost_rates(
        facts.lazy(),
        usage.lazy(),
        reference["product_calendar"],
        as_of,
        date.fromisoformat(window[0]),
    ).collect()
    path = tables.write("unit_cost_rates", context.partition_key, frame)
    usd_in, usd_out = dollars(facts), dollars(frame)
    context.log.info(
        f"unit_cost_rates {as_of}: {len(found)} of {RATE_WINDOW_DAYS} days, rows out "
        f"{frame.height}, dollars in {usd_in:,.6f}, dollars out {usd_out:,.6f}"
    )
    return dg.MaterializeResult(
        metadata={
            **stage_metadata(frame, path, usd_in, usd_out),
            **_catalog_metadata(tables),
            "window_days_found": len(found),
            "window_start": window[0],
        }
    )
