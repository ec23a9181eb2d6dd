"""The sample company's bill and telemetry, derived from one simulated fleet.

Every frame here is built with Polars from the fleet's hourly frames, so the FOCUS dollars,
the CUR split rows and the usage telemetry agree: an instance-hour's FOCUS ``EffectiveCost``
is exactly what its tasks' CUR ``split_cost + unused_cost`` add up to, and usage is produced
by the tasks that ran.
"""

from datetime import UTC, date, datetime, timedelta

import polars as pl

from cost_assets.methodology.scad import CPU_RESOURCES, CPU_WEIGHTS, split_instance_hours
from cost_assets.sample.exports import ACCOUNT_ID
from cost_assets.sample.fleet import PEAK_HOUR_UTC, REGION_PREFIX, REGION_WEIGHT, hash_uniform
from cost_assets.sample.reference import BEDROCK_MODEL, REGIONS, WORKER_CONFIGS

SP_ARN = f"arn:aws:savingsplans::{ACCOUNT_ID}:savingsplan/5c8e1f2a-0d4b-4f61-9a57-3b2c7e9d1a40"
SP_REGION = "us-west-2"
SP_DISCOUNT = 0.28
# Hourly commitment (dollars at Savings Plan rates) at scale 1: above night usage in
# us-west-2 (unused commitment rows), below day usage (instance-hours split or on-demand).
SP_COMMITMENT = 11.0
BEDROCK_PRICE_PER_TOKEN = {"input": 2.65e-6, "output": 3.5e-6}
EBS_GB = 200.0
EBS_USD_PER_GB_MONTH = 0.08
DATA_TRANSFER_USD_PER_GB = 0.09

MapEntries = dict[str, pl.Expr | str]


def _map(entries: MapEntries) -> pl.Expr:
    """A ``List(Struct(key, value))`` map from named expressions; null values are dropped."""
    structs = [
        pl.struct(
            pl.lit(key).alias("key"),
            (pl.lit(value) if isinstance(value, str) else value).cast(pl.String).alias("value"),
        )
        for key, value in entries.items()
    ]
    return pl.concat_list(structs).list.eval(
        pl.element().filter(pl.element().struct.field("value").is_not_null())
    )


def _per_key(frame: pl.DataFrame, keys: list[str], expr: pl.Expr) -> pl.Series:
    """``expr`` (of the ``keys`` columns only) for every row of ``frame``, evaluated once per
    distinct key: a map column costs far more to build row by row than to copy."""
    lookup = frame.select(keys).unique().with_columns(expr.alias("value"))
    return (
        frame.select(keys)
        .join(lookup, on=keys, how="left", nulls_equal=True, maintain_order="left")
        .get_column("value")
    )


def stable_sum(frame: pl.DataFrame, by: list[str], value: str, alias: str) -> pl.DataFrame:
    """Σ ``value`` per group, added in sorted order so the float result never varies.

    A parallel ``group_by().sum()`` may add a group's floats in a different order from one
    run to the next; the sample's bytes must not change.
    """
    return (
        frame.group_by(by)
        .agg(pl.col(value).sort().alias(alias))
        .with_columns(pl.col(alias).list.sum())
    )


def _prefix() -> pl.Expr:
    return pl.col("region").replace_strict(REGION_PREFIX, default=None)


# ---------------------------------------------------------------------------------------------
# Compute: instance-hours priced, Savings Plan applied
# ---------------------------------------------------------------------------------------------


def instance_charges(instance_hours: pl.DataFrame, scale: int) -> pl.DataFrame:
    """One row per FOCUS instance usage row: an instance-hour's covered or on-demand part.

    Covered by the Compute Savings Plan: us-west-2 fleet instance-hours, in instance-id order
    within the hour, until the hourly commitment is spent; the instance-hour crossing it is
    split into a covered part and an on-demand part (two rows, same instance and hour).
    """
    commitment = SP_COMMITMENT * scale
    priced = instance_hours.with_columns(
        pl.col("on_demand_usd_per_hour").alias("od_rate"),
        (pl.col("on_demand_usd_per_hour") * (1 - SP_DISCOUNT)).alias("sp_rate"),
        ((pl.col("region") == SP_REGION) & pl.col("fleet").is_not_null()).alias("eligible"),
    )
    spent_before = (
        pl.col("sp_rate").filter(pl.col("eligible")).cum_sum() - pl.col("sp_rate")
    ).over("hour_index")
    covered_eligible = priced.filter("eligible").with_columns(
        ((commitment - spent_before) / pl.col("sp_rate")).clip(0.0, 1.0).alias("covered")
    )
    covered = pl.concat(
        [
            covered_eligible,
            priced.filter(~pl.col("eligible")).with_columns(pl.lit(0.0).alias("covered")),
        ]
    )
    parts = pl.concat(
        [
            covered.filter(pl.col("covered") > 0).with_columns(
                pl.col("covered").alias("quantity"),
                pl.lit(True).alias("sp_covered"),
            ),
            covered.filter(pl.col("covered") < 1).with_columns(
                (1 - pl.col("covered")).alias("quantity"),
                pl.lit(False).alias("sp_covered"),
            ),
        ]
    )
    return parts.with_columns(
        (pl.col("quantity") * pl.col("od_rate")).alias("list_cost"),
        pl.when(pl.col("sp_covered"))
        .then(pl.col("quantity") * pl.col("sp_rate"))
        .otherwise(pl.col("quantity") * pl.col("od_rate"))
        .alias("effective_cost"),
    ).sort("hour_index", "region", "instance_id", "sp_covered")


def commitment_hours(charges: pl.DataFrame, hours: pl.DataFrame, scale: int) -> pl.DataFrame:
    """Per hour: the Savings Plan commitment, what covered usage used of it, and the rest."""
    used = stable_sum(charges.filter("sp_covered"), ["hour_index"], "effective_cost", "used")
    return (
        hours.join(used, on="hour_index", how="left")
        .with_columns(
            pl.lit(SP_COMMITMENT * scale).alias("commitment"), pl.col("used").fill_null(0.0)
        )
        .with_columns((pl.col("commitment") - pl.col("used")).alias("unused"))
    )


