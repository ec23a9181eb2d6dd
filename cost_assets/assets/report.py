"""The explain report: charts and tables of the stored days, as PNGs and one static page.

Not partitioned: each materialization redraws ``<warehouse>/report/`` from every stored day
of the last ``days`` daily partitions (by default about three months). ``cost-assets run``
materializes it once after the days and months; in Dagster it is the ``report`` job.
"""

from datetime import date

import dagster as dg
import polars as pl

from cost_assets.assets.allocation import unit_costs_hourly
from cost_assets.assets.annotations import annotations, read_annotations
from cost_assets.assets.common import load_reference
from cost_assets.assets.raw import reference_data, usage_hourly
from cost_assets.assets.trajectories import worker_trajectories
from cost_assets.assets.variance import unit_cost_variance_daily, unit_cost_variance_monthly
from cost_assets.methodology import variance as rules
from cost_assets.methodology.trajectories import CLASS_COLUMNS, flagged_workers
from cost_assets.partitions import daily_partitions
from cost_assets.report import charts
from cost_assets.report.html import Chart, Table, render_report
from cost_assets.resources import CostAssetsStorage
from cost_assets.warehouse import Warehouse

REPORT_FOLDER = "report"
REPORT_PAGE = "index.html"
MILLION = 1_000_000.0


class ReportConfig(dg.Config):
    days: int = 92
    """How many of the latest daily partitions the report looks at (stored ones are drawn)."""


def report_location(tables: Warehouse, name: str = REPORT_PAGE) -> str:
    """Where a file of the report lives: a local path or an ``s3://`` URL."""
    return f"{tables.root}/{REPORT_FOLDER}/{name}"


def _write(tables: Warehouse, name: str, data: bytes, content_type: str) -> str:
    location = report_location(tables, name)
    if tables.is_s3:
        # The Warehouse writes Parquet tables only; the report's files are plain objects.
        key = "/".join(p for p in (tables.prefix, REPORT_FOLDER, name) if p)
        tables._s3_client().put_object(
            Bucket=tables.bucket, Key=key, Body=data, ContentType=content_type
        )
        return location
    from pathlib import Path

    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return location


