"""Spreading FOCUS charges over hours and days, and the compute-pool row filter."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from cost_assets.methodology.charges import apportioned_cost, hourly_charges, is_instance_usage


def _ts(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _focus(rows: list[dict]) -> pl.LazyFrame:
    base = {
        "BillingPeriodStart": _ts(2026, 10, 1),
        "ChargeCategory": "Usage",
        "ChargeClass": None,
        "ChargeFrequency": "Usage-Based",
        "x_ServiceCode": "AmazonS3",
        "ServiceName": "S3",
        "x_Operation": None,
        "SkuMeter": None,
        "ResourceId": None,
        "RegionId": "us-west-2",
        "CommitmentDiscountId": None,
        "CommitmentDiscountStatus": None,
        "Tags": [],
        "InvoiceId": None,
    }
    frame = pl.DataFrame([{**base, **r} for r in rows])
    frame = frame.with_columns(pl.col(pl.Null).cast(pl.String))
    return frame.with_columns(
        pl.col("Tags").cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String})))
    ).lazy()


def test_monthly_charge_is_spread_over_the_hours_of_its_month():
    # 744 hours in October 2026; a day takes 24 of them.
    focus = _focus(
        [
            {
                "ChargePeriodStart": _ts(2026, 10, 1),
                "ChargePeriodEnd": _ts(2026, 11, 1),
                "EffectiveCost": 744.0,
                "ChargeFrequency": "Recurring",
            }
        ]
    )
    hourly = hourly_charges(focus, date(2026, 10, 27), "product", "fleet").collect()
    assert hourly.height == 24
    assert hourly["effective_cost"].to_list() == [1.0] * 24
    total = focus.select(apportioned_cost(date(2026, 10, 27))).collect().item()
    assert total == pytest.approx(24.0)


def test_hourly_and_apportioned_agree_on_partial_and_foreign_periods():
    focus = _focus(
        [
            # 10:30 to 12:30 touches three hour buckets: 10, 11 and 12.
            {
                "ChargePeriodStart": _ts(2026, 10, 27, 10, 30),
                "ChargePeriodEnd": _ts(2026, 10, 27, 12, 30),
                "EffectiveCost": 3.0,
            },
            # A day spanning midnight: half falls on the 27th.
            {
                "ChargePeriodStart": _ts(2026, 10, 26, 12),
                "ChargePeriodEnd": _ts(2026, 10, 27, 12),
                "EffectiveCost": 48.0,
            },
            # Another day entirely: nothing.
            {
                "ChargePeriodStart": _ts(2026, 10, 28),
                "ChargePeriodEnd": _ts(2026, 10, 29),
                "EffectiveCost": 99.0,
            },
            # A correction delivered later for this day.
            {
                "ChargePeriodStart": _ts(2026, 10, 27, 5),
                "ChargePeriodEnd": _ts(2026, 10, 27, 6),
                "EffectiveCost": -2.0,
                "ChargeClass": "Correction",
                "BillingPeriodStart": _ts(2026, 11, 1),
            },
        ]
    )
    hourly = hourly_charges(focus, date(2026, 10, 27), "product", "fleet").collect()
    assert hourly["effective_cost"].sum() == pytest.approx(3.0 + 24.0 - 2.0)
    assert focus.select(apportioned_cost(date(2026, 10, 27))).collect().to_series().sum() == (
        pytest.approx(25.0)
    )
    assert hourly.filter(pl.col("charge_class") == "Correction")["billing_period"].to_list() == [
        "2026-11"
    ]


def test_only_instance_hours_are_compute():
    rows = pl.DataFrame(
        {
            "service_code": ["AmazonEC2"] * 4 + ["AmazonS3"],
            "charge_category": ["Usage"] * 5,
            "resource_id": ["i-1", "i-1", "vol-1", "i-1", "i-1"],
            "sku_meter": [
                "USW2-BoxUsage:m5.large",
                "USW2-DataTransfer-Out-Bytes",
                "USW2-EBS:VolumeUsage.gp3",
                "USW2-BoxUsage:m5.large",
                "x",
            ],
            "commitment_status": [None, None, None, "Unused", None],
        }
    )
    assert rows.select(is_instance_usage())["service_code"].to_list() == [
        True,
        False,
        False,
        False,
        False,
    ]
