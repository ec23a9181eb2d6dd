"""Layer 2 as a pure function: the cascade conserves money for any rows and drivers.

The golden scenarios (``scenarios/shared``) check the shares; here Hypothesis draws shared
rows of every tier (regional and global, tagged, Bedrock, unused commitment, tax) against
drivers that are often zero, and the day's dollars must come out whole, in their own tier.
"""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_assets.methodology import shared
from cost_assets.methodology.charges import CHARGE_COLUMNS

START = datetime(2026, 11, 10, tzinfo=UTC)
HOURS = [START + timedelta(hours=h) for h in range(3)]
REGIONS = ["us-west-2", "us-east-1"]
PRODUCTS = ["live", "batch", "notes", "assistant"]
LLAMA = "meta.llama3-70b-instruct-v1:0"

REFERENCE = {
    "product_lines": pl.LazyFrame(
        {
            "product": PRODUCTS,
            "intensity_weight": [1.0, 0.0, 2.0, 1.5],
            "fixed_split": [True, True, False, False],
        }
    ),
    "shared_services": pl.LazyFrame(
        {
            "service_code": ["AWSELB", "AmazonECR", "AWSCloudTrail", "AmazonS3"],
            "tier": ["requests", "containers", "fixed", "fallback"],
        }
    ),
    "workers": pl.LazyFrame({"worker": ["asr", "llm"], "unit": ["audio_hours", "tokens"]}),
    "worker_configs": pl.LazyFrame(
        {"worker": ["asr", "asr", "llm"], "product": ["live", "batch", "notes"]}
    ),
    "product_calendar": pl.LazyFrame(
        {
            "product": ["live", "batch", "notes", "notes", "assistant"],
            "model": ["fast", "large", "fast", "sum", LLAMA],
            "unit": ["audio_hours", "audio_hours", "audio_hours", "tokens", "tokens"],
        }
    ),
}
SERVICES = ["AWSELB", "AmazonECR", "AWSCloudTrail", "AmazonS3", "AmazonDynamoDB", "AmazonBedrock"]

money = st.one_of(
    st.just(0.0), st.floats(min_value=-50, max_value=500, allow_nan=False, allow_infinity=False)
)
driver = st.one_of(st.just(0.0), st.floats(min_value=0, max_value=1e6, allow_nan=False))

charge_rows = st.lists(
    st.fixed_dictionaries(
        {
            "hour": st.sampled_from(HOURS),
            "region": st.sampled_from([*REGIONS, None]),
            "service_code": st.sampled_from(SERVICES),
            "tag_product": st.sampled_from([None, "live", "unknown-line"]),
            "commitment_status": st.sampled_from([None, None, "Unused"]),
            "charge_category": st.sampled_from(["Usage", "Usage", "Tax"]),
            "resource_id": st.sampled_from(
                ["", f"arn:aws:bedrock:us-west-2::foundation-model/{LLAMA}", "model/unknown"]
            ),
            "effective_cost": money,
        }
    ),
    min_size=1,
    max_size=12,
)
usage_rows = st.lists(
    st.fixed_dictionaries(
        {
            "hour": st.sampled_from(HOURS),
            "region": st.sampled_from(REGIONS),
            "product_model": st.sampled_from(
                [
                    ("live", "fast"),
                    ("batch", "large"),
                    ("notes", "fast"),
                    ("notes", "sum"),
                    ("assistant", LLAMA),
                ]
            ),
            "worker": st.sampled_from(["asr", "llm", "router"]),
            "audio_hours": driver,
            "requests": driver,
            "tokens": driver,
        }
    ),
    max_size=10,
)
compute_rows = st.lists(
    st.fixed_dictionaries(
        {
            "hour": st.sampled_from(HOURS),
            "region": st.sampled_from(REGIONS),
            "worker": st.sampled_from(["asr", "llm"]),
            "product_model": st.sampled_from([("live", "fast"), ("notes", "sum")]),
            "cost_usd": driver,
        }
    ),
    max_size=6,
)


CHARGE_SCHEMA = {
    c: pl.Datetime("us", "UTC")
    if c == "hour"
    else pl.Float64
    if c == "effective_cost"
    else pl.String
    for c in CHARGE_COLUMNS
}


def _charges(rows: list[dict]) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=CHARGE_SCHEMA).lazy()


def _usage(rows: list[dict]) -> pl.LazyFrame:
    if not rows:
        return pl.LazyFrame(
            schema={
                "hour": pl.Datetime("us", "UTC"),
                "region": pl.String,
                "product": pl.String,
                "model": pl.String,
                "worker": pl.String,
                "audio_hours": pl.Float64,
                "requests": pl.Float64,
                "tokens": pl.Float64,
            }
        )
    return (
        pl.DataFrame(rows, schema_overrides={"hour": pl.Datetime("us", "UTC")})
        .with_columns(
            pl.col("product_model").list.get(0).alias("product"),
            pl.col("product_model").list.get(1).alias("model"),
        )
        .drop("product_model")
        .lazy()
    )


def _compute(rows: list[dict]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(task costs, product compute costs) of the same compute rows."""
    schema = {"hour": pl.Datetime("us", "UTC"), "region": pl.String, "worker": pl.String}
    if not rows:
        tasks = pl.LazyFrame(schema={**schema, "task_id": pl.String, "is_daemon": pl.Boolean})
        costs = pl.LazyFrame(
            schema={**schema, "product": pl.String, "model": pl.String, "cost_usd": pl.Float64}
        )
        return tasks, costs
    frame = _usage(rows).collect()
    tasks = frame.with_columns(
        pl.format("task-{}", pl.int_range(pl.len())).alias("task_id"),
        pl.lit(False).alias("is_daemon"),
    )
    return tasks.lazy(), frame.lazy()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(charges=charge_rows, usage=usage_rows, compute=compute_rows)
def test_cascade_conserves_money_within_each_tier(charges, usage, compute):
    frame = _charges(charges)
    tasks, costs = _compute(compute)
    pool = pl.LazyFrame(schema={"hour": pl.Datetime("us", "UTC"), "instance_id": pl.String})
    out, excluded = shared.shared_costs(
        frame, pool, ["Tax"], _usage(usage), tasks, costs, REFERENCE
    )
    out, excluded = out.collect(), excluded.collect()

    rows = pl.DataFrame(charges, schema_overrides={"effective_cost": pl.Float64})
    kept = rows.filter(pl.col("charge_category") != "Tax")
    assert out["cost_usd"].sum() + excluded["effective_cost"].sum() == pytest.approx(
        rows["effective_cost"].sum(), abs=1e-6
    )
    assert out["cost_usd"].sum() == pytest.approx(kept["effective_cost"].sum(), abs=1e-6)

    # The zero-weight guard: every row keeps the tier it matched, whatever its drivers.
    tiers_in = (
        shared.assign_tiers(
            _charges(kept.to_dicts()),
            REFERENCE["product_lines"],
            REFERENCE["shared_services"],
        )
        .group_by("tier")
        .agg(pl.col("effective_cost").sum())
        .collect()
    )
    tiers_out = out.group_by("tier").agg(pl.col("cost_usd").sum())
    expected = {t: pytest.approx(c, abs=1e-6) for t, c in tiers_in.iter_rows()}
    assert dict(tiers_out.iter_rows()) == expected

    assert (
        out.select(pl.col("product", "model", "region", "step").null_count())
        .sum_horizontal()
        .item()
        == 0
    )