def _per_display_unit(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Per-token figures shown per million tokens, the unit people quote."""
    tokens = pl.col("unit") == "tokens"
    return frame.with_columns(
        *[pl.when(tokens).then(pl.col(c) * MILLION).otherwise(pl.col(c)).alias(c) for c in columns],
        pl.when(tokens).then(pl.lit("1M tokens")).otherwise(pl.col("unit")).alias("unit"),
    )


def _latest_with_rows(tables: Warehouse, table: str, keys: list[str]) -> pl.DataFrame | None:
    for key in reversed(keys):
        if tables.exists(table, key):
            frame = tables.read(table, key)
            if frame.height:
                return frame
    return None


@dg.asset(
    group_name="explain",
    kinds={"polars", "html"},
    deps=[
        worker_trajectories,
        unit_cost_variance_daily,
        unit_cost_variance_monthly,
        unit_costs_hourly,
        usage_hourly,
        reference_data,
        annotations,
    ],
)
def cost_report(
    context: dg.AssetExecutionContext, config: ReportConfig, storage: CostAssetsStorage
):
    """Pictures of where the money went, for people who look rather than read: capacity
    classes stacked over days per fleet, each worker's cost beside its traffic, cost per unit
    by model with the annotations, and the dollar waterfall of the latest month; with the
    variance and trajectory tables, in ``<warehouse>/report/index.html`` (readable offline)."""
    tables = storage.tables()
    reference = load_reference(tables)
    candidates = daily_partitions.get_partition_keys()[-config.days :]
    days = [d for d in candidates if tables.exists("worker_trajectories", d)]
    if not days:
        raise dg.Failure("no day has worker_trajectories: materialize days first")
    months = sorted({f"{d[:7]}-01" for d in days})

    # The tables behind the pictures.
    trajectories, _ = tables.read_many("worker_trajectories", days)
    facts, _ = tables.read_many("unit_costs_hourly", days)
    usage, _ = tables.read_many("usage_hourly", days)
    assert trajectories is not None and facts is not None and usage is not None
    notes = read_annotations(tables)
    model_notes = (
        rules.annotation_targets(notes.lazy(), reference["worker_configs"])
        .select("date", "model", "note")
        .unique()
        .collect()
    )
    fleet_days = trajectories.group_by("day", "fleet").agg(pl.col(CLASS_COLUMNS).sum())
    by_model = rules.model_days(facts.lazy(), usage.lazy(), reference["product_calendar"])
    model_costs = by_model.collect()
    latest = trajectories.filter(pl.col("day") == pl.col("day").max())
    flagged = flagged_workers(latest)
    monthly = _latest_with_rows(tables, "unit_cost_variance_monthly", months)
    daily = _latest_with_rows(tables, "unit_cost_variance_daily", days)

    # The pictures.
    month_title = (
        "Dollar change by cause: no month to compare yet"
        if monthly is None
        else f"Dollar change {monthly['base_start'][0]:%Y-%m} to "
        f"{monthly['period_start'][0]:%Y-%m}, by cause"
    )
    pictures = {
        "capacity_by_fleet.png": charts.capacity_by_fleet(fleet_days),
        "worker_trajectories.png": charts.worker_trajectories(
            trajectories, {f["worker"] for f in flagged}
        ),
        "unit_cost_by_model.png": charts.unit_cost_by_model(model_costs, model_notes),
        "variance_waterfall.png": charts.variance_waterfall(
            rules.waterfall(monthly) if monthly is not None else [], month_title
        ),
    }
    for name, png in pictures.items():
        _write(tables, name, png, "image/png")

    page = render_report(
        "Where the money went",
        _lead(days, months, facts, flagged),
        _charts(),
        _tables(monthly, daily, latest, notes),
    )
    location = _write(tables, REPORT_PAGE, page.encode("utf-8"), "text/html; charset=utf-8")
    context.log.info(
        f"cost_report: {len(days)} days ({days[0]} to {days[-1]}), {len(pictures)} charts, "
        f"{len(flagged)} flagged workers, page {location}"
    )
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(location),
            "days": len(days),
            "first_day": days[0],
            "last_day": days[-1],
            "flagged_workers": [f["worker"] for f in flagged],
            **{
                name.removesuffix(".png"): dg.MetadataValue.md(charts.markdown_image(png, name))
                for name, png in pictures.items()
            },
        }
    )


def _lead(days: list[str], months: list[str], facts: pl.DataFrame, flagged: list) -> list[str]:
    total = float(facts["cost_usd"].sum()) if facts.height else 0.0
    drifting = ", ".join(f["worker"] for f in flagged) or "none"
    return [
        f"{len(days)} stored days, {days[0]} to {days[-1]} (UTC), months "
        f"{', '.join(m[:7] for m in months)}; {total:,.2f} USD of amortized cost.",
        f"Workers whose cost grew faster than their traffic on {days[-1]}: {drifting}.",
        f"Made {date.today().isoformat()} from the warehouse; every figure is in its tables.",
    ]


def _charts() -> list[Chart]:
    return [
        Chart(
            "capacity_by_fleet.png",
            "Capacity classes per fleet",
            "Compute dollars per day: in use (work done), idle reserved (unused room on "
            "instances that run tasks: packing) and dark reserved (instances kept warm with "
            "no task: capacity ahead of demand).",
        ),
        Chart(
            "worker_trajectories.png",
            "Worker trajectories",
            "Each worker's daily dollars per capacity class beside its traffic in its own "
            "unit; a red title marks a worker whose cost grows faster than its traffic.",
        ),
        Chart(
            "unit_cost_by_model.png",
            "Cost per unit by model",
            "Σ cost ÷ Σ units per day (log scale where the rates span a wide range); dashed "
            "lines are the annotations.",
        ),
        Chart(
            "variance_waterfall.png",
            "Variance waterfall, latest month",
            "From last month's dollars to this month's: more traffic at the old in-use rate, "
            "in-use efficiency, then each overhead class. Months may be partial.",
        ),
    ]


def _tables(
    monthly: pl.DataFrame | None,
    daily: pl.DataFrame | None,
    latest: pl.DataFrame,
    notes: pl.DataFrame,
) -> list[Table]:
    per_unit = ["usd_per_unit_base", "usd_per_unit", "delta_usd_per_unit", *rules.PER_UNIT_PARTS]
    tables = []
    for frame, label in ((monthly, "month"), (daily, "day")):
        if frame is None:
            tables.append(Table(f"Variance per {label}", pl.DataFrame({"status": []}), "none"))
            continue
        base, current = frame["base_start"][0], frame["period_start"][0]
        ordered = frame.sort(pl.col("delta_cost_usd").abs(), descending=True)
        shown = _per_display_unit(ordered, per_unit)
        tables.append(
            Table(
                f"Cost per unit, {base} to {current}: what moved it",
                shown.select(*rules.KEYS, "unit", "status", *per_unit, "annotations"),
                "Per unit of the row's unit (USD per audio hour, per 1M tokens). volume is the "
                "base period's overhead spread over the new units; each class part is its own "
                "change; the parts sum to delta_usd_per_unit.",
            )
        )
        tables.append(
            Table(
                f"Dollars, {base} to {current}: what moved them",
                ordered.select(
                    *rules.KEYS, "cost_usd_base", "cost_usd", "delta_cost_usd", *rules.DOLLAR_PARTS
                ),
                "traffic is the change of units at the base in-use rate; the parts sum to "
                "delta_cost_usd.",
            )
        )
    tables.append(
        Table(
            f"Worker trajectories, {latest['day'][0] if latest.height else ''}",
            latest.select(
                "fleet",
                "worker",
                *CLASS_COLUMNS,
                "cost_usd",
                "unit",
                "units",
                "fleet_share",
                "base_day",
                "cost_growth",
                "units_growth",
                "unit_cost_growth",
                "flagged",
            ).sort("fleet", "worker"),
            "Growth compares the day with the base day; flagged: cost per unit grew more than "
            "the threshold in settings.yaml.",
        )
    )
    tables.append(Table("Annotations", notes, "From reference/annotations.csv."))
    return tables
