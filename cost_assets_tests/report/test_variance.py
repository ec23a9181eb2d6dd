"""The variance decomposition is exact on hand-made periods, appearing and disappearing too."""

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_assets.methodology import variance as rules

BASE, CURRENT = date(2026, 10, 1), date(2026, 11, 1)
CLASSES = ["in_use", "idle_reserved", "dark_reserved", "unused_commitment", "shared_service"]


def period(rows: list[tuple]) -> pl.LazyFrame:
    """(product, units, in_use, idle, dark, unused commitment, shared) per row."""
    return pl.LazyFrame(
        [
            {
                "product": product,
                "model": "m1",
                "region": "us-west-2",
                "unit": "audio_hours",
                "units": float(units),
                **{f"{c}_usd": float(v) for c, v in zip(CLASSES, costs, strict=True)},
            }
            for product, units, *costs in rows
        ]
    )


def decompose(base: list[tuple], current: list[tuple]) -> pl.DataFrame:
    return rules.decompose(period(base), period(current), BASE, CURRENT).collect()


def assert_exact(frame: pl.DataFrame) -> None:
    for row in frame.iter_rows(named=True):
        per_unit = sum(row[p] for p in rules.PER_UNIT_PARTS)
        assert per_unit == pytest.approx(row["delta_usd_per_unit"], abs=1e-12)
        # To the cent in dollars, at the larger of the two volumes.
        weight = max(row["units"], row["units_base"])
        assert abs(per_unit - row["delta_usd_per_unit"]) * weight < 0.005
        assert sum(row[p] for p in rules.DOLLAR_PARTS) == pytest.approx(
            row["delta_cost_usd"], abs=1e-9
        )
    residuals = rules.largest_residuals(frame)
    assert residuals["per_unit"] < 1e-12 and residuals["dollars"] < 1e-9


def test_continuing_product_splits_into_volume_efficiency_and_overheads():
    frame = decompose(
        [("a", 100, 50, 20, 10, 5, 15)],
        [("a", 150, 70, 25, 5, 6, 18)],
    )
    row = frame.row(0, named=True)
    assert row["status"] == "continuing"
    assert row["usd_per_unit_base"] == pytest.approx(100 / 100)
    assert row["usd_per_unit"] == pytest.approx(124 / 150)
    assert row["delta_usd_per_unit"] == pytest.approx(124 / 150 - 1.0)
    # The base overhead (20 + 10 + 5 + 15 = 50 USD) spread over 150 units instead of 100.
    assert row["volume_per_unit"] == pytest.approx(50 * (1 / 150 - 1 / 100))
    assert row["in_use_per_unit"] == pytest.approx(70 / 150 - 50 / 100)
    assert row["idle_reserved_per_unit"] == pytest.approx((25 - 20) / 150)
    assert row["dark_reserved_per_unit"] == pytest.approx((5 - 10) / 150)
    assert row["unused_commitment_per_unit"] == pytest.approx((6 - 5) / 150)
    assert row["shared_service_per_unit"] == pytest.approx((18 - 15) / 150)
    # Dollars: 50 more units at the old in-use rate of 0.5, the rest is efficiency.
    assert row["delta_cost_usd"] == pytest.approx(24.0)
    assert row["traffic_usd"] == pytest.approx(25.0)
    assert row["in_use_efficiency_usd"] == pytest.approx(20.0 - 25.0)
    assert row["dark_reserved_delta_usd"] == pytest.approx(-5.0)
    assert_exact(frame)


