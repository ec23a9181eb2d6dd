"""Unit-cost variance: why the cost per unit of a product line × model × region moved.

Grain: one row per compared pair of periods (a day against the same weekday a week before, or
a month against the month before) and per product line, model and AWS region, the ledgers
added together (a model crossing its GA date keeps one row).

Notation, per row: ``U`` units (audio hours or tokens) and ``C_c`` dollars of cost class ``c``
in the base period (subscript 0) and the current one (subscript 1); ``p_c = C_c / U`` the
per-unit cost of class ``c`` and ``p = Σ_c p_c`` the cost per unit. The *in-use* class is the
work itself and moves with traffic; the *overhead* classes ``k`` (idle reserved, dark
reserved, shared service, unused commitment) are capacity and services that do not.

Per unit, with units in both periods (status ``continuing``)::

    Δp = p1 − p0 = volume + in_use + Σ_k overhead_k            (exact)
    volume    = Σ_k C_k0 · (1/U1 − 1/U0)   base overhead spread over the new units
    in_use    = p_in_use,1 − p_in_use,0     in-use efficiency: in-use cost per unit
    overhead_k = (C_k1 − C_k0) / U1         the class's own change, at the new volume

Each class term ``C_k1/U1 − C_k0/U0`` is split as ``(C_k0/U1 − C_k0/U0) + (C_k1 − C_k0)/U1``,
so the parts sum to ``Δp`` by construction, with no residual. A period without units has no
cost per unit (``usd_per_unit`` is null there) and counts as 0 in ``Δp``; then ``volume`` is 0
and each class takes its whole per-unit change ``p_c1 − p_c0`` (status ``appeared`` when only
the current period has units, ``disappeared`` when only the base has, ``no_units`` when
neither has; a ``no_units`` row has ``Δp = 0`` and its dollars are in the dollar parts).

In dollars, the same story for the waterfall (``ΔC = C1 − C0``, exact)::

    ΔC = traffic + in_use_efficiency + Σ_k ΔC_k
    traffic            = p_in_use,0 · (U1 − U0)     more (or less) work at the old in-use rate
    in_use_efficiency  = ΔC_in_use − traffic       (= U1 · Δp_in_use when both have units)
    ΔC_k               = C_k1 − C_k0
"""

from datetime import date

import polars as pl

from cost_assets.methodology.rollups import COST_CLASSES, model_units

KEYS = ["product", "model", "region"]
IN_USE = "in_use"
OVERHEAD = tuple(c for c in COST_CLASSES if c != IN_USE)
PER_UNIT_PARTS = ["volume_per_unit"] + [f"{c}_per_unit" for c in COST_CLASSES]
DOLLAR_PARTS = ["traffic_usd", "in_use_efficiency_usd"] + [f"{k}_delta_usd" for k in OVERHEAD]
CLASS_COLUMNS = [f"{c}_usd" for c in COST_CLASSES]
STATUSES = ("continuing", "appeared", "disappeared", "no_units")


def period_costs(facts: pl.LazyFrame, usage: pl.LazyFrame, calendar: pl.LazyFrame) -> pl.LazyFrame:
    """One period per product line, model and region: dollars per cost class, units and unit.

    ``facts`` are rows of unit_costs_hourly, ``usage`` rows of usage_hourly, of the period.
    """
    costs = facts.group_by(KEYS).agg(
        *[
            pl.col("cost_usd").filter(pl.col("cost_class") == c).sum().alias(f"{c}_usd")
            for c in COST_CLASSES
        ]
    )
    units = (
        model_units(usage, calendar)
        .group_by(KEYS)
        .agg(pl.col("unit").drop_nulls().first(), pl.col("units").sum())
    )
    return _complete(costs.join(units, on=KEYS, how="full", coalesce=True))


def period_from_rollup(rollup: pl.LazyFrame) -> pl.LazyFrame:
    """A period from a finance_monthly_cogs month: its ledgers added together."""
    return _complete(
        rollup.group_by(KEYS).agg(
            *[pl.col(c).sum() for c in CLASS_COLUMNS],
            pl.col("unit").drop_nulls().first(),
            pl.col("units").sum(),
        )
    )


def _complete(period: pl.LazyFrame) -> pl.LazyFrame:
    return period.with_columns(
        pl.col(CLASS_COLUMNS).fill_null(0.0), pl.col("units").fill_null(0.0).cast(pl.Float64)
    ).select(*KEYS, "unit", "units", *CLASS_COLUMNS)