def _sku(kind: pl.Expr) -> pl.Expr:
    return pl.format("{}-{}", _prefix(), kind).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")


def focus_instance_rows(charges: pl.DataFrame) -> pl.DataFrame:
    """FOCUS rows of instance usage: ``BoxUsage`` on ``RunInstances`` per instance-hour part."""
    is_arn = pl.col("region") == "us-east-1"
    box = pl.format("{}-BoxUsage:{}", _prefix(), pl.col("instance_type"))
    covered = pl.col("sp_covered")
    in_fleet = pl.col("fleet").is_not_null()
    tags = (
        pl.when(in_fleet)
        .then(
            _map(
                {
                    "fleet": pl.col("fleet"),
                    "aws:autoscaling:groupName": pl.format("{}-{}-asg", "fleet", "region"),
                }
            )
        )
        .otherwise(_map({"Name": "ci-runner", "team": "platform"}))
    )
    details = _map(
        {"InstanceType": pl.col("instance_type"), "OperatingSystem": "Linux", "Tenancy": "Shared"}
    )
    charges = charges.with_columns(
        _per_key(charges, ["fleet", "region"], tags).alias("_tags"),
        _per_key(charges, ["instance_type"], details).alias("_details"),
    )
    return charges.select(
        pl.col("hour").alias("ChargePeriodStart"),
        pl.col("region").alias("RegionId"),
        pl.format(
            "{}{}",
            pl.col("region"),
            pl.when(hash_uniform(pl.col("instance_no"), 11) < 0.5)
            .then(pl.lit("a"))
            .otherwise(pl.lit("b")),
        ).alias("AvailabilityZone"),
        pl.when(is_arn)
        .then(
            pl.format("arn:aws:ec2:{}:{}:instance/{}", "region", pl.lit(ACCOUNT_ID), "instance_id")
        )
        .otherwise(pl.col("instance_id"))
        .alias("ResourceId"),
        pl.lit("Instance").alias("ResourceType"),
        pl.lit("AmazonEC2").alias("x_ServiceCode"),
        pl.lit("RunInstances").alias("x_Operation"),
        box.alias("SkuMeter"),
        _sku(pl.col("instance_type")).alias("SkuId"),
        pl.when(covered)
        .then(None)
        .otherwise(pl.format("{}.JRTCKXETXF.6YS6EN2CT7", _sku(pl.col("instance_type"))))
        .alias("SkuPriceId"),
        pl.format("${} per On Demand Linux {} Instance Hour", "od_rate", "instance_type").alias(
            "ChargeDescription"
        ),
        pl.when(covered).then(0.0).otherwise(pl.col("effective_cost")).alias("BilledCost"),
        pl.col("effective_cost").alias("EffectiveCost"),
        pl.col("list_cost").alias("ListCost"),
        pl.col("list_cost").alias("ContractedCost"),
        pl.col("od_rate").alias("ListUnitPrice"),
        pl.col("od_rate").alias("ContractedUnitPrice"),
        pl.col("quantity").alias("PricingQuantity"),
        pl.lit("Hrs").alias("PricingUnit"),
        pl.col("quantity").alias("ConsumedQuantity"),
        pl.lit("Hrs").alias("ConsumedUnit"),
        pl.when(covered)
        .then(pl.lit("Committed"))
        .otherwise(pl.lit("Standard"))
        .alias("PricingCategory"),
        pl.when(covered).then(pl.lit(SP_ARN)).alias("CommitmentDiscountId"),
        pl.when(covered).then(pl.lit("Spend")).alias("CommitmentDiscountCategory"),
        pl.when(covered).then(pl.lit("Compute Savings Plan")).alias("CommitmentDiscountType"),
        pl.when(covered).then(pl.lit("speech-prod-compute-sp")).alias("CommitmentDiscountName"),
        pl.when(covered).then(pl.lit("Used")).alias("CommitmentDiscountStatus"),
        pl.when(covered).then(pl.col("effective_cost")).alias("CommitmentDiscountQuantity"),
        pl.when(covered).then(pl.lit("USD")).alias("CommitmentDiscountUnit"),
        pl.col("_tags").alias("Tags"),
        pl.col("_details").alias("SkuPriceDetails"),
    )


def _volume_id() -> pl.Expr:
    return pl.format("vol-{}", pl.col("instance_id").str.slice(2).str.reverse())