def test_appearing_disappearing_and_unitless_products_follow_the_rule():
    frame = decompose(
        [("stays", 10, 4, 1, 0, 0, 1), ("goes", 20, 8, 2, 1, 1, 2), ("no_units", 0, 3, 1, 0, 0, 0)],
        [
            ("stays", 10, 4, 1, 0, 0, 1),
            ("comes", 40, 10, 2, 2, 0, 6),
            ("no_units", 0, 5, 1, 0, 0, 1),
        ],
    )
    rows = {r["product"]: r for r in frame.iter_rows(named=True)}
    assert {p: r["status"] for p, r in rows.items()} == {
        "stays": "continuing",
        "goes": "disappeared",
        "comes": "appeared",
        "no_units": "no_units",
    }

    comes = rows["comes"]
    assert comes["usd_per_unit_base"] is None
    assert comes["delta_usd_per_unit"] == pytest.approx(20 / 40)
    assert comes["volume_per_unit"] == 0.0
    assert comes["in_use_per_unit"] == pytest.approx(10 / 40)
    assert comes["shared_service_per_unit"] == pytest.approx(6 / 40)
    assert comes["delta_cost_usd"] == pytest.approx(20.0)

    goes = rows["goes"]
    assert goes["usd_per_unit"] is None
    assert goes["delta_usd_per_unit"] == pytest.approx(-14 / 20)
    assert goes["idle_reserved_per_unit"] == pytest.approx(-2 / 20)
    assert goes["traffic_usd"] == pytest.approx(-8.0)
    assert goes["delta_cost_usd"] == pytest.approx(-14.0)

    stays = rows["stays"]
    assert all(stays[p] == pytest.approx(0.0) for p in rules.PER_UNIT_PARTS + rules.DOLLAR_PARTS)

    # No units in either period: no rate, but the dollars still move and are explained.
    none = rows["no_units"]
    assert none["delta_usd_per_unit"] == 0.0
    assert none["delta_cost_usd"] == pytest.approx(3.0)
    assert none["in_use_efficiency_usd"] == pytest.approx(2.0)
    assert_exact(frame)

    steps = rules.waterfall(frame)
    assert steps[0] == ("base period", pytest.approx(frame["cost_usd_base"].sum()))
    assert steps[-1][1] == pytest.approx(steps[0][1] + sum(v for _, v in steps[1:-1]))


amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
units = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e9))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(units, *[amounts] * 5), min_size=1, max_size=4), st.data())
def test_parts_always_sum_to_the_total(base_rows, data):
    current_rows = data.draw(st.lists(st.tuples(units, *[amounts] * 5), min_size=1, max_size=4))
    frame = decompose(
        [(f"p{n}", *r) for n, r in enumerate(base_rows)],
        [(f"p{n}", *r) for n, r in enumerate(current_rows)],
    )
    for row in frame.iter_rows(named=True):
        per_unit = sum(row[p] for p in rules.PER_UNIT_PARTS)
        scale = max(abs(row["usd_per_unit"] or 0), abs(row["usd_per_unit_base"] or 0), 1e-300)
        assert abs(per_unit - row["delta_usd_per_unit"]) <= 1e-9 * scale
        # Floating point: the error is relative to the largest part (rounding, not method).
        dollars = sum(row[p] for p in rules.DOLLAR_PARTS)
        largest = max(abs(row[p]) for p in rules.DOLLAR_PARTS + ["cost_usd", "cost_usd_base"])
        assert abs(dollars - row["delta_cost_usd"]) <= 1e-12 * max(largest, 1.0)


def test_annotations_reach_the_rows_they_concern():
    variance = pl.LazyFrame(
        {
            "product": ["live", "batch", "studio"],
            "model": ["asr-v4", "asr-large", "tts"],
            "region": ["us-west-2"] * 3,
        }
    )
    notes = pl.LazyFrame(
        {
            "date": [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3), date(2026, 9, 1)],
            "worker": [None, "asr-batch", None, None],
            "model": ["asr-v4", None, None, "tts"],
            "note": ["v4 GA", "ja launch", "savings plan bought", "too early"],
        },
        schema_overrides={"worker": pl.String, "model": pl.String},
    )
    configs = pl.LazyFrame(
        {"worker": ["asr-batch"], "product": ["batch"], "model": ["asr-large"], "language": [None]},
        schema_overrides={"language": pl.String},
    )
    frame = rules.with_annotations(
        variance, notes, configs, date(2026, 10, 1), date(2026, 11, 30)
    ).collect()
    by_product = dict(zip(frame["product"], frame["annotations"], strict=True))
    assert by_product == {
        "live": "2026-11-01 v4 GA; 2026-11-03 savings plan bought",
        "batch": "2026-11-02 ja launch; 2026-11-03 savings plan bought",
        "studio": "2026-11-03 savings plan bought",
    }
    assert frame["product"].to_list() == ["live", "batch", "studio"]
