"""Layer 1 (SPEC 3.5): each worker's cost to the products, models and languages it served.

A worker's cost per hour, region and capacity class goes to the (product, model, language) it
served ∝ its unit of work in that hour (audio hours; requests for workers without audio; tokens
for LLM workers); with no usage that hour, ∝ its usage over the trailing window in the region;
with no history (cold start), evenly over its catalogued configurations; else
``unattributed``. Language stays null where the usage was language-agnostic; layer 3 resolves
it.
"""

import polars as pl

from cost_assets.methodology.allocate import WEIGHT, Level, allocate, even_drivers

UNATTRIBUTED = "unattributed"
UNDETERMINED_LANGUAGE = "und"
TARGETS = ["product", "model", "language"]

PRODUCT_COST_COLUMNS = [
    "hour",
    "region",
    "product",
    "model",
    "language",
    "worker",
    "cost_class",
    "step",
    "cost_usd",
]


def worker_driver(usage: pl.LazyFrame, workers: pl.LazyFrame) -> pl.LazyFrame:
    """Usage rows weighted by each worker's unit of work (audio hours, requests or tokens)."""
    unit = pl.col("unit").fill_null("audio_hours")
    return usage.join(workers.select("worker", "unit"), on="worker", how="left").with_columns(
        pl.when(unit == "tokens")
        .then(pl.col("tokens"))
        .when(unit == "requests")
        .then(pl.col("requests"))
        .otherwise(pl.col("audio_hours"))
        .cast(pl.Float64)
        .alias(WEIGHT)
    )


def product_costs(
    worker_costs: pl.LazyFrame,
    usage: pl.LazyFrame,
    trailing_usage: pl.LazyFrame,
    workers: pl.LazyFrame,
    worker_configs: pl.LazyFrame,
) -> pl.LazyFrame:
    """Compute cost per hour, region, product, model, language, worker and capacity class."""
    costs = worker_costs.group_by(["hour", "region", "worker", "cost_class"]).agg(
        pl.col("cost_usd").sum()
    )
    this_hour = worker_driver(usage, workers).select(
        ["hour", "region", "worker"] + TARGETS + [WEIGHT]
    )
    trailing = worker_driver(trailing_usage, workers).select(
        ["region", "worker"] + TARGETS + [WEIGHT]
    )
    levels = [
        Level("usage_hour", this_hour, on=("hour", "region", "worker")),
        Level("usage_trailing_window", trailing, on=("region", "worker")),
        Level(
            "worker_catalog",
            even_drivers(worker_configs.select(["worker"] + TARGETS)),
            on=("worker",),
        ),
    ]
    unplaced = {"product": UNATTRIBUTED, "model": UNATTRIBUTED, "language": UNDETERMINED_LANGUAGE}
    return allocate(costs, levels, TARGETS, unplaced).select(PRODUCT_COST_COLUMNS)
