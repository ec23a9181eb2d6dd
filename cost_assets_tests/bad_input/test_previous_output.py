"""A day that fails on bad input keeps every table it had: nothing lost, nothing mixed."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cost_assets_tests.bad_input.roots import DAY, sample_rows, write_tiny_root
from cost_assets_tests.harness import materialize_days


def _nan_cost(root: Path) -> None:
    focus = sample_rows("focus").with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(float("nan"))
        .otherwise(pl.col("EffectiveCost"))
        .alias("EffectiveCost")
    )
    write_tiny_root(root, focus=focus)


def _negative_usage(root: Path) -> None:
    speech = sample_rows("speech").with_columns(pl.lit(-1.0).alias("audio_hours"))
    write_tiny_root(root, speech=speech)


def _duplicate_worker(root: Path) -> None:
    write_tiny_root(root)
    workers = root / "reference" / "workers.csv"
    lines = workers.read_text().splitlines()
    workers.write_text("\n".join([*lines, lines[1]]) + "\n")


def _stored(warehouse: Path) -> dict[Path, pl.DataFrame]:
    return {p: pl.read_parquet(p) for p in sorted(warehouse.rglob("*.parquet"))}


@pytest.mark.parametrize(
    ("breakage", "step"),
    [
        (_nan_cost, "focus_charges"),
        (_negative_usage, "usage_hourly"),
        (_duplicate_worker, "reference_data"),
    ],
)
def test_a_failed_day_keeps_its_last_good_output(tmp_path, breakage, step):
    warehouse = tmp_path / "wh"
    good, bad = tmp_path / "good", tmp_path / "bad"
    write_tiny_root(good)
    breakage(bad)
    assert materialize_days(good, warehouse, [DAY])[0].success
    before = _stored(warehouse)
    assert any("unit_costs_hourly" in p.as_posix() for p in before)

    (result,) = materialize_days(bad, warehouse, [DAY], raise_on_error=False)

    assert not result.success
    assert [f.step_key for f in result.get_step_failure_events()] == [step]
    after = _stored(warehouse)
    assert after.keys() == before.keys()
    for path, frame in before.items():
        # Raw assets that did not fail were re-read: same rows, maybe in another order.
        assert_frame_equal(after[path], frame, check_row_order=False)
