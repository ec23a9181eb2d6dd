"""Rollups of the fact table for its three readers (SPEC 3.8 and 4).

- Finance, ``finance_monthly_cogs``: per month, product line, model, region and ledger, the
  dollars of each cost class, the units served and the cost per unit;
- Engineering, ``worker_costs_daily``: per day, region, fleet and worker, the compute dollars
  of each capacity class, the task-hours run and the work done;
- Customer Success, ``unit_cost_rates``: per model, region and ledger, the cost per audio hour
  or per million tokens over a trailing window.

Units are audio hours for speech models and tokens for LLM models (the launch calendar's
unit; a model missing from it is priced in tokens when it has tokens, else audio hours). A
hybrid product line keeps one row per model, so its audio hours and tokens never meet. Every
rate is Σ cost ÷ Σ units over the rows' whole period, never a mean of hourly ratios, and is
null where there are no units. Rollups move no dollar: each table's Σ cost equals the Σ of
the facts it reads.
"""

from datetime import date

import polars as pl

from cost_assets.methodology.ledger import with_ledger

COST_CLASSES = ("in_use", "idle_reserved", "dark_reserved", "unused_commitment", "shared_service")
CAPACITY_CLASSES = ("in_use", "idle_reserved", "dark_reserved")
UNITS = ("audio_hours", "tokens")
MILLION = 1_000_000.0


def _class_columns(costs: pl.LazyFrame, keys: list[str], classes: tuple[str, ...]) -> pl.LazyFrame:
    """Σ cost per ``keys``, one ``<class>_usd`` column per cost class and their total."""
    return costs.group_by(keys).agg(
        *[
            pl.col("cost_usd").filter(pl.col("cost_class") == c).sum().alias(f"{c}_usd")
            for c in classes
        ],
        pl.col("cost_usd").sum(),
    )


def model_units(usage: pl.LazyFrame, product_calendar: pl.LazyFrame) -> pl.LazyFrame:
    """Usage per hour, region, product, model and ledger in the model's unit."""
    calendar_units = product_calendar.select("product", "model", pl.col("unit").alias("_unit"))
    return (
        with_ledger(usage, product_calendar)
        .join(calendar_units, on=["product", "model"], how="left")
        .with_columns(
            pl.coalesce(
                "_unit",
                pl.when(pl.col("tokens") > 0)
                .then(pl.lit("tokens"))
                .otherwise(pl.lit("audio_hours")),
            ).alias("unit")
        )
        .with_columns(
            pl.when(pl.col("unit") == "tokens")
            .then(pl.col("tokens"))
            .otherwise(pl.col("audio_hours"))
            .cast(pl.Float64)
            .alias("units")
        )
        .select("hour", "region", "product", "model", "ledger", "unit", "units")
    )


def _with_units(
    costs: pl.LazyFrame, units: pl.LazyFrame, keys: list[str], classes: tuple[str, ...]
) -> pl.LazyFrame:
    """Cost per class beside units per ``keys``; either side may be missing (zero dollars or
    no units), and the rate is null without units."""
    volume = units.group_by(keys).agg(pl.col("unit").first(), pl.col("units").sum())
    cost_columns = [f"{c}_usd" for c in classes] + ["cost_usd"]
    return (
        costs.join(volume, on=keys, how="full", coalesce=True)
        .with_columns(pl.col(cost_columns).fill_null(0.0))
        .with_columns(
            pl.when(pl.col("units") > 0)
            .then(pl.col("cost_usd") / pl.col("units"))
            .otherwise(None)
            .alias("usd_per_unit")
        )
    )


