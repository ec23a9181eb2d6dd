"""Layer 2 (SPEC 3.6): shared services to product lines, then to models.

The *shared pool* is every FOCUS dollar of the day outside the compute pool, less the excluded
charge categories (Tax by default, reported apart). Each row takes the first tier that matches:

1. tag: the row carries the product tag of a known product line: all of it goes there;
2. requests: request-driven services, ∝ requests × the product line's intensity weight;
3. containers: services that scale with containers, ∝ running task-hours per product line;
4. fixed: no causal metric, evenly over the active product lines that take even splits
   (``fixed_split``): a line is active in a scope when it has usage there (audio hours,
   requests or tokens), and every active line counts once, however many hours or regions;
5. fallback: everything else (and services not listed), ∝ audio hours per product line.

Unused Savings Plan commitment is its own class, ∝ compute cost per product line; LLM API
charges (Bedrock, listed or not) go to the LLM products ∝ tokens of the model named in the
row's resource (a foundation model or a cross-region inference profile).

Zero-weight guard: a row stays in its tier. When its driver is zero in the row's hour and
region, the scope widens to the day in that region, then to the day in all regions, then to
an even split; Σ out = Σ in at every step. Rows with no region (global charges: support, the
Savings Plan) are spread over regions by the same drivers (hour, then day, then an even split
kept in the region ``global``); a tagged global row goes to its product line's regions ∝ the
line's compute cost. Every row records the scope (``step``) it was placed at.

Within a product line, cost reaches models ∝ audio hours (tokens for LLM product lines; for a
hybrid line with both units, ∝ its models' compute cost, the one measure they share).
"""

import polars as pl

from cost_assets.methodology.allocate import WEIGHT, Level, allocate, even_drivers, summed
from cost_assets.methodology.charges import is_instance_usage

UNATTRIBUTED = "unattributed"
GLOBAL_REGION = "global"
TIERS = ("tag", "requests", "containers", "fixed", "fallback", "llm_tokens")
# Amazon Bedrock's x_ServiceCode: its charges take the llm_tokens tier unless listed otherwise.
BEDROCK = "AmazonBedrock"
INFERENCE_PROFILE_PREFIX = r"^(us|eu|apac|us-gov|ca|jp|au|global)\."

# What a shared charge is allocated by: the rest of the charge is detail no rule reads.
ALLOCATION_KEY = ["hour", "region", "tag_product", "service_code", "tier", "llm_model"]

SHARED_COST_COLUMNS = [
    "hour",
    "region",
    "product",
    "model",
    "language",
    "cost_class",
    "service_code",
    "tier",
    "step",
    "model_step",
    "cost_usd",
]