def focus_instance_side_rows(instance_hours: pl.DataFrame) -> pl.DataFrame:
    """EBS volume-hours of every instance, and data transfer out of some instance-hours.

    Both are ``AmazonEC2`` rows; the data transfer ones carry the instance id as their
    resource and ``RunInstances`` as their operation, as AWS bills them, yet are not compute.
    """
    ebs_cost = EBS_GB * EBS_USD_PER_GB_MONTH / 730
    tags = pl.when(pl.col("fleet").is_not_null()).then(_map({"fleet": pl.col("fleet")}))
    ebs = instance_hours.with_columns(
        _per_key(instance_hours, ["fleet"], tags).alias("_tags")
    ).select(
        pl.col("hour").alias("ChargePeriodStart"),
        pl.col("region").alias("RegionId"),
        pl.format("{}a", "region").alias("AvailabilityZone"),
        _volume_id().alias("ResourceId"),
        pl.lit("Volume").alias("ResourceType"),
        pl.lit("AmazonEC2").alias("x_ServiceCode"),
        pl.lit("CreateVolume-Gp3").alias("x_Operation"),
        pl.format("{}-EBS:VolumeUsage.gp3", _prefix()).alias("SkuMeter"),
        pl.lit("Storage").alias("ServiceCategory"),
        pl.lit("Block Storage").alias("ServiceSubcategory"),
        pl.lit(ebs_cost).alias("EffectiveCost"),
        pl.lit(EBS_GB / 730).alias("PricingQuantity"),
        pl.lit("GB-Mo").alias("PricingUnit"),
        pl.lit(EBS_GB / 730).alias("ConsumedQuantity"),
        pl.lit("GB-Mo").alias("ConsumedUnit"),
        pl.lit(EBS_USD_PER_GB_MONTH).alias("ListUnitPrice"),
        pl.lit("Standard").alias("PricingCategory"),
        pl.col("_tags").alias("Tags"),
    )
    key = pl.col("instance_no") * 100_003 + pl.col("hour_index")
    transfer = (
        instance_hours.with_columns(
            hash_uniform(key, 21).alias("u"), (1 + 40 * hash_uniform(key, 22)).round(3).alias("gb")
        )
        .filter(pl.col("u") < 0.2)
        .select(
            pl.col("hour").alias("ChargePeriodStart"),
            pl.col("region").alias("RegionId"),
            pl.lit("").alias("AvailabilityZone"),
            pl.col("instance_id").alias("ResourceId"),
            pl.lit("Instance").alias("ResourceType"),
            pl.lit("AmazonEC2").alias("x_ServiceCode"),
            pl.lit("RunInstances").alias("x_Operation"),
            pl.format("{}-DataTransfer-Out-Bytes", _prefix()).alias("SkuMeter"),
            pl.lit("Networking").alias("ServiceCategory"),
            pl.lit("Network Connectivity").alias("ServiceSubcategory"),
            (pl.col("gb") * DATA_TRANSFER_USD_PER_GB).alias("EffectiveCost"),
            pl.col("gb").alias("PricingQuantity"),
            pl.lit("GB").alias("PricingUnit"),
            pl.col("gb").alias("ConsumedQuantity"),
            pl.lit("GB").alias("ConsumedUnit"),
            pl.lit(DATA_TRANSFER_USD_PER_GB).alias("ListUnitPrice"),
            pl.lit("Standard").alias("PricingCategory"),
        )
    )
    return pl.concat([ebs, transfer], how="diagonal_relaxed")


def focus_commitment_rows(commitment: pl.DataFrame) -> pl.DataFrame:
    """Savings Plan rows: hourly purchase (fee) rows and unused-commitment rows."""
    common = [
        pl.col("hour").alias("ChargePeriodStart"),
        pl.lit(SP_ARN).alias("ResourceId"),
        pl.lit("Savings Plan").alias("ResourceType"),
        pl.lit(SP_ARN).alias("CommitmentDiscountId"),
        pl.lit("Spend").alias("CommitmentDiscountCategory"),
        pl.lit("Compute Savings Plan").alias("CommitmentDiscountType"),
        pl.lit("speech-prod-compute-sp").alias("CommitmentDiscountName"),
        pl.lit("USD").alias("CommitmentDiscountUnit"),
        pl.lit("ComputeSavingsPlans").alias("x_ServiceCode"),
        pl.lit("").alias("AvailabilityZone"),
        pl.lit("Committed").alias("PricingCategory"),
        pl.lit("USD").alias("PricingUnit"),
    ]
    purchase = commitment.select(
        *common,
        pl.lit("Purchase").alias("ChargeCategory"),
        pl.lit("Recurring").alias("ChargeFrequency"),
        pl.lit("SavingsPlanRecurringFee").alias("x_Operation"),
        pl.lit("ComputeSP:1yrNoUpfront").alias("SkuMeter"),
        pl.col("commitment").alias("BilledCost"),
        pl.lit(0.0).alias("EffectiveCost"),
        pl.col("commitment").alias("ListCost"),
        pl.col("commitment").alias("ContractedCost"),
        pl.col("commitment").alias("PricingQuantity"),
        pl.col("commitment").alias("CommitmentDiscountQuantity"),
        pl.lit("1-year No Upfront Compute Savings Plan hourly fee").alias("ChargeDescription"),
    )
    unused = commitment.filter(pl.col("unused") > 1e-9).select(
        *common,
        pl.lit("Usage").alias("ChargeCategory"),
        pl.lit("Usage-Based").alias("ChargeFrequency"),
        pl.lit("Unused").alias("CommitmentDiscountStatus"),
        pl.lit("UnusedCommitment").alias("x_Operation"),
        pl.lit("ComputeSP:1yrNoUpfront").alias("SkuMeter"),
        pl.lit(0.0).alias("BilledCost"),
        pl.col("unused").alias("EffectiveCost"),
        pl.lit(0.0).alias("ListCost"),
        pl.lit(0.0).alias("ContractedCost"),
        pl.col("unused").alias("PricingQuantity"),
        pl.col("unused").alias("CommitmentDiscountQuantity"),
        pl.lit("Unused Savings Plan commitment").alias("ChargeDescription"),
    )
    return pl.concat([purchase, unused], how="diagonal_relaxed")


# ---------------------------------------------------------------------------------------------
# Usage telemetry
# ---------------------------------------------------------------------------------------------

# Per task-hour: audio hours (speech), requests (api-edge) or tokens (LLM workers).
THROUGHPUT = {
    "asr-streaming": 40.0,
    "asr-batch": 110.0,
    "tts-synth": 18.0,
    "diarizer": 70.0,
    "audio-preproc": 160.0,
    "api-edge": 15000.0,
    "llm-summarizer": 2_400_000.0,
    "llm-router": 1_600_000.0,
}
REQUESTS_PER_AUDIO_HOUR = {
    "asr-streaming": 24.0,
    "asr-batch": 4.0,
    "tts-synth": 120.0,
    "diarizer": 6.0,
    "audio-preproc": 12.0,
}
TOKENS_PER_REQUEST = 1800.0
INPUT_TOKEN_SHARE = 0.82
PRODUCT_SHARE = {
    ("asr-streaming", "transcribe-live"): 0.7,
    ("asr-streaming", "meeting-notes"): 0.3,
    ("diarizer", "transcribe-batch"): 0.6,
    ("diarizer", "meeting-notes"): 0.4,
    ("audio-preproc", "transcribe-live"): 0.5,
    ("audio-preproc", "transcribe-batch"): 0.3,
    ("audio-preproc", "meeting-notes"): 0.2,
    ("api-edge", "transcribe-live"): 0.7,
    ("api-edge", "voice-studio"): 0.3,
    ("llm-summarizer", "meeting-notes"): 0.6,
    ("llm-summarizer", "ai-assistant"): 0.4,
}
MODEL_SHARE = {("llm-router", BEDROCK_MODEL): 0.55, ("llm-router", "summarizer-8b"): 0.45}
LANGUAGE_SHARE = {
    "asr-streaming": {"en": 0.55, "es": 0.2, "fr": 0.12, "de": 0.13},
    "asr-batch": {"en": 0.5, "es": 0.2, "de": 0.15, "ja": 0.15},
    "tts-synth": {"en": 0.7, "es": 0.3},
}
ASR_V4_GA = date(2026, 11, 1)
JA_LAUNCH = date(2026, 11, 2)
BEDROCK_REGIONS = ("us-west-2", "us-east-1")


