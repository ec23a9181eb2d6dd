"""Ledger (SPEC 3.8): R&D before a model's GA date, COGS from it on."""

import polars as pl

UNIT_COST_COLUMNS = [
    "hour",
    "region",
    "product",
    "model",
    "language",
    "cost_class",
    "ledger",
    "cost_usd",
]


def with_ledger(costs: pl.LazyFrame, product_calendar: pl.LazyFrame) -> pl.LazyFrame:
    """`r_and_d` for hours before the (product, model)'s GA date, `cogs` otherwise.

    A model missing from the calendar is COGS (and listed by a warning check).
    """
    ga = product_calendar.group_by("product", "model").agg(pl.col("ga_date").min())
    return (
        costs.join(ga, on=["product", "model"], how="left")
        .with_columns(
            pl.when(
                pl.col("ga_date").is_not_null() & (pl.col("hour").dt.date() < pl.col("ga_date"))
            )
            .then(pl.lit("r_and_d"))
            .otherwise(pl.lit("cogs"))
            .alias("ledger")
        )
        .drop("ga_date")
    )


def unit_costs(costs: pl.LazyFrame, product_calendar: pl.LazyFrame) -> pl.LazyFrame:
    """The fact table: hour × region × product × model × language × cost class × ledger."""
    return (
        with_ledger(costs, product_calendar)
        .group_by(UNIT_COST_COLUMNS[:-1])
        .agg(pl.col("cost_usd").sum())
        .sort(UNIT_COST_COLUMNS[:-1])
        .select(UNIT_COST_COLUMNS)
    )


def models_missing_from_calendar(
    costs: pl.LazyFrame, product_calendar: pl.LazyFrame
) -> pl.LazyFrame:
    """(product, model) pairs with cost but no launch-calendar entry, ``unattributed`` aside."""
    return (
        costs.filter(pl.col("model") != "unattributed")
        .select("product", "model")
        .unique()
        .join(product_calendar.select("product", "model"), on=["product", "model"], how="anti")
        .sort("product", "model")
    )