def split_pools(
    charges: pl.LazyFrame, pool_instance_hours: pl.LazyFrame, excluded_categories: list[str]
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(shared rows, excluded rows): the day's charges that are not compute-pool instance-hours."""
    in_pool = pool_instance_hours.select("hour", pl.col("instance_id").alias("resource_id"))
    # Only instance-usage rows can be in the pool: only they are matched.
    # The rule is evaluated once, for both branches.
    marked = charges.with_columns(is_instance_usage().alias("_instance_usage"))
    instance_usage = pl.col("_instance_usage")
    rest = pl.concat(
        [
            marked.filter(~instance_usage),
            marked.filter(instance_usage).join(in_pool, on=["hour", "resource_id"], how="anti"),
        ]
    ).drop("_instance_usage")
    excluded = pl.col("charge_category").is_in(excluded_categories)
    return rest.filter(~excluded), rest.filter(excluded)


def llm_model_of(resource_id: pl.Expr) -> pl.Expr:
    """The model an LLM API charge names: the foundation model of its ARN, or the model of a
    cross-region inference profile without its geography prefix (``us.``, ``eu.``, …)."""
    return resource_id.str.extract(r"(?:foundation-model|inference-profile)/(.+)$", 1).str.replace(
        INFERENCE_PROFILE_PREFIX, ""
    )


# What the tier rule and the allocation read of a shared charge (the resource for LLM models).
_TIER_INPUTS = [
    "hour",
    "region",
    "tag_product",
    "service_code",
    "commitment_status",
    "resource_id",
    "effective_cost",
]


def assign_tiers(
    shared: pl.LazyFrame, product_lines: pl.LazyFrame, shared_services: pl.LazyFrame
) -> pl.LazyFrame:
    """Each shared row's tier (or the unused-commitment class) and, for LLM tokens, its model."""
    known = product_lines.select(pl.col("product").alias("tag_product"), pl.lit(True).alias("_k"))
    tiered = (
        shared.select(_TIER_INPUTS)
        .join(known, on="tag_product", how="left")
        .join(shared_services.select("service_code", "tier"), on="service_code", how="left")
        .with_columns(
            pl.when(pl.col("commitment_status") == "Unused")
            .then(pl.lit("unused_commitment"))
            .when(pl.col("_k").fill_null(False))
            .then(pl.lit("tag"))
            .when(pl.col("tier").is_in(["requests", "containers", "fixed", "llm_tokens"]))
            .then(pl.col("tier"))
            .when(pl.col("tier").is_null() & pl.col("service_code").str.starts_with(BEDROCK))
            .then(pl.lit("llm_tokens"))
            .otherwise(pl.lit("fallback"))
            .alias("tier"),
        )
        .drop("_k")
        .collect()
        .lazy()
    )
    # The model is read by the LLM-token tier only: the other rows are never parsed for one.
    llm = pl.col("tier") == "llm_tokens"
    return pl.concat(
        [
            tiered.filter(llm).with_columns(llm_model_of(pl.col("resource_id")).alias("llm_model")),
            tiered.filter(~llm).with_columns(pl.lit(None, dtype=pl.String).alias("llm_model")),
        ]
    )


def product_drivers(
    usage: pl.LazyFrame,
    task_hours: pl.LazyFrame,
    product_costs: pl.LazyFrame,
    product_lines: pl.LazyFrame,
) -> pl.LazyFrame:
    """Per tier, hour, region and product line: the driver weight.

    requests: requests × intensity weight; containers: running task-hours; fixed: one per
    active ``fixed_split`` line; fallback: audio hours; unused commitment and the regions of
    tagged global rows: compute cost.
    """
    lines = product_lines.select("product", "intensity_weight", "fixed_split")
    by_product = (
        usage.group_by("hour", "region", "product")
        .agg(
            pl.col("requests").sum(),
            pl.col("audio_hours").sum(),
            (pl.col("requests").sum() + pl.col("audio_hours").sum() + pl.col("tokens").sum()).alias(
                "activity"
            ),
        )
        .join(lines, on="product", how="inner")
    )
    requests = by_product.select(
        pl.lit("requests").alias("tier"),
        "hour",
        "region",
        "product",
        (pl.col("requests") * pl.col("intensity_weight")).alias(WEIGHT),
    )
    fixed = by_product.filter(pl.col("fixed_split") & (pl.col("activity") > 0)).select(
        pl.lit("fixed").alias("tier"), "hour", "region", "product", pl.lit(1.0).alias(WEIGHT)
    )
    fallback = by_product.select(
        pl.lit("fallback").alias("tier"),
        "hour",
        "region",
        "product",
        pl.col("audio_hours").alias(WEIGHT),
    )
    containers = task_hours.select(
        pl.lit("containers").alias("tier"), "hour", "region", "product", pl.col(WEIGHT)
    )
    compute = (
        product_costs.filter(pl.col("product") != UNATTRIBUTED)
        .group_by("hour", "region", "product")
        .agg(pl.col("cost_usd").sum().alias(WEIGHT))
    )
    commitment = compute.select(
        pl.lit("unused_commitment").alias("tier"), "hour", "region", "product", WEIGHT
    )
    tag = compute.select(pl.lit("tag").alias("tier"), "hour", "region", "product", WEIGHT)
    return pl.concat(
        [requests, fixed, fallback, containers, commitment, tag], how="vertical_relaxed"
    )


def task_hours_by_product(
    task_costs: pl.LazyFrame,
    usage: pl.LazyFrame,
    workers: pl.LazyFrame,
    worker_configs: pl.LazyFrame,
) -> pl.LazyFrame:
    """Running task-hours per hour, region and product line.

    A worker's task-hours go to the product lines it served ∝ its unit of work (audio hours,
    requests or tokens, from the worker catalog) in that hour; with no usage that hour, ∝ its
    usage that day in the region; else evenly over the product lines it is configured for.
    """
    tasks = (
        task_costs.filter(~pl.col("is_daemon") & pl.col("task_id").is_not_null())
        .group_by("hour", "region", "worker")
        .agg(pl.len().cast(pl.Float64).alias("cost_usd"))
    )
    unit = pl.col("unit").fill_null("audio_hours")
    work = usage.join(workers.select("worker", "unit"), on="worker", how="left").select(
        "hour",
        "region",
        "worker",
        "product",
        pl.when(unit == "tokens")
        .then(pl.col("tokens"))
        .when(unit == "requests")
        .then(pl.col("requests"))
        .otherwise(pl.col("audio_hours"))
        .cast(pl.Float64)
        .alias(WEIGHT),
    )
    levels = [
        Level("usage_hour", work, on=("hour", "region", "worker")),
        Level("usage_day", work.drop("hour"), on=("region", "worker")),
        Level(
            "worker_catalog",
            even_drivers(worker_configs.select("worker", "product")),
            on=("worker",),
        ),
    ]
    return (
        allocate(tasks, levels, ["product"], {"product": UNATTRIBUTED})
        .select("hour", "region", "product", pl.col("cost_usd").alias(WEIGHT))
        .filter(pl.col("product") != UNATTRIBUTED)
    )


def _widen(drivers: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Drivers summed within ``keys``; an active fixed-split line counts once, not per hour."""
    return (
        drivers.group_by(keys)
        .agg(pl.col(WEIGHT).sum())
        .with_columns(
            pl.when((pl.col("tier") == "fixed") & (pl.col(WEIGHT) > 0))
            .then(pl.lit(1.0))
            .otherwise(pl.col(WEIGHT))
            .alias(WEIGHT)
        )
    )


def _per_line(drivers: pl.LazyFrame, scope: list[str]) -> pl.LazyFrame:
    """Fixed tier over regions: each active line weighs one in ``scope``, even over its regions."""
    positive = drivers.filter(pl.col(WEIGHT) > 0)
    regions = pl.len().over([*scope, "product"])
    return positive.with_columns(
        pl.when(pl.col("tier") == "fixed")
        .then(1.0 / regions)
        .otherwise(pl.col(WEIGHT))
        .alias(WEIGHT)
    )


def _scoped_levels(drivers: pl.LazyFrame, keys: list[str], even: pl.LazyFrame) -> list[Level]:
    """hour and region → day in region → day in all regions → even split."""
    return [
        Level("hour_region", drivers, on=(*keys, "hour", "region")),
        Level("day_region", _widen(drivers, [*keys, "region", "product"]), on=(*keys, "region")),
        Level("day_all_regions", _widen(drivers, [*keys, "product"]), on=tuple(keys)),
        Level("even", even, on=tuple(keys)),
    ]


def _global_levels(drivers: pl.LazyFrame, keys: list[str], even: pl.LazyFrame) -> list[Level]:
    """Charges with no region: over regions and product lines, by hour → day → even."""
    hour = _per_line(_widen(drivers, [*keys, "hour", "region", "product"]), [*keys, "hour"])
    day = _per_line(_widen(drivers, [*keys, "region", "product"]), keys)
    return [
        Level("hour_all_regions", hour, on=(*keys, "hour")),
        Level("day_all_regions", day, on=tuple(keys)),
        Level("even", even.with_columns(pl.lit(GLOBAL_REGION).alias("region")), on=tuple(keys)),
    ]


def allocate_to_products(
    tiered: pl.LazyFrame, drivers: pl.LazyFrame, product_lines: pl.LazyFrame
) -> pl.LazyFrame:
    """Tiers other than tag and LLM tokens: each row to product lines by its tier's driver."""
    lines = product_lines.select("product", "fixed_split")
    even = pl.concat(
        [
            even_drivers(lines.select("product")).with_columns(pl.lit(t).alias("tier"))
            for t in ("requests", "containers", "fallback", "unused_commitment")
        ]
        + [
            even_drivers(lines.filter(pl.col("fixed_split")).select("product")).with_columns(
                pl.lit("fixed").alias("tier")
            )
        ],
        how="diagonal_relaxed",
    )
    rows = tiered.filter(~pl.col("tier").is_in(["tag", "llm_tokens"]))
    unplaced = {"product": UNATTRIBUTED, "region": GLOBAL_REGION}
    regional = allocate(
        rows.filter(pl.col("region").is_not_null()),
        _scoped_levels(drivers, ["tier"], even),
        ["product"],
        unplaced,
    )
    global_ = allocate(
        rows.filter(pl.col("region").is_null()),
        _global_levels(drivers, ["tier"], even),
        ["product", "region"],
        unplaced,
    )
    return pl.concat([regional, global_], how="diagonal_relaxed")


def allocate_tagged(tiered: pl.LazyFrame, drivers: pl.LazyFrame) -> pl.LazyFrame:
    """Tagged rows to their product line; a tagged row with no region to the line's regions
    ∝ its compute cost (that hour, else that day), else to the region ``global``."""
    tagged = tiered.filter(pl.col("tier") == "tag").with_columns(
        pl.col("tag_product").alias("product")
    )
    regional = tagged.filter(pl.col("region").is_not_null()).with_columns(
        pl.lit("tag").alias("step")
    )
    compute = drivers.filter(pl.col("tier") == "tag").drop("tier")
    levels = [
        Level("tag_hour_all_regions", compute, on=("product", "hour")),
        Level("tag_day_all_regions", compute.drop("hour"), on=("product",)),
    ]
    global_ = allocate(
        tagged.filter(pl.col("region").is_null()), levels, ["region"], {"region": GLOBAL_REGION}
    ).with_columns(pl.col("step").replace("unattributed", "tag_global"))
    return pl.concat([regional, global_], how="diagonal_relaxed")


def allocate_llm_tokens(
    tiered: pl.LazyFrame, usage: pl.LazyFrame, product_calendar: pl.LazyFrame
) -> pl.LazyFrame:
    """LLM API charges to the LLM product lines ∝ tokens of the matching model.

    A model with no tokens that day is split evenly over the lines that list it in the launch
    calendar; a model nobody lists, evenly over every LLM line. A charge with no region goes
    to the regions where the model's tokens were used.
    """
    rows = tiered.filter(pl.col("tier") == "llm_tokens")
    tokens = usage.filter(pl.col("tokens") > 0).select(
        "hour",
        "region",
        "product",
        "model",
        pl.col("model").alias("llm_model"),
        pl.col("tokens").alias(WEIGHT),
    )
    day_region = tokens.drop("hour")
    llm_lines = product_calendar.filter(pl.col("unit") == "tokens").select("product", "model")
    even = [
        Level(
            "even",
            even_drivers(llm_lines.with_columns(pl.col("model").alias("llm_model"))),
            on=("llm_model",),
        ),
        Level("even_llm_products", even_drivers(llm_lines), on=()),
    ]
    unplaced = {"product": UNATTRIBUTED, "model": UNATTRIBUTED, "region": GLOBAL_REGION}
    regional = allocate(
        rows.filter(pl.col("region").is_not_null()),
        [
            Level("hour_region", tokens, on=("hour", "region", "llm_model")),
            Level("day_region", day_region, on=("region", "llm_model")),
            Level("day_all_regions", day_region.drop("region"), on=("llm_model",)),
            *even,
        ],
        ["product", "model"],
        unplaced,
    )
    global_ = allocate(
        rows.filter(pl.col("region").is_null()),
        [
            Level("hour_all_regions", tokens, on=("hour", "llm_model")),
            Level("day_all_regions", day_region, on=("llm_model",)),
            *[
                Level(
                    lv.name, lv.drivers.with_columns(pl.lit(GLOBAL_REGION).alias("region")), lv.on
                )
                for lv in even
            ],
        ],
        ["product", "model", "region"],
        unplaced,
    )
    return pl.concat([regional, global_], how="diagonal_relaxed")


def model_drivers(
    usage: pl.LazyFrame, product_costs: pl.LazyFrame, product_calendar: pl.LazyFrame
) -> pl.LazyFrame:
    """Per hour, region, product line and model: the weight that splits a line's shared cost."""
    units = product_calendar.group_by("product").agg(
        pl.col("unit").n_unique().alias("_units"), pl.col("unit").first().alias("_unit")
    )
    by_units = (
        usage.join(units, on="product", how="inner")
        .filter(pl.col("_units") == 1)
        .select(
            "hour",
            "region",
            "product",
            "model",
            pl.when(pl.col("_unit") == "tokens")
            .then(pl.col("tokens"))
            .otherwise(pl.col("audio_hours"))
            .cast(pl.Float64)
            .alias(WEIGHT),
        )
    )
    hybrid = product_costs.join(
        units.filter(pl.col("_units") > 1), on="product", how="inner"
    ).select("hour", "region", "product", "model", pl.col("cost_usd").alias(WEIGHT))
    return pl.concat([by_units, hybrid], how="vertical_relaxed")


def allocate_to_models(
    by_product: pl.LazyFrame, drivers: pl.LazyFrame, product_calendar: pl.LazyFrame
) -> pl.LazyFrame:
    """A product line's shared cost to its models, widening like the tiers do."""
    day_region = drivers.group_by("product", "region", "model").agg(pl.col(WEIGHT).sum())
    day_all = drivers.group_by("product", "model").agg(pl.col(WEIGHT).sum())
    levels = [
        Level("hour_region", drivers, on=("product", "hour", "region")),
        Level("day_region", day_region, on=("product", "region")),
        Level("day_all_regions", day_all, on=("product",)),
        Level("even", even_drivers(product_calendar.select("product", "model")), on=("product",)),
    ]
    return allocate(
        by_product, levels, ["model"], {"model": UNATTRIBUTED}, step_column="model_step"
    )


def shared_costs(
    charges: pl.LazyFrame,
    pool_instance_hours: pl.LazyFrame,
    excluded_categories: list[str],
    usage: pl.LazyFrame,
    task_costs: pl.LazyFrame,
    product_costs: pl.LazyFrame,
    reference: dict[str, pl.LazyFrame],
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(shared cost per product line and model, the excluded rows)."""
    shared, excluded = split_pools(charges, pool_instance_hours, excluded_categories)
    # The rows and drivers are computed once here: every level of every cascade reads them.
    # Every rule below reads only the allocation key: the charges of one key go as one sum.
    tiered = (
        summed(
            assign_tiers(shared, reference["product_lines"], reference["shared_services"]),
            [*ALLOCATION_KEY, "effective_cost"],
        )
        .rename({"effective_cost": "cost_usd"})
        .collect()
        .lazy()
    )
    usage = usage.collect().lazy()
    task_hours = task_hours_by_product(
        task_costs, usage, reference["workers"], reference["worker_configs"]
    )
    drivers = (
        product_drivers(usage, task_hours, product_costs, reference["product_lines"])
        .collect()
        .lazy()
    )

    by_product = pl.concat(
        [
            allocate_tagged(tiered, drivers),
            allocate_to_products(tiered, drivers, reference["product_lines"]),
        ],
        how="diagonal_relaxed",
    )
    by_product = by_product.collect().lazy()
    to_models = allocate_to_models(
        by_product.filter(pl.col("product") != UNATTRIBUTED),
        model_drivers(usage, product_costs, reference["product_calendar"]).collect().lazy(),
        reference["product_calendar"],
    )
    unplaced = by_product.filter(pl.col("product") == UNATTRIBUTED).with_columns(
        pl.lit(UNATTRIBUTED).alias("model"), pl.lit("unattributed").alias("model_step")
    )
    llm = allocate_llm_tokens(tiered, usage, reference["product_calendar"]).with_columns(
        pl.lit("token_driver").alias("model_step")
    )
    result = pl.concat([to_models, unplaced, llm], how="diagonal_relaxed").with_columns(
        pl.when(pl.col("tier") == "unused_commitment")
        .then(pl.lit("unused_commitment"))
        .otherwise(pl.lit("shared_service"))
        .alias("cost_class"),
        pl.lit(None, dtype=pl.String).alias("language"),
    )
    return summed(result, SHARED_COST_COLUMNS), excluded