def monthly_cogs(
    facts: pl.LazyFrame, usage: pl.LazyFrame, product_calendar: pl.LazyFrame, month: date
) -> pl.LazyFrame:
    """One month per product line, model, region and ledger: dollars per cost class, units
    (audio hours or tokens) and cost per unit."""
    keys = ["product", "model", "region", "ledger"]
    costs = _class_columns(facts, keys, COST_CLASSES)
    units = model_units(usage, product_calendar)
    return (
        _with_units(costs, units, keys, COST_CLASSES)
        .with_columns(pl.lit(month).alias("month"))
        .select(
            "month",
            *keys,
            *[f"{c}_usd" for c in COST_CLASSES],
            "cost_usd",
            "unit",
            "units",
            "usd_per_unit",
        )
        .sort("month", *keys)
    )


def worker_costs_daily(
    worker_costs: pl.LazyFrame,
    task_costs: pl.LazyFrame,
    usage: pl.LazyFrame,
    workers: pl.LazyFrame,
    day: date,
) -> pl.LazyFrame:
    """One day per region, fleet and worker: compute dollars per capacity class, task-hours,
    the work done (audio hours, requests, tokens) and the cost per unit of the worker's unit."""
    keys = ["region", "fleet", "worker"]
    costs = _class_columns(worker_costs, keys, CAPACITY_CLASSES)
    task_hours = (
        task_costs.filter(pl.col("task_id").is_not_null())
        .group_by(keys)
        .agg(pl.len().cast(pl.Float64).alias("task_hours"))
    )
    # Usage carries no fleet: a worker's work is counted in its catalogued fleet.
    work = (
        usage.group_by("region", "worker")
        .agg(pl.col("audio_hours").sum(), pl.col("requests").sum(), pl.col("tokens").sum())
        .join(workers.select("worker", "fleet"), on="worker", how="left")
    )
    cost_columns = [f"{c}_usd" for c in CAPACITY_CLASSES] + ["cost_usd"]
    unit = pl.col("unit")
    units = (
        pl.when(unit == "tokens")
        .then(pl.col("tokens"))
        .when(unit == "requests")
        .then(pl.col("requests"))
        .when(unit == "audio_hours")
        .then(pl.col("audio_hours"))
    )
    return (
        costs.join(task_hours, on=keys, how="full", coalesce=True)
        .join(work, on=keys, how="full", coalesce=True)
        .join(workers.select("worker", "unit"), on="worker", how="left")
        .with_columns(
            pl.col(cost_columns + ["task_hours", "audio_hours", "requests", "tokens"]).fill_null(
                0.0
            )
        )
        .with_columns(units.alias("units"))
        .with_columns(
            pl.when(pl.col("units") > 0)
            .then(pl.col("cost_usd") / pl.col("units"))
            .otherwise(None)
            .alias("usd_per_unit"),
            pl.lit(day).alias("day"),
        )
        .select(
            "day",
            *keys,
            *cost_columns,
            "task_hours",
            "audio_hours",
            "requests",
            "tokens",
            "unit",
            "units",
            "usd_per_unit",
        )
        .sort(keys)
    )


def unit_cost_rates(
    facts: pl.LazyFrame,
    usage: pl.LazyFrame,
    product_calendar: pl.LazyFrame,
    as_of: date,
    window_start: date,
) -> pl.LazyFrame:
    """Per model, region and ledger over the window: Σ cost ÷ Σ units, as USD per audio hour
    (speech models) or per million tokens (LLM models)."""
    keys = ["model", "region", "ledger"]
    costs = _class_columns(facts, keys, COST_CLASSES)
    units = model_units(usage, product_calendar)
    rates = _with_units(costs, units, keys, COST_CLASSES)
    return rates.select(
        pl.lit(as_of).alias("as_of"),
        pl.lit(window_start).alias("window_start"),
        *keys,
        *[f"{c}_usd" for c in COST_CLASSES],
        "cost_usd",
        "unit",
        "units",
        pl.when(pl.col("unit") == "audio_hours")
        .then(pl.col("usd_per_unit"))
        .alias("usd_per_audio_hour"),
        pl.when(pl.col("unit") == "tokens")
        .then(pl.col("usd_per_unit") * MILLION)
        .alias("usd_per_million_tokens"),
    ).sort(keys)
