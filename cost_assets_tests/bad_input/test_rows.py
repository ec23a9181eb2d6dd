"""Odd rows: repeated across chunks, dated outside their billing period, corrections from later
periods, and tasks that reserve more than their instance has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from cost_assets.sample.exports import write_focus_export
from cost_assets_tests.bad_input.roots import (
    DAY,
    failure,
    metadata,
    run_raw,
    sample_rows,
    write_tiny_root,
)
from cost_assets_tests.harness import check_results, materialize_days, table


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = write_tiny_root(tmp_path_factory.mktemp("baseline"))
    result = run_raw(root, tmp_path_factory.mktemp("warehouse"))
    assert result.success
    return {a: metadata(result, a) for a in ["focus_charges", "cur_task_hours"]}


def _charge(start: datetime, cost: float, charge_class: str | None = None) -> pl.DataFrame:
    """One EC2 charge of an hour, billed in whichever period it is delivered with."""
    row = sample_rows("focus").head(1).drop("BillingPeriodStart", "BillingPeriodEnd")
    return row.with_columns(
        pl.lit(start).dt.cast_time_unit("ms").alias("ChargePeriodStart"),
        pl.lit(start + timedelta(hours=1)).dt.cast_time_unit("ms").alias("ChargePeriodEnd"),
        pl.lit(cost).alias("EffectiveCost"),
        pl.lit(cost).alias("BilledCost"),
        pl.lit(charge_class, dtype=pl.String).alias("ChargeClass"),
    )


def test_rows_duplicated_across_chunks_are_kept_and_counted(tmp_path, baseline):
    focus = sample_rows("focus")
    repeated = pl.concat([focus, focus.head(3)])
    cur = sample_rows("cur")
    root = write_tiny_root(
        tmp_path / "src",
        focus=repeated,
        cur=pl.concat([cur, cur.head(2)]),
        rows_per_chunk=focus.height,
    )
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges", "cur_task_hours"])

    assert result.success
    described = metadata(result, "focus_charges")
    copies = float(focus.head(3)["EffectiveCost"].sum())
    assert described["duplicate_rows_across_files"] == 3
    assert described["duplicate_rows_effective_cost"] == pytest.approx(copies, abs=1e-9)
    assert len(described["duplicate_row_files"]) == 2
    assert described["dollars"] == pytest.approx(
        baseline["focus_charges"]["dollars"] + copies, abs=1e-9
    )
    assert metadata(result, "cur_task_hours")["duplicate_rows_across_files"] == 2


def test_row_dated_before_its_billing_period_lands_on_its_day_and_is_counted(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src")
    late = _charge(datetime(2026, 10, 26, 1, tzinfo=UTC), 7.25)
    write_focus_export(root, "2026-11", late)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    assert described["outside_billing_period"] == {
        "rows": 1,
        "effective_cost": 7.25,
        "billing_periods": ["2026-11"],
    }
    assert described["dollars"] == pytest.approx(
        baseline["focus_charges"]["dollars"] + 7.25, abs=1e-9
    )


def test_row_dated_after_its_billing_period_fails_naming_file_column_and_row(tmp_path):
    focus = sample_rows("focus")
    stray = focus.head(1).with_columns(
        pl.col("ChargePeriodStart").dt.offset_by("10d"),
        pl.col("ChargePeriodEnd").dt.offset_by("10d"),
    )
    root = write_tiny_root(tmp_path / "src", focus=pl.concat([focus, stray]))
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert "after its billing period ends" in message
    assert described["column"] == "ChargePeriodStart" and described["rows"] == [focus.height + 1]


def test_correction_two_periods_later_lands_on_the_day_it_names(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src")
    correction = _charge(datetime(2026, 10, 26, 0, tzinfo=UTC), -5.5, "Correction")
    write_focus_export(root, "2026-12", correction)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    assert described["corrections"] == 1
    assert described["outside_billing_period"]["billing_periods"] == ["2026-12"]
    assert described["dollars"] == pytest.approx(
        baseline["focus_charges"]["dollars"] - 5.5, abs=1e-9
    )
    charges = table(tmp_path / "wh", "focus_charges", DAY)
    assert charges.filter(pl.col("charge_class") == "Correction")["billing_period"].to_list() == [
        "2026-12"
    ]


def test_correction_beyond_reach_is_counted_with_its_dollars(tmp_path, baseline):
    # Delivered with October, for July: three periods back, where no day reads October.
    july = _charge(datetime(2026, 7, 3, 0, tzinfo=UTC), 3.0, "Correction")
    focus = pl.concat([sample_rows("focus"), july], how="diagonal_relaxed")
    root = write_tiny_root(tmp_path / "src", focus=focus)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    assert described["out_of_reach"] == {"rows": 1, "effective_cost": 3.0}
    assert described["dollars"] == pytest.approx(baseline["focus_charges"]["dollars"], abs=1e-9)


def test_task_reserving_more_than_its_instance_is_counted_and_conserves_money(tmp_path):
    cur = sample_rows("cur")
    task_rows = cur.with_row_index().filter(
        (pl.col("line_item_operation") == "ECSTask-EC2")
        & pl.col("line_item_usage_type").str.ends_with("vCPU-Hours")
    )
    row = task_rows["index"][0]
    values = cur["split_line_item_reserved_usage"].to_list()
    values[row] = 10_000.0
    cur = cur.with_columns(pl.Series("split_line_item_reserved_usage", values))
    root = write_tiny_root(tmp_path / "src", cur=cur)
    (result,) = materialize_days(root, tmp_path / "wh", [DAY], raise_on_error=False)

    assert result.success
    described = metadata(result, "cur_task_hours")
    assert described["task_hours_reserving_more_than_instance"] == 1
    assert described["instance_hours_overcommitted"] == 1
    checks = check_results(result)
    assert checks and all(c.passed for c in checks.values()), [
        k for k, c in checks.items() if not c.passed
    ]
