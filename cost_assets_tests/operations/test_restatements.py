"""AWS re-delivers an open billing period: the sensor re-runs exactly the days that changed."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from cost_assets.automation import open_billing_periods
from cost_assets.definitions import defs
from cost_assets.partitions import is_provisional
from cost_assets.sample.exports import write_focus_export
from cost_assets_tests.harness import materialize_days, storage, table

SAMPLE = Path(__file__).resolve().parents[2] / "sample_exports"
DAYS = ["2026-11-05", "2026-11-06", "2026-11-07"]
S3_EXTRA_USD = 10.0


def _november_focus(root: Path) -> pl.DataFrame:
    files = sorted((root / "focus").glob("*/data/BILLING_PERIOD=2026-11/**/*.parquet"))
    frame = pl.concat([pl.read_parquet(f) for f in files])
    maps = [c for c, t in frame.schema.items() if isinstance(t, pl.Map)]
    return frame.with_columns(
        [pl.col(c).cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String}))) for c in maps]
    )


def _raise_one_s3_hour(frame: pl.DataFrame, day: int) -> pl.DataFrame:
    """+10 USD on the first S3 row of one day: a restated charge."""
    on_day = (pl.col("ChargePeriodStart").dt.day() == day) & (pl.col("x_ServiceCode") == "AmazonS3")
    first = frame.with_row_index("_i").filter(on_day)["_i"][0]
    return (
        frame.with_row_index("_i")
        .with_columns(
            pl.when(pl.col("_i") == first)
            .then(pl.col("EffectiveCost") + S3_EXTRA_USD)
            .otherwise(pl.col("EffectiveCost"))
            .alias("EffectiveCost")
        )
        .drop("_i")
    )


def _evaluate_sensor(instance: dg.DagsterInstance, sources: Path, warehouse: Path, cursor=None):
    sensor = defs.resolve_sensor_def("export_restatements")
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"storage": storage(sources, warehouse)},
        definitions=defs,
    ) as context:
        result = sensor.evaluate_tick(context)
    return result, result.cursor


@pytest.fixture
def materialized(tmp_path, monkeypatch):
    monkeypatch.setenv("COST_ASSETS_TODAY", "2026-11-10")
    sources = tmp_path / "sources"
    shutil.copytree(SAMPLE, sources)
    warehouse = tmp_path / "warehouse"
    instance = dg.DagsterInstance.ephemeral()
    materialize_days(sources, warehouse, DAYS, instance=instance)
    return sources, warehouse, instance


@pytest.mark.parametrize("mode", ["overwrite", "create_new"])
def test_a_redelivery_reruns_exactly_the_changed_day(materialized, mode):
    sources, warehouse, instance = materialized
    before = {d: table(warehouse, "unit_costs_hourly", d)["cost_usd"].sum() for d in DAYS}

    # An unchanged tick asks for nothing.
    result, cursor = _evaluate_sensor(instance, sources, warehouse)
    assert result.run_requests == []

    restated = _raise_one_s3_hour(_november_focus(sources), day=6)
    write_focus_export(
        sources,
        "2026-11",
        restated,
        mode=mode,
        execution_id="restated-0001" if mode == "create_new" else None,
        delivered_at=datetime(2026, 11, 9, 12, tzinfo=UTC),
    )
    result, cursor = _evaluate_sensor(instance, sources, warehouse, cursor)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-06"]

    materialize_days(sources, warehouse, ["2026-11-06"], instance=instance)
    after = {d: table(warehouse, "unit_costs_hourly", d)["cost_usd"].sum() for d in DAYS}
    assert after["2026-11-06"] == pytest.approx(before["2026-11-06"] + S3_EXTRA_USD, abs=1e-6)
    assert after["2026-11-05"] == pytest.approx(before["2026-11-05"], abs=1e-9)
    assert after["2026-11-07"] == pytest.approx(before["2026-11-07"], abs=1e-9)

    # The same delivery seen again asks for nothing more.
    result, _ = _evaluate_sensor(instance, sources, warehouse, cursor)
    assert result.run_requests == []


def test_open_periods_and_provisional_days():
    from datetime import date

    assert open_billing_periods(date(2026, 11, 10)) == ["2026-10", "2026-11"]
    assert open_billing_periods(date(2026, 11, 16)) == ["2026-11"]
    assert is_provisional(date(2026, 10, 27), on=date(2026, 11, 15))
    assert not is_provisional(date(2026, 10, 27), on=date(2026, 11, 16))
    assert is_provisional(date(2026, 11, 30), on=date(2026, 12, 4))


def test_schedules_target_yesterday_and_its_month():
    from datetime import date

    from cost_assets.automation import month_of_yesterday

    daily = defs.resolve_schedule_def("daily_unit_costs_schedule")
    assert daily.cron_schedule == "0 6 * * *"
    monthly = defs.resolve_schedule_def("monthly_cogs_schedule")
    with dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 1, 8, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    ) as context:
        request = monthly.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-10-01"
    assert month_of_yesterday(date(2026, 11, 2)) == "2026-11-01"