def usage_mix() -> pl.DataFrame:
    """What share of a worker's hourly output goes to each (product, model, language).

    ``valid_from``/``valid_to`` bound the dates a row applies (asr-fast-v4 grows after its
    GA; Japanese launches on 2026-11-02); ``regions`` limits Bedrock traffic to the US.
    Shares are renormalised per hour, region and worker once rows are filtered.
    """
    rows = []
    for cfg in WORKER_CONFIGS.iter_rows(named=True):
        worker, product, model, language = (
            cfg["worker"],
            cfg["product"],
            cfg["model"],
            cfg["language"],
        )
        share = PRODUCT_SHARE.get((worker, product), 1.0) * MODEL_SHARE.get((worker, model), 1.0)
        if language is not None:
            share *= LANGUAGE_SHARE[worker][language]
        regions = list(BEDROCK_REGIONS) if model == BEDROCK_MODEL else list(REGIONS)
        start = JA_LAUNCH if language == "ja" else date(2000, 1, 1)
        if model in ("asr-fast-v3", "asr-fast-v4"):
            v4 = model == "asr-fast-v4"
            rows.append(
                (
                    worker,
                    product,
                    model,
                    language,
                    share * (0.12 if v4 else 0.88),
                    start,
                    ASR_V4_GA,
                    regions,
                )
            )
            rows.append(
                (
                    worker,
                    product,
                    model,
                    language,
                    share * (0.45 if v4 else 0.55),
                    ASR_V4_GA,
                    date(2100, 1, 1),
                    regions,
                )
            )
        else:
            rows.append((worker, product, model, language, share, start, date(2100, 1, 1), regions))
    return pl.DataFrame(
        rows,
        schema={
            "worker": pl.String,
            "product": pl.String,
            "model": pl.String,
            "language": pl.String,
            "share": pl.Float64,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
            "regions": pl.List(pl.String),
        },
        orient="row",
    )