def _per_unit(cost: pl.Expr, units: pl.Expr) -> pl.Expr:
    """Cost per unit, 0 where there are no units (such a period has no rate)."""
    return pl.when(units > 0).then(cost / units).otherwise(0.0)


def decompose(
    base: pl.LazyFrame, current: pl.LazyFrame, base_start: date, period_start: date
) -> pl.LazyFrame:
    """The variance of every product line × model × region present in either period, its
    per-unit change and its dollar change each split into parts that sum to it exactly
    (formulas in the module docstring)."""
    u0, u1 = pl.col("units_base"), pl.col("units")
    both = (u0 > 0) & (u1 > 0)

    def c0(c: str) -> pl.Expr:
        return pl.col(f"{c}_usd_base")

    def c1(c: str) -> pl.Expr:
        return pl.col(f"{c}_usd")

    def class_part(c: str) -> pl.Expr:
        whole = _per_unit(c1(c), u1) - _per_unit(c0(c), u0)
        own = whole if c == IN_USE else (c1(c) - c0(c)) / u1
        return pl.when(both).then(own).otherwise(whole).alias(f"{c}_per_unit")

    volume = pl.when(both).then(
        pl.sum_horizontal([c0(k) * (1.0 / u1 - 1.0 / u0) for k in OVERHEAD])
    )
    traffic = _per_unit(c0(IN_USE), u0) * (u1 - u0)
    base_rate = pl.sum_horizontal([c0(c) for c in COST_CLASSES]) / u0
    rate = pl.sum_horizontal([c1(c) for c in COST_CLASSES]) / u1

    joined = current.join(base, on=KEYS, how="full", coalesce=True, suffix="_base")
    return (
        joined.with_columns(
            pl.coalesce("unit", "unit_base").alias("unit"),
            pl.col(["units", "units_base"]).fill_null(0.0),
            pl.col(CLASS_COLUMNS + [f"{c}_base" for c in CLASS_COLUMNS]).fill_null(0.0),
        )
        .with_columns(
            pl.lit(period_start).alias("period_start"),
            pl.lit(base_start).alias("base_start"),
            pl.when(both)
            .then(pl.lit("continuing"))
            .when(u1 > 0)
            .then(pl.lit("appeared"))
            .when(u0 > 0)
            .then(pl.lit("disappeared"))
            .otherwise(pl.lit("no_units"))
            .alias("status"),
            pl.sum_horizontal([c0(c) for c in COST_CLASSES]).alias("cost_usd_base"),
            pl.sum_horizontal([c1(c) for c in COST_CLASSES]).alias("cost_usd"),
            pl.when(u0 > 0).then(base_rate).alias("usd_per_unit_base"),
            pl.when(u1 > 0).then(rate).alias("usd_per_unit"),
            volume.otherwise(0.0).alias("volume_per_unit"),
            *[class_part(c) for c in COST_CLASSES],
            traffic.alias("traffic_usd"),
            (c1(IN_USE) - c0(IN_USE) - traffic).alias("in_use_efficiency_usd"),
            *[(c1(k) - c0(k)).alias(f"{k}_delta_usd") for k in OVERHEAD],
        )
        .with_columns(
            (
                pl.col("usd_per_unit").fill_null(0.0) - pl.col("usd_per_unit_base").fill_null(0.0)
            ).alias("delta_usd_per_unit"),
            (pl.col("cost_usd") - pl.col("cost_usd_base")).alias("delta_cost_usd"),
        )
        .select(
            "period_start",
            "base_start",
            *KEYS,
            "unit",
            "status",
            "units_base",
            "units",
            "cost_usd_base",
            "cost_usd",
            "usd_per_unit_base",
            "usd_per_unit",
            "delta_usd_per_unit",
            *PER_UNIT_PARTS,
            "delta_cost_usd",
            *DOLLAR_PARTS,
        )
        .sort(KEYS)
    )


def largest_residuals(variance: pl.DataFrame) -> dict[str, float]:
    """The largest gap, over rows, between each total change and the sum of its parts."""
    if not variance.height:
        return {"per_unit": 0.0, "dollars": 0.0}
    gaps = variance.select(
        (pl.sum_horizontal(PER_UNIT_PARTS) - pl.col("delta_usd_per_unit")).abs().max(),
        (pl.sum_horizontal(DOLLAR_PARTS) - pl.col("delta_cost_usd")).abs().max(),
    ).row(0)
    return {"per_unit": float(gaps[0]), "dollars": float(gaps[1])}


