"""The allocation mechanism: exact shares on a hand example, and conservation for any input."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_assets.methodology.allocate import Level, allocate, even_drivers


def test_first_level_with_a_driver_takes_the_row():
    costs = pl.LazyFrame(
        {"hour": [1, 2, 3], "worker": ["a", "a", "b"], "cost_usd": [10.0, 6.0, 4.0]}
    )
    hourly = pl.LazyFrame(
        {"hour": [1, 1], "worker": ["a", "a"], "product": ["x", "y"], "weight": [3.0, 1.0]}
    )
    trailing = pl.LazyFrame({"worker": ["a"], "product": ["z"], "weight": [5.0]})
    catalog = even_drivers(pl.LazyFrame({"worker": ["b", "b"], "product": ["p", "q"]}))
    levels = [
        Level("hour", hourly, on=("hour", "worker")),
        Level("trailing", trailing, on=("worker",)),
        Level("catalog", catalog, on=("worker",)),
    ]
    out = allocate(costs, levels, ["product"], {"product": "unattributed"}).collect()
    got = {(r["hour"], r["product"], r["step"]): r["cost_usd"] for r in out.iter_rows(named=True)}
    assert got == {
        (1, "x", "hour"): 7.5,
        (1, "y", "hour"): 2.5,
        (2, "z", "trailing"): 6.0,
        (3, "p", "catalog"): 2.0,
        (3, "q", "catalog"): 2.0,
    }


def test_zero_driver_widens_and_unplaced_dollars_are_named():
    costs = pl.LazyFrame({"region": ["r1", "r2"], "cost_usd": [3.0, -1.5]})
    zero_in_r1 = pl.LazyFrame({"region": ["r1"], "product": ["x"], "weight": [0.0]})
    day = pl.LazyFrame({"product": ["x", "y"], "weight": [1.0, 2.0]})
    out = allocate(
        costs.filter(pl.col("region") == "r1"),
        [Level("hour_region", zero_in_r1, on=("region",)), Level("day_all", day, on=())],
        ["product"],
        {"product": "unattributed"},
    ).collect()
    assert out.sort("product")["cost_usd"].to_list() == pytest.approx([1.0, 2.0])
    assert set(out["step"]) == {"day_all"}

    nothing = allocate(costs, [], ["product"], {"product": "unattributed"}).collect()
    assert nothing["product"].to_list() == ["unattributed", "unattributed"]
    assert nothing["cost_usd"].sum() == pytest.approx(1.5)


@settings(max_examples=60, deadline=None)
@given(
    costs=st.lists(
        st.tuples(st.integers(0, 3), st.floats(-1e4, 1e4, allow_nan=False)), max_size=20
    ),
    drivers=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from("abcd"), st.floats(0, 1e3)), max_size=20
    ),
    fallback=st.lists(st.sampled_from("abcd"), max_size=3),
)
def test_allocation_conserves_money(costs, drivers, fallback):
    """Whatever the drivers (zeros included), Σ out = Σ in per key; no negative from positive."""
    cost_frame = pl.LazyFrame(
        {"key": [k for k, _ in costs], "cost_usd": [c for _, c in costs]},
        schema={"key": pl.Int64, "cost_usd": pl.Float64},
    )
    driver_frame = pl.LazyFrame(
        {
            "key": [k for k, _, _ in drivers],
            "target": [t for _, t, _ in drivers],
            "weight": [w for _, _, w in drivers],
        },
        schema={"key": pl.Int64, "target": pl.String, "weight": pl.Float64},
    )
    even = even_drivers(pl.LazyFrame({"target": fallback}, schema={"target": pl.String}))
    out = allocate(
        cost_frame,
        [Level("driver", driver_frame, on=("key",)), Level("even", even, on=())],
        ["target"],
        {"target": "unattributed"},
    ).collect()
    assert out["cost_usd"].sum() == pytest.approx(sum(c for _, c in costs), abs=1e-6)
    for key in {k for k, _ in costs}:
        got = out.filter(pl.col("key") == key)["cost_usd"].sum()
        assert got == pytest.approx(sum(c for k, c in costs if k == key), abs=1e-6)
    if all(c >= 0 for _, c in costs):
        assert (out["cost_usd"] >= 0).all()


def test_levels_after_every_row_is_placed_are_not_read():
    """Once every cost row is placed, the later levels' drivers are never computed: a
    trailing window of many days costs nothing on a day that needs none of it."""
    costs = pl.LazyFrame({"worker": ["a"], "cost_usd": [4.0]})
    first = pl.LazyFrame({"worker": ["a"], "product": ["x"], "weight": [1.0]})
    # Reading this level fails: the column it names does not exist.
    unread = pl.LazyFrame({"worker": ["a"]}).select(
        "worker", pl.col("missing").alias("product"), pl.lit(1.0).alias("weight")
    )
    levels = [Level("first", first, on=("worker",)), Level("unread", unread, on=("worker",))]
    out = allocate(costs, levels, ["product"], {"product": "unattributed"}).collect()
    assert out.select("product", "step", "cost_usd").rows() == [("x", "first", 4.0)]