def usage(task_hours: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Speech and LLM telemetry (SPEC 2.4) produced by the tasks that ran each hour."""
    workers = sorted(THROUGHPUT)
    counts = (
        task_hours.filter(~pl.col("is_daemon"))
        .group_by("hour_index", "hour", "region", "worker")
        .agg(pl.len().alias("tasks"))
    )
    mix = usage_mix().with_row_index("combo").with_columns(pl.col("combo").cast(pl.Int64))
    region_no = pl.col("region").replace_strict({r: i for i, r in enumerate(REGIONS)})
    worker_no = pl.col("worker").replace_strict({w: i for i, w in enumerate(workers)})
    hour_key = pl.col("hour_index") * 1000 + region_no * 100 + worker_no
    filtered = counts.join(mix, on="worker").filter(
        (pl.col("hour").dt.date() >= pl.col("valid_from"))
        & (pl.col("hour").dt.date() < pl.col("valid_to"))
        & pl.col("regions").list.contains(pl.col("region"))
    )
    rows = (
        filtered.join(
            stable_sum(filtered, ["hour_index", "region", "worker"], "share", "share_total"),
            on=["hour_index", "region", "worker"],
        )
        .with_columns(
            (pl.col("share") / pl.col("share_total")),
            (0.65 + 0.3 * hash_uniform(hour_key, 31)).alias("utilisation"),
            (0.85 + 0.3 * hash_uniform(pl.col("hour_index") * 1000 + pl.col("combo"), 32)).alias(
                "noise"
            ),
        )
        .with_columns(
            (
                pl.col("tasks")
                * pl.col("worker").replace_strict(THROUGHPUT, return_dtype=pl.Float64)
                * pl.col("utilisation")
                * pl.col("share")
                * pl.col("noise")
            ).alias("amount")
        )
    )
    audio = pl.col("worker").is_in(list(REQUESTS_PER_AUDIO_HOUR))
    speech = (
        rows.filter(audio | (pl.col("worker") == "api-edge"))
        .with_columns(
            pl.when(audio).then(pl.col("amount").round(4)).otherwise(0.0).alias("audio_hours"),
            pl.when(audio)
            .then(
                pl.col("amount")
                * pl.col("worker").replace_strict(
                    REQUESTS_PER_AUDIO_HOUR, default=0.0, return_dtype=pl.Float64
                )
            )
            .otherwise(pl.col("amount"))
            .round()
            .cast(pl.Int64)
            .alias("requests"),
        )
        .select(
            "hour", "region", "product", "worker", "model", "language", "audio_hours", "requests"
        )
        .sort(
            "hour",
            "region",
            "worker",
            "product",
            "model",
            "language",
            nulls_last=True,
            maintain_order=True,
        )
    )
    llm = (
        rows.filter(pl.col("worker").is_in(["llm-summarizer", "llm-router"]))
        .select(
            "hour",
            "region",
            "product",
            "worker",
            pl.col("model").alias("llm_model"),
            (pl.col("amount") * INPUT_TOKEN_SHARE).round().cast(pl.Int64).alias("input_tokens"),
            (pl.col("amount") * (1 - INPUT_TOKEN_SHARE))
            .round()
            .cast(pl.Int64)
            .alias("output_tokens"),
            (pl.col("amount") / TOKENS_PER_REQUEST).round().cast(pl.Int64).alias("requests"),
        )
        .sort("hour", "region", "worker", "product", "llm_model")
    )
    return speech, llm


# ---------------------------------------------------------------------------------------------
# Shared services, support, tax, credit, correction
# ---------------------------------------------------------------------------------------------

# code, usage type suffix, operation, fixed $/h, $/h at peak traffic, regions, resource, tags
_SHARED: list[tuple[str, str, str, float, float, tuple[str, ...], str, dict[str, str]]] = [
    (
        "AWSELB",
        "LoadBalancerUsage",
        "LoadBalancing:Application",
        0.045,
        0.30,
        REGIONS,
        "arn:aws:elasticloadbalancing:{region}:" + ACCOUNT_ID + ":loadbalancer/app/speech-edge/"
        "4f2a9c1e7b3d5a60",
        {},
    ),
    (
        "AmazonApiGateway",
        "ApiGatewayRequest",
        "ApiGatewayRequest",
        0.0,
        0.25,
        REGIONS,
        "arn:aws:apigateway:{region}::/restapis/k3x9q2v7m1",
        {},
    ),
    (
        "AmazonECR",
        "TimedStorage-ByteHrs",
        "StorageUsage",
        0.04,
        0.0,
        REGIONS,
        "arn:aws:ecr:{region}:" + ACCOUNT_ID + ":repository/speech-models",
        {},
    ),
    (
        "AmazonCloudWatch",
        "CW:MetricMonitorUsage",
        "MetricStorage",
        0.05,
        0.25,
        REGIONS,
        "arn:aws:logs:{region}:" + ACCOUNT_ID + ":log-group:/ecs/speech",
        {},
    ),
    (
        "AmazonS3",
        "TimedStorage-ByteHrs",
        "StandardStorage",
        0.55,
        0.0,
        REGIONS,
        "speech-audio-{region}",
        {},
    ),
    (
        "AmazonS3",
        "Requests-Tier1",
        "PutObject",
        0.0,
        0.12,
        ("us-west-2",),
        "voice-studio-assets",
        {"product": "voice-studio"},
    ),
    (
        "AmazonDynamoDB",
        "ReadCapacityUnit-Hrs",
        "CommittedThroughput",
        0.15,
        0.0,
        ("us-west-2", "us-east-1"),
        "arn:aws:dynamodb:{region}:" + ACCOUNT_ID + ":table/sessions",
        {},
    ),
]


def _traffic_expr() -> pl.Expr:
    peak = pl.col("region").replace_strict(PEAK_HOUR_UTC, return_dtype=pl.Float64)
    phase = 2 * 3.141592653589793 * ((pl.col("hour_index") % 24) - peak) / 24
    return 0.25 + 0.75 * (0.5 + 0.5 * phase.cos())


def focus_shared_rows(hours: pl.DataFrame, scale: int) -> pl.DataFrame:
    """Hourly rows per region of the shared services (load balancers, storage, logs...)."""
    frames = []
    for code, usage_type, operation, fixed, variable, regions, resource, tags in _SHARED:
        grid = hours.join(pl.DataFrame({"region": list(regions)}), how="cross")
        weight = pl.col("region").replace_strict(REGION_WEIGHT, return_dtype=pl.Float64)
        cost = (fixed + variable * _traffic_expr()) * weight * scale
        frames.append(
            grid.select(
                pl.col("hour").alias("ChargePeriodStart"),
                pl.col("region").alias("RegionId"),
                pl.lit("").alias("AvailabilityZone"),
                pl.format(
                    resource.replace("{region}", "{}"),
                    *[pl.col("region")] * resource.count("{region}"),
                ).alias("ResourceId"),
                pl.lit(code).alias("x_ServiceCode"),
                pl.lit(operation).alias("x_Operation"),
                pl.format("{}-{}", _prefix(), pl.lit(usage_type)).alias("SkuMeter"),
                cost.round(8).alias("EffectiveCost"),
                pl.lit("Standard").alias("PricingCategory"),
                (_map(tags) if tags else pl.lit(None)).alias("Tags"),
            )
        )
    return pl.concat(frames, how="diagonal_relaxed")


def focus_bedrock_rows(llm: pl.DataFrame) -> pl.DataFrame:
    """Amazon Bedrock on-demand inference, per hour, region and token direction."""
    tokens = (
        llm.filter(pl.col("llm_model") == BEDROCK_MODEL)
        .group_by("hour", "region")
        .agg(
            pl.col("input_tokens").sum().alias("input"),
            pl.col("output_tokens").sum().alias("output"),
        )
        .unpivot(index=["hour", "region"], variable_name="direction", value_name="tokens")
        .filter(pl.col("tokens") > 0)
    )
    price = pl.col("direction").replace_strict(BEDROCK_PRICE_PER_TOKEN, return_dtype=pl.Float64)
    return tokens.select(
        pl.col("hour").alias("ChargePeriodStart"),
        pl.col("region").alias("RegionId"),
        pl.lit("").alias("AvailabilityZone"),
        pl.format("arn:aws:bedrock:{}::foundation-model/{}", "region", pl.lit(BEDROCK_MODEL)).alias(
            "ResourceId"
        ),
        pl.lit("Model").alias("ResourceType"),
        pl.lit("AmazonBedrock").alias("x_ServiceCode"),
        pl.lit("InvokeModelInference").alias("x_Operation"),
        pl.format("{}-Meta-Llama3-70B-{}-tokens", _prefix(), "direction").alias("SkuMeter"),
        (pl.col("tokens").cast(pl.Float64) * price).alias("EffectiveCost"),
        (pl.col("tokens").cast(pl.Float64) / 1000).alias("PricingQuantity"),
        pl.lit("1K tokens").alias("PricingUnit"),
        (pl.col("tokens").cast(pl.Float64) / 1000).alias("ConsumedQuantity"),
        pl.lit("1K tokens").alias("ConsumedUnit"),
        (price * 1000).alias("ListUnitPrice"),
        pl.lit("Standard").alias("PricingCategory"),
    )


def _periods(start: date, days: int) -> list[str]:
    months = {(start + timedelta(days=d)).strftime("%Y-%m") for d in range(days)}
    return sorted(months)


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def focus_periodic_rows(start: date, days: int, scale: int) -> pl.DataFrame:
    """Rows longer or other than an hour: daily CloudTrail, monthly support, credit, correction.

    The correction is a 2026-11 (last period) row whose charge period is a day of the earlier
    period: AWS's ``ChargeClass = 'Correction'``.
    """
    day_rows = [
        {
            "ChargePeriodStart": _utc(start + timedelta(days=d)),
            "ChargePeriodEnd": _utc(start + timedelta(days=d + 1)),
            "RegionId": "us-east-1",
            "AvailabilityZone": "",
            "x_ServiceCode": "AWSCloudTrail",
            "x_Operation": "",
            "SkuMeter": "USE1-PaidEventsRecorded",
            "EffectiveCost": 2.4 * scale,
            "PricingCategory": "Standard",
            "ChargeDescription": "CloudTrail paid events, daily",
        }
        for d in range(days)
    ]
    periods = _periods(start, days)
    month_rows = []
    for period in periods:
        year, month = (int(p) for p in period.split("-"))
        period_start = datetime(year, month, 1, tzinfo=UTC)
        period_end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        month_rows.append(
            {
                "ChargePeriodStart": period_start,
                "ChargePeriodEnd": period_end,
                "AvailabilityZone": "",
                "ResourceId": "",
                "x_ServiceCode": "AWSSupportBusiness",
                "x_Operation": "",
                "SkuMeter": "Dollar",
                "ChargeFrequency": "Recurring",
                "EffectiveCost": 1200.0 * scale,
                "PricingCategory": "Standard",
                "ChargeDescription": "AWS Support (Business), monthly",
            }
        )
    credit_day = start + timedelta(days=min(3, days - 1))
    other = [
        {
            "ChargePeriodStart": _utc(credit_day),
            "ChargePeriodEnd": _utc(credit_day + timedelta(days=1)),
            "RegionId": "us-west-2",
            "AvailabilityZone": "",
            "x_ServiceCode": "AmazonS3",
            "x_Operation": "",
            "ChargeCategory": "Credit",
            "ChargeFrequency": "One-Time",
            "EffectiveCost": -5.0 * scale,
            "ChargeDescription": "AWS service credit",
        }
    ]
    if len(periods) > 1:
        first_end = datetime.strptime(periods[1] + "-01", "%Y-%m-%d").date()
        day = min(start + timedelta(days=2), first_end - timedelta(days=1))
        last_start = _utc(datetime.strptime(periods[-1] + "-01", "%Y-%m-%d").date())
        other.append(
            {
                "ChargePeriodStart": _utc(day),
                "ChargePeriodEnd": _utc(day + timedelta(days=1)),
                "BillingPeriodStart": last_start,
                "RegionId": "us-west-2",
                "AvailabilityZone": "",
                "ResourceId": "speech-audio-us-west-2",
                "x_ServiceCode": "AmazonS3",
                "x_Operation": "StandardStorage",
                "SkuMeter": "USW2-TimedStorage-ByteHrs",
                "ChargeCategory": "Adjustment",
                "ChargeClass": "Correction",
                "ChargeFrequency": "One-Time",
                "EffectiveCost": -1.25 * scale,
                "ChargeDescription": "Correction of S3 storage metered on " + day.isoformat(),
            }
        )
    return pl.DataFrame(day_rows + month_rows + other, infer_schema_length=None).with_columns(
        pl.col("ChargePeriodStart", "ChargePeriodEnd").dt.cast_time_unit("us")
    )


def taxable_billed(focus: pl.DataFrame) -> pl.DataFrame:
    """The billed cost of each taxable FOCUS row (usage and purchases), with its billing
    period and service: what ``focus_tax_rows`` taxes."""
    return focus.filter(
        pl.col("ChargeCategory").fill_null("Usage").is_in(["Usage", "Purchase"])
    ).select(
        "BillingPeriodStart",
        "x_ServiceCode",
        pl.col("BilledCost").fill_null(pl.col("EffectiveCost")),
    )


def focus_tax_rows(focus: pl.DataFrame) -> pl.DataFrame:
    """One Tax row per billing period and service, over the whole period (6% of billed)."""
    return tax_rows(taxable_billed(focus))


def tax_rows(taxable: pl.DataFrame) -> pl.DataFrame:
    """The Tax rows of taxable billed costs (``taxable_billed``), gathered from any number of
    pieces of the periods: each sum is taken in sorted order, so it does not depend on them.
    """
    return (
        stable_sum(taxable, ["BillingPeriodStart", "x_ServiceCode"], "BilledCost", "billed")
        .filter(pl.col("billed") > 0)
        .select(
            pl.col("BillingPeriodStart").alias("ChargePeriodStart"),
            pl.col("BillingPeriodStart").dt.offset_by("1mo").alias("ChargePeriodEnd"),
            "BillingPeriodStart",
            "x_ServiceCode",
            pl.lit("").alias("AvailabilityZone"),
            pl.lit("").alias("ResourceId"),
            pl.lit("").alias("SubAccountId"),
            pl.lit("Tax").alias("ChargeCategory"),
            pl.lit("Recurring").alias("ChargeFrequency"),
            pl.lit("").alias("x_Operation"),
            (pl.col("billed") * 0.06).round(6).alias("EffectiveCost"),
            pl.lit("Tax for the billing period").alias("ChargeDescription"),
        )
        .sort("ChargePeriodStart", "x_ServiceCode")
    )


# ---------------------------------------------------------------------------------------------
# CUR
# ---------------------------------------------------------------------------------------------


def _naive(expr: pl.Expr) -> pl.Expr:
    return expr.dt.replace_time_zone(None)


def cur_instance_rows(charges: pl.DataFrame) -> pl.DataFrame:
    """CUR rows of instance usage: one per FOCUS instance row, at on-demand unblended cost."""
    covered = pl.col("sp_covered")
    gpu = pl.when(pl.col("gpus") > 0).then(pl.col("gpus").cast(pl.String))
    family = pl.col("instance_type").str.split(".").list.first()
    product = _map(
        {
            "vcpu": pl.col("vcpu").cast(pl.String),
            "memory": pl.format("{} GiB", pl.col("memory_gib").cast(pl.Int64)),
            "gpu": gpu,
            "region": pl.col("region"),
            "instance_type_family": family,
            "product_name": "Amazon Elastic Compute Cloud",
            "operating_system": "Linux",
        }
    )
    tags = (
        pl.when(pl.col("fleet").is_not_null())
        .then(_map({"user_fleet": pl.col("fleet")}))
        .otherwise(_map({"user_name": "ci-runner", "user_team": "platform"}))
    )
    product_keys = ["vcpu", "memory_gib", "gpus", "region", "instance_type"]
    charges = charges.with_columns(
        _per_key(charges, product_keys, product).alias("_product"),
        _per_key(charges, ["fleet"], tags).alias("_tags"),
    )
    return charges.select(
        _naive(pl.col("hour")).alias("line_item_usage_start_date"),
        pl.col("instance_id").alias("line_item_resource_id"),
        pl.format("{}a", "region").alias("line_item_availability_zone"),
        pl.lit("AmazonEC2").alias("line_item_product_code"),
        pl.lit("RunInstances").alias("line_item_operation"),
        pl.format("{}-BoxUsage:{}", _prefix(), "instance_type").alias("line_item_usage_type"),
        pl.when(covered)
        .then(pl.lit("SavingsPlanCoveredUsage"))
        .otherwise(pl.lit("Usage"))
        .alias("line_item_line_item_type"),
        pl.format("${} per On Demand Linux {} Instance Hour", "od_rate", "instance_type").alias(
            "line_item_line_item_description"
        ),
        pl.col("quantity").alias("line_item_usage_amount"),
        pl.col("list_cost").alias("line_item_unblended_cost"),
        pl.col("list_cost").alias("line_item_blended_cost"),
        pl.col("od_rate").cast(pl.String).alias("line_item_unblended_rate"),
        pl.col("od_rate").cast(pl.String).alias("line_item_blended_rate"),
        pl.col("list_cost").alias("pricing_public_on_demand_cost"),
        pl.col("od_rate").cast(pl.String).alias("pricing_public_on_demand_rate"),
        pl.lit("Hrs").alias("pricing_unit"),
        pl.lit("OnDemand").alias("pricing_term"),
        pl.lit("Compute Instance").alias("product_product_family"),
        pl.col("instance_type").alias("product_instance_type"),
        family.alias("product_instance_family"),
        pl.col("region").alias("product_region_code"),
        pl.lit("AmazonEC2").alias("product_servicecode"),
        pl.format("{}-BoxUsage:{}", _prefix(), "instance_type").alias("product_usagetype"),
        pl.lit("RunInstances").alias("product_operation"),
        _sku(pl.col("instance_type")).alias("product_sku"),
        pl.col("_product").alias("product"),
        pl.col("_tags").alias("resource_tags"),
        pl.when(covered).then(pl.lit(SP_ARN)).alias("savings_plan_savings_plan_a_r_n"),
        pl.when(covered)
        .then(pl.col("effective_cost"))
        .alias("savings_plan_savings_plan_effective_cost"),
        pl.when(covered)
        .then(pl.col("effective_cost"))
        .alias("savings_plan_net_savings_plan_effective_cost"),
        pl.when(covered).then(pl.col("sp_rate")).alias("savings_plan_savings_plan_rate"),
    )


def cur_commitment_rows(commitment: pl.DataFrame) -> pl.DataFrame:
    """CUR ``SavingsPlanRecurringFee`` rows: the hourly fee with used and total commitment."""
    return commitment.select(
        _naive(pl.col("hour")).alias("line_item_usage_start_date"),
        pl.lit(SP_ARN).alias("line_item_resource_id"),
        pl.lit("ComputeSavingsPlans").alias("line_item_product_code"),
        pl.lit("SavingsPlanRecurringFee").alias("line_item_line_item_type"),
        pl.lit("").alias("line_item_operation"),
        pl.lit("ComputeSP:1yrNoUpfront").alias("line_item_usage_type"),
        pl.col("commitment").alias("line_item_usage_amount"),
        pl.col("commitment").alias("line_item_unblended_cost"),
        pl.col("commitment").alias("savings_plan_recurring_commitment_for_billing_period"),
        pl.col("commitment").alias("savings_plan_total_commitment_to_date"),
        pl.col("used").alias("savings_plan_used_commitment"),
        pl.lit(SP_ARN).alias("savings_plan_savings_plan_a_r_n"),
        pl.lit("ComputeSavingsPlans").alias("savings_plan_offering_type"),
        pl.lit("No Upfront").alias("savings_plan_payment_option"),
        pl.lit("1yr").alias("savings_plan_purchase_term"),
        pl.lit("2026-01-01T00:00:00.000Z").alias("savings_plan_start_time"),
        pl.lit("2027-01-01T00:00:00.000Z").alias("savings_plan_end_time"),
    )


def task_splits(
    task_hours: pl.DataFrame, instance_hours: pl.DataFrame, charges: pl.DataFrame
) -> pl.DataFrame:
    """Each task-hour's SCAD split of its instance-hour (vCPU and GB, weights 9:1).

    ``cost`` is C, the instance-hour's FOCUS effective cost; the ``od_`` columns are the same
    split of the on-demand price (the public on-demand variants).
    """
    keys = ["instance_id", "hour_index"]
    costs = stable_sum(charges, keys, "effective_cost", "cost")
    capacity = instance_hours.select(
        *keys,
        pl.col("vcpu").cast(pl.Float64).alias("vcpu_capacity"),
        pl.col("memory_gib").cast(pl.Float64).alias("gb_capacity"),
        pl.lit(CPU_WEIGHTS["vcpu"]).alias("vcpu_weight"),
        pl.lit(CPU_WEIGHTS["gb"]).alias("gb_weight"),
        pl.col("on_demand_usd_per_hour").alias("od_cost"),
    ).join(costs, on=keys, how="inner")
    tasks = task_hours.lazy()
    amortized = split_instance_hours(tasks, capacity.lazy(), keys, CPU_RESOURCES, "cost")
    on_demand = split_instance_hours(tasks, capacity.lazy(), keys, CPU_RESOURCES, "od_cost")
    cost_columns = [f"{r}_{kind}_cost" for r in CPU_RESOURCES for kind in ("split", "unused")]
    denominators = (
        amortized.group_by(keys)
        .agg([pl.col(f"{r}_alloc").sum().alias(f"{r}_alloc_total") for r in CPU_RESOURCES])
        .join(capacity.lazy(), on=keys)
        .select(
            *keys,
            *[
                pl.max_horizontal(f"{r}_alloc_total", f"{r}_capacity").alias(f"{r}_den")
                for r in CPU_RESOURCES
            ],
        )
    )
    return (
        amortized.join(
            on_demand.select("task_id", *keys, *[pl.col(c).alias(f"od_{c}") for c in cost_columns]),
            on=["task_id", *keys],
        )
        .join(denominators, on=keys)
        .sort("hour_index", "instance_id", "task_id")
        .collect()
    )


def cur_split_rows(splits: pl.DataFrame, add_artefacts: bool = True) -> pl.DataFrame:
    """CUR ``ECSTask-EC2`` rows: two per task-hour (vCPU-Hours and GB-Hours)."""
    product = _map({"region": pl.col("region"), "product_name": "Amazon Elastic Container Service"})
    tags = _map(
        {
            "aws_ecs_cluster_name": pl.col("cluster"),
            "aws_ecs_service_name": pl.col("worker"),
            "user_fleet": pl.col("cluster"),
        }
    )
    splits = splits.with_columns(
        _per_key(splits, ["region"], product).alias("_product"),
        _per_key(splits, ["cluster", "worker"], tags).alias("_tags"),
    )
    frames = []
    for resource, usage_suffix, unit in (
        ("vcpu", "vCPU-Hours", "vCPU-Hours"),
        ("gb", "GB-Hours", "GB-Hours"),
    ):
        split_cost = pl.col(f"{resource}_split_cost")
        unused_cost = pl.col(f"{resource}_unused_cost")
        usage_type = pl.format("{}-ECS-EC2-{}", _prefix(), pl.lit(usage_suffix))
        frames.append(
            splits.select(
                _naive(pl.col("hour")).alias("line_item_usage_start_date"),
                pl.format(
                    "arn:aws:ecs:{}:{}:task/{}/{}",
                    "region",
                    pl.lit(ACCOUNT_ID),
                    "cluster",
                    "task_id",
                ).alias("line_item_resource_id"),
                pl.lit("AmazonECS").alias("line_item_product_code"),
                pl.lit("ECSTask-EC2").alias("line_item_operation"),
                usage_type.alias("line_item_usage_type"),
                pl.lit(f"ECS-EC2 {usage_suffix}").alias("line_item_line_item_description"),
                pl.col(f"{resource}_reserved").alias("line_item_usage_amount"),
                pl.lit(0.0).alias("line_item_unblended_cost"),
                pl.lit(0.0).alias("line_item_blended_cost"),
                pl.lit("0.0000000000").alias("line_item_unblended_rate"),
                pl.lit(0.0).alias("pricing_public_on_demand_cost"),
                pl.lit("0.0000000000").alias("pricing_public_on_demand_rate"),
                pl.lit(unit).alias("pricing_unit"),
                pl.lit("OnDemand").alias("pricing_term"),
                pl.lit("Compute Metering").alias("product_product_family"),
                pl.lit("AmazonECS").alias("product_servicecode"),
                pl.col("region").alias("product_region_code"),
                usage_type.alias("product_usagetype"),
                pl.col("_product").alias("product"),
                pl.col("_tags").alias("resource_tags"),
                pl.col("instance_id").alias("split_line_item_parent_resource_id"),
                pl.col(f"{resource}_reserved").alias("split_line_item_reserved_usage"),
                pl.col(f"{resource}_used").alias("split_line_item_actual_usage"),
                pl.col(f"{resource}_alloc").alias("split_line_item_split_usage"),
                (pl.col(f"{resource}_alloc") / pl.col(f"{resource}_den"))
                .cast(pl.String)
                .alias("split_line_item_split_usage_ratio"),
                split_cost.alias("split_line_item_split_cost"),
                unused_cost.alias("split_line_item_unused_cost"),
                split_cost.alias("split_line_item_net_split_cost"),
                unused_cost.alias("split_line_item_net_unused_cost"),
                pl.col(f"od_{resource}_split_cost").alias(
                    "split_line_item_public_on_demand_split_cost"
                ),
                pl.col(f"od_{resource}_unused_cost").alias(
                    "split_line_item_public_on_demand_unused_cost"
                ),
            )
        )
    rows = pl.concat(frames)
    if add_artefacts and splits.height:
        # AWS artefact: split rows with no parent and no cost (CID drops them).
        first = rows.slice(0, 1)
        artefacts = pl.concat(
            [
                first,
                rows.filter(pl.col("line_item_usage_type").str.ends_with("GB-Hours")).slice(0, 1),
            ]
        ).with_columns(
            pl.col("line_item_resource_id").str.replace(r"/[0-9a-f]{32}$", "/" + "0" * 32),
            pl.lit("").alias("split_line_item_parent_resource_id"),
            pl.lit("").alias("split_line_item_split_usage_ratio"),
            *[
                pl.lit(0.0).alias(f"split_line_item_{c}")
                for c in (
                    "split_cost",
                    "unused_cost",
                    "net_split_cost",
                    "net_unused_cost",
                    "public_on_demand_split_cost",
                    "public_on_demand_unused_cost",
                    "actual_usage",
                    "split_usage",
                )
            ],
        )
        rows = pl.concat([rows, artefacts])
    return rows