def annotation_targets(annotations: pl.LazyFrame, worker_configs: pl.LazyFrame) -> pl.LazyFrame:
    """Each annotation with the (product, model) it concerns; null product or model means any.

    A note on a model concerns that model in every product line; a note on a worker (and no
    model) concerns every (product, model) the worker is configured to serve; a note with
    neither concerns everything.
    """
    pairs = worker_configs.select("worker", "product", "model").unique()
    on_model = annotations.filter(pl.col("model").is_not_null()).select(
        "date", pl.lit(None, dtype=pl.String).alias("product"), "model", "note"
    )
    on_worker = (
        annotations.filter(pl.col("model").is_null() & pl.col("worker").is_not_null())
        .select("date", "worker", "note")
        .join(pairs, on="worker", how="inner")
        .select("date", "product", "model", "note")
    )
    on_all = annotations.filter(pl.col("model").is_null() & pl.col("worker").is_null()).select(
        "date",
        pl.lit(None, dtype=pl.String).alias("product"),
        pl.lit(None, dtype=pl.String).alias("model"),
        "note",
    )
    return pl.concat([on_model, on_worker, on_all])


def with_annotations(
    variance: pl.LazyFrame,
    annotations: pl.LazyFrame,
    worker_configs: pl.LazyFrame,
    first: date,
    last: date,
) -> pl.LazyFrame:
    """``variance`` with an ``annotations`` column: the notes dated from ``first`` to ``last``
    (inclusive) that concern the row's product line and model, "YYYY-MM-DD note; …"."""
    targets = annotation_targets(
        annotations.filter(pl.col("date").is_between(first, last)), worker_configs
    ).rename({"product": "_product", "model": "_model"})
    notes = (
        variance.select("product", "model")
        .unique()
        .join(targets, how="cross")
        .filter(
            (pl.col("_product").is_null() | (pl.col("_product") == pl.col("product")))
            & (pl.col("_model").is_null() | (pl.col("_model") == pl.col("model")))
        )
        .unique(["product", "model", "date", "note"])
        .sort("date", "note")
        .group_by("product", "model")
        .agg(
            pl.concat_str(pl.col("date").dt.strftime("%Y-%m-%d"), pl.col("note"), separator=" ")
            .str.join("; ")
            .alias("annotations")
        )
    )
    return variance.join(
        notes, on=["product", "model"], how="left", maintain_order="left"
    ).with_columns(pl.col("annotations").fill_null(""))


def waterfall(variance: pl.DataFrame) -> list[tuple[str, float]]:
    """The dollar steps from the base period's cost to the current one's, over all rows:
    (label, dollars), starting with the base total and ending with the current total."""
    if not variance.height:
        return []
    totals = variance.select(pl.col(["cost_usd_base", *DOLLAR_PARTS, "cost_usd"]).sum()).row(
        0, named=True
    )
    labels = {
        "traffic_usd": "traffic",
        "in_use_efficiency_usd": "in-use efficiency",
        **{f"{k}_delta_usd": k.replace("_", " ") for k in OVERHEAD},
    }
    steps = [("base period", float(totals["cost_usd_base"]))]
    steps += [(labels[p], float(totals[p])) for p in DOLLAR_PARTS]
    steps.append(("current period", float(totals["cost_usd"])))
    return steps


def model_days(facts: pl.LazyFrame, usage: pl.LazyFrame, calendar: pl.LazyFrame) -> pl.LazyFrame:
    """Per UTC day and model: dollars, units (in the model's unit) and cost per unit, product
    lines and regions added (a model has one unit across product lines)."""
    day = pl.col("hour").dt.date().alias("day")
    costs = facts.group_by(day, "model").agg(pl.col("cost_usd").sum())
    units = (
        model_units(usage, calendar)
        .group_by(day, "model")
        .agg(pl.col("unit").drop_nulls().first(), pl.col("units").sum())
    )
    return (
        costs.join(units, on=["day", "model"], how="full", coalesce=True)
        .with_columns(pl.col("cost_usd").fill_null(0.0), pl.col("units").fill_null(0.0))
        .with_columns(
            pl.when(pl.col("units") > 0)
            .then(pl.col("cost_usd") / pl.col("units"))
            .alias("usd_per_unit")
        )
        .sort("day", "model")
    )


def facts_residual(variance: pl.DataFrame, base_usd: float, current_usd: float) -> float:
    """The largest gap between the variance table's period totals and the stored facts.

    The parts of each row sum to its change by construction; this is what ties the table to
    the money it explains, so a dollar lost on the way is seen.
    """
    if variance.height:
        totals = variance.select(pl.col("cost_usd_base", "cost_usd").sum()).row(0)
    else:
        totals = (0.0, 0.0)
    return max(abs(totals[0] - base_usd), abs(totals[1] - current_usd))
