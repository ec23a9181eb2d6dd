"""Layer 3 (SPEC 3.7): cost that reached a model without a language, split over languages.

Languages are weighted by audio hours by language, region and model over a trailing window
(28 days by default, ending on the partition day): long enough to smooth weekdays and
holidays, short enough to follow a language launch. A language-agnostic model (a diarizer, a
pre-processor) has no language history of its own; its cost follows the language mix of its
product line's audio in the region, then anywhere. With no history at all: evenly over the
model's catalogued languages; else the language ``und``.
"""

import polars as pl

from cost_assets.methodology.allocate import WEIGHT, Level, allocate, even_drivers, summed

UNDETERMINED_LANGUAGE = "und"
LANGUAGE_COST_COLUMNS = [
    "hour",
    "region",
    "product",
    "model",
    "language",
    "cost_class",
    "language_step",
    "cost_usd",
]


def language_costs(
    costs: pl.LazyFrame,
    trailing_usage: pl.LazyFrame,
    worker_configs: pl.LazyFrame,
    product_calendar: pl.LazyFrame,
) -> pl.LazyFrame:
    """Every cost row with a language: rows without one are split by the trailing mix.

    Token-priced (LLM) models and unattributed cost have no spoken language: ``und``.
    """
    unspoken_models = product_calendar.filter(pl.col("unit") == "tokens").select("model")
    # Total over nulls: a row with no model is unattributed work, not a spoken one.
    unspoken = (
        pl.col("model").is_null()
        | (pl.col("model") == "unattributed")
        | pl.col("model").is_in(unspoken_models.collect().to_series().implode())
    ).fill_null(True)
    known = costs.filter(pl.col("language").is_not_null()).with_columns(
        pl.lit("usage").alias("language_step")
    )
    not_spoken = costs.filter(pl.col("language").is_null() & unspoken).with_columns(
        pl.lit(UNDETERMINED_LANGUAGE).alias("language"), pl.lit("not_spoken").alias("language_step")
    )
    unknown = summed(
        costs.filter(pl.col("language").is_null() & ~unspoken).select(
            LANGUAGE_COST_COLUMNS[:4] + ["cost_class", "cost_usd"]
        ),
        LANGUAGE_COST_COLUMNS[:4] + ["cost_class", "cost_usd"],
    )

    spoken = trailing_usage.filter(pl.col("language").is_not_null() & (pl.col("audio_hours") > 0))
    by_model = spoken.group_by("region", "model", "language").agg(
        pl.col("audio_hours").sum().alias(WEIGHT)
    )
    by_product_region = spoken.group_by("region", "product", "language").agg(
        pl.col("audio_hours").sum().alias(WEIGHT)
    )
    by_product = spoken.group_by("product", "language").agg(
        pl.col("audio_hours").sum().alias(WEIGHT)
    )
    catalogued = worker_configs.filter(pl.col("language").is_not_null()).select("model", "language")
    # The model's own history, then its catalogued languages (SPEC 3.7); a language-agnostic
    # model has neither, and follows its product line's mix.
    levels = [
        Level("window_model_region", by_model, on=("region", "model")),
        Level("model_catalog", even_drivers(catalogued), on=("model",)),
        Level("window_product_region", by_product_region, on=("region", "product")),
        Level("window_product", by_product, on=("product",)),
    ]
    split = allocate(
        unknown,
        levels,
        ["language"],
        {"language": UNDETERMINED_LANGUAGE},
        step_column="language_step",
    )
    return summed(
        pl.concat([known, not_spoken, split], how="diagonal_relaxed"), LANGUAGE_COST_COLUMNS
    )
