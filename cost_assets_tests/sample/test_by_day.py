"""The sample written one day at a time holds the same rows as the sample built in memory.

Both are generated for four days across the October/November period boundary (the closed
October period has its invoice, tax, the correction billed in November); the streamed one
bills six hours at a time, so pieces of a day and days of a period are both crossed.
"""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from cost_assets.sample import (
    cur_delivery,
    focus_delivery,
    generate_sample,
    generate_sample_by_day,
)
from cost_assets.sample.generator import SampleSummary, piece_hours

START = date(2026, 10, 30)
DAYS = 4
SCALE = 2
PERIODS = ("2026-10", "2026-11")
TIME_COLUMN = {"focus": "ChargePeriodStart", "cur": "line_item_usage_start_date"}


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, SampleSummary]:
    in_memory = tmp_path_factory.mktemp("in_memory")
    by_day = tmp_path_factory.mktemp("by_day")
    generate_sample(in_memory, start=START, days=DAYS, scale=SCALE)
    summary = generate_sample_by_day(by_day, start=START, days=DAYS, scale=SCALE, hours_per_piece=6)
    return in_memory, by_day, summary


def _manifest(root: Path, kind: str, period: str) -> dict:
    meta = root / kind / f"cost-assets-{kind}" / "metadata" / f"BILLING_PERIOD={period}"
    return json.loads((meta / f"cost-assets-{kind}-Manifest.json").read_text())


def _delivered(root: Path, kind: str, period: str) -> pl.DataFrame:
    """The rows of every file the period's manifest lists, in a canonical order."""
    keys = _manifest(root, kind, period)["reportKeys"]
    frame = pl.concat([pl.read_parquet(root / key) for key in keys])
    scalars = [c for c, t in frame.schema.items() if not isinstance(t, pl.List)]
    return frame.sort(scalars, nulls_last=True)


@pytest.mark.parametrize("kind", ["focus", "cur"])
@pytest.mark.parametrize("period", PERIODS)
def test_every_export_row_is_the_same(roots, kind: str, period: str) -> None:
    in_memory, by_day, _ = roots
    expected = _delivered(in_memory, kind, period)
    assert expected.height > 0
    # Every column, maps, invoice ids, tax and CUR line item ids included.
    assert_frame_equal(_delivered(by_day, kind, period), expected)


def test_usage_and_reference_files_are_the_same(roots) -> None:
    in_memory, by_day, _ = roots
    files = sorted(
        p.relative_to(in_memory)
        for folder in ("usage", "reference")
        for p in (in_memory / folder).rglob("*")
        if p.is_file()
    )
    assert len([f for f in files if f.parts[0] == "usage"]) == 2 * DAYS
    assert files == sorted(
        p.relative_to(by_day)
        for folder in ("usage", "reference")
        for p in (by_day / folder).rglob("*")
        if p.is_file()
    )
    for rel in files:
        assert (by_day / rel).read_bytes() == (in_memory / rel).read_bytes(), rel


def test_a_chunk_per_day_then_the_periods_own_rows(roots) -> None:
    _, by_day, summary = roots
    for kind in ("focus", "cur"):
        for period in PERIODS:
            manifest = _manifest(by_day, kind, period)
            days = [d for d in summary.per_day["date"] if d.strftime("%Y-%m") == period]
            closing = 1 if kind == "focus" else 0
            assert len(manifest["reportKeys"]) == len(days) + closing
            for key, day in zip(manifest["reportKeys"], days, strict=False):
                times = pl.read_parquet(by_day / key, columns=[TIME_COLUMN[kind]]).to_series()
                assert times.is_sorted()
                assert set(times.dt.date()) == {day}
    # The zero-row stale chunk of the first FOCUS period is still left after the listed ones.
    data = by_day / "focus/cost-assets-focus/data/BILLING_PERIOD=2026-10"
    listed = {by_day / k for k in _manifest(by_day, "focus", "2026-10")["reportKeys"]}
    stale = set(data.glob("*.parquet")) - listed
    assert [pq.read_metadata(p).num_rows for p in stale] == [0]


def test_summary_counts_the_rows_written(roots) -> None:
    in_memory, by_day, summary = roots
    for kind, total in (("focus", summary.focus_rows), ("cur", summary.cur_rows)):
        assert total == sum(_delivered(in_memory, kind, p).height for p in PERIODS)
    assert summary.periods == list(PERIODS)
    assert summary.per_day["date"].to_list() == [date(2026, 10, 30 + d) for d in range(2)] + [
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]
    cur_files = sorted((by_day / "cur").rglob("*.parquet"))
    assert summary.per_day["cur_rows"].to_list() == [
        pq.read_metadata(f).num_rows for f in cur_files
    ]


def test_pieces_divide_a_day_and_stay_near_a_million_cur_rows() -> None:
    assert [piece_hours(s) for s in (1, 300, 1000, 3000, 100_000)] == [24, 12, 6, 2, 1]
    with pytest.raises(ValueError, match="divide 24"):
        generate_sample_by_day(Path("unused"), hours_per_piece=5)


def test_delivery_written_chunk_by_chunk(tmp_path: Path) -> None:
    hours = [datetime(2026, 11, 1, h) for h in range(5)]
    cur = cur_delivery(tmp_path, "2026-11", row_group_rows=2)
    with cur.chunk() as write:
        write(pl.DataFrame({"line_item_usage_start_date": hours[:2]}))
        write(pl.DataFrame({"line_item_usage_start_date": hours[2:3]}))
    cur.write(pl.DataFrame({"line_item_usage_start_date": hours[3:]}))
    paths = cur.close(stale_chunks=1)

    first = pq.ParquetFile(paths[0]).metadata
    assert (first.num_row_groups, first.num_rows) == (2, 3)
    manifest = json.loads(paths[-1].read_text())
    assert [Path(k).name for k in manifest["reportKeys"]] == [
        "cost-assets-cur-00001.snappy.parquet",
        "cost-assets-cur-00002.snappy.parquet",
    ]
    back = pl.concat([pl.read_parquet(tmp_path / k) for k in manifest["reportKeys"]])
    # Line item ids go on from one chunk to the next, as in a single-chunk delivery.
    assert back["identity_line_item_id"].to_list() == [f"2026-11-{n}" for n in range(5)]
    stale = paths[0].parent / "cost-assets-cur-00003.snappy.parquet"
    assert pq.read_metadata(stale).num_rows == 0

    with pytest.raises(ValueError, match="delivered_at"):
        focus_delivery(tmp_path, "2026-11", mode="create_new")
    csv = focus_delivery(
        tmp_path,
        "2026-11",
        mode="create_new",
        fmt="csv",
        delivered_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    with csv.chunk() as write:
        for hour in hours[:2]:
            write(pl.DataFrame({"ChargePeriodStart": [hour], "EffectiveCost": [1.5]}))
    csv_paths = csv.close()
    assert pl.read_csv(csv_paths[0])["EffectiveCost"].to_list() == [1.5, 1.5]
    assert "2026-11-02T00:00:00.000Z-" in csv_paths[0].as_posix()
