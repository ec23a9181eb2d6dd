"""FOCUS charges of one UTC day, spread to hours, and the split into compute and shared pools.

A charge whose period covers several hours (a daily or monthly fee, support, tax) is spread
evenly over the hour buckets its period touches; a day takes the buckets inside it. A charge
with `ChargeClass = Correction` belongs to the day its charge period names, whichever billing
period delivered it.
"""

from datetime import UTC, date, datetime, timedelta

import polars as pl

from cost_assets.sources.exports import normalize_resource_id, once_for_the_common_value, tag_value

# Columns of the hourly charges table, in order. effective_cost is the hour's part.
CHARGE_COLUMNS = [
    "hour",
    "billing_period",
    "charge_category",
    "charge_class",
    "charge_frequency",
    "service_code",
    "service_name",
    "operation",
    "sku_meter",
    "resource_id",
    "region",
    "commitment_id",
    "commitment_status",
    "tag_product",
    "tag_fleet",
    "invoice_id",
    "effective_cost",
]

INSTANCE_USAGE_METER = r"(BoxUsage|SpotUsage|DedicatedUsage|HostUsage)"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _last_bucket(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """The hour bucket of the last instant of [start, end); a zero-length period is its start."""
    return pl.max_horizontal(end - pl.duration(microseconds=1), start).dt.truncate("1h")


def _hour_buckets(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Number of hour buckets that [start, end) touches; at least one."""
    first = start.dt.truncate("1h")
    return ((_last_bucket(start, end) - first).dt.total_hours() + 1).cast(pl.Float64)


def _overlap(day: date) -> tuple[pl.Expr, pl.Expr]:
    day_start, day_end = day_bounds(day)
    start = pl.max_horizontal(pl.col("ChargePeriodStart"), pl.lit(day_start))
    end = pl.min_horizontal(pl.col("ChargePeriodEnd"), pl.lit(day_end))
    return start, end


def overlaps_day(day: date) -> pl.Expr:
    """FOCUS rows whose charge period overlaps the day (a zero-length period: at its start)."""
    day_start, day_end = day_bounds(day)
    start, end = pl.col("ChargePeriodStart"), pl.col("ChargePeriodEnd")
    return (start < day_end) & ((end > day_start) | ((end <= start) & (start >= day_start)))


def apportioned_cost(day: date) -> pl.Expr:
    """The part of each FOCUS row's EffectiveCost that falls on the day, without exploding hours.

    This is the reconciliation formula: computed from the raw rows, independent of the hourly
    table, and used by the checks that tie every stage back to the bill.
    """
    start, end = _overlap(day)
    day_buckets = _hour_buckets(start, end)
    total_buckets = _hour_buckets(pl.col("ChargePeriodStart"), pl.col("ChargePeriodEnd"))
    share = pl.when(overlaps_day(day)).then(day_buckets / total_buckets).otherwise(0.0)
    return pl.col("EffectiveCost").fill_null(0.0) * share


def hourly_charges(
    focus: pl.LazyFrame, day: date, product_tag_key: str, fleet_tag_key: str
) -> pl.LazyFrame:
    """The day's FOCUS rows, one row per charge and hour, with the hour's part of the cost."""
    day_start, day_end = day_bounds(day)
    start, end = _overlap(day)
    total_buckets = _hour_buckets(pl.col("ChargePeriodStart"), pl.col("ChargePeriodEnd"))
    rows = focus.filter(overlaps_day(day)).with_columns(
        (pl.col("EffectiveCost").fill_null(0.0) / total_buckets).alias("effective_cost")
    )
    # Almost every row is one hour's usage: only the rest is spread over its hours.
    one_hour = start.dt.truncate("1h") == _last_bucket(start, end)
    single = rows.filter(one_hour).with_columns(start.dt.truncate("1h").alias("hour"))
    spread = (
        rows.filter(~one_hour)
        .with_columns(
            pl.datetime_ranges(
                start.dt.truncate("1h"),
                _last_bucket(start, end),
                interval="1h",
                time_unit="us",
                time_zone="UTC",
            ).alias("hour")
        )
        .explode("hour")
    )
    return (
        pl.concat([single, spread])
        .filter((pl.col("hour") >= day_start) & (pl.col("hour") < day_end))
        .select(
            pl.col("hour"),
            once_for_the_common_value(
                pl.col("BillingPeriodStart"), lambda start: start.dt.strftime("%Y-%m")
            ).alias("billing_period"),
            pl.col("ChargeCategory").alias("charge_category"),
            pl.col("ChargeClass").alias("charge_class"),
            pl.col("ChargeFrequency").alias("charge_frequency"),
            pl.col("x_ServiceCode").alias("service_code"),
            pl.col("ServiceName").alias("service_name"),
            pl.col("x_Operation").alias("operation"),
            pl.col("SkuMeter").alias("sku_meter"),
            normalize_resource_id(pl.col("ResourceId")).alias("resource_id"),
            pl.col("RegionId").alias("region"),
            pl.col("CommitmentDiscountId").alias("commitment_id"),
            pl.col("CommitmentDiscountStatus").alias("commitment_status"),
            tag_value("Tags", product_tag_key).alias("tag_product"),
            tag_value("Tags", fleet_tag_key).alias("tag_fleet"),
            pl.col("InvoiceId").alias("invoice_id"),
            pl.col("effective_cost"),
        )
    )


def is_instance_usage() -> pl.Expr:
    """EC2 instance-hour usage: not data transfer or EBS rows that also carry an instance id."""
    return (
        (pl.col("service_code") == "AmazonEC2")
        & (pl.col("charge_category") == "Usage")
        & pl.col("resource_id").str.starts_with("i-")
        & pl.col("sku_meter").str.contains(INSTANCE_USAGE_METER)
        & (pl.col("commitment_status").fill_null("") != "Unused")
    )
