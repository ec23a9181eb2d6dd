"""Odd columns and values in the exports and the usage: types that drift between chunks, time
zones and units, missing and extra columns, text numbers, NaN and infinity, negative usage,
and tags no spreadsheet would survive."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cost_assets_tests.bad_input.roots import (
    CUR_DATA,
    FOCUS_DATA,
    PERIOD,
    failure,
    metadata,
    run_raw,
    sample_rows,
    write_tiny_root,
)
from cost_assets_tests.harness import table


def _chunks(root, kind: str) -> list:
    folder = root / (FOCUS_DATA if kind == "focus" else CUR_DATA).format(period=PERIOD)
    return sorted(folder.glob("*.parquet"))


def _rewrite(path, column: str, values: pa.Array | pa.ChunkedArray) -> None:
    chunk = pq.read_table(path)
    index = chunk.column_names.index(column)
    pq.write_table(chunk.set_column(index, column, values), path, compression="snappy")


def _cast(path, column: str, to: pa.DataType) -> None:
    _rewrite(path, column, pq.read_table(path).column(column).cast(to))


def _with_value(frame: pl.DataFrame, column: str, rows: dict[int, object]) -> pl.DataFrame:
    """`frame` with `column` set at 0-based `rows`."""
    values = frame.get_column(column).to_list()
    for row, value in rows.items():
        values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = write_tiny_root(tmp_path_factory.mktemp("baseline"))
    result = run_raw(root, tmp_path_factory.mktemp("warehouse"))
    assert result.success
    return {a: metadata(result, a) for a in ["focus_charges", "cur_task_hours"]}


def test_a_column_int_in_one_chunk_and_double_in_another(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src", rows_per_chunk=150)
    first, second = _chunks(root, "cur")
    vcpu = pq.read_table(first).column("split_line_item_reserved_usage")
    # Reservations in whole units as int64 in one chunk, double in the other.
    whole = pa.array([None if v is None else round(v) for v in vcpu.to_pylist()], pa.int64())
    _rewrite(first, "split_line_item_reserved_usage", whole)
    result = run_raw(root, tmp_path / "wh", assets=["cur_task_hours"])

    assert result.success
    tasks = table(tmp_path / "wh", "cur_task_hours", "2026-10-26")
    assert tasks.schema["vcpu_reserved"] == pl.Float64
    assert (
        metadata(result, "cur_task_hours")["dagster/row_count"]
        == (baseline["cur_task_hours"]["dagster/row_count"])
    )


def test_timestamps_naive_and_utc_ms_and_us_across_chunks(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src", rows_per_chunk=100)
    first, second = _chunks(root, "focus")
    assert len(_chunks(root, "cur")) > 1
    for column in ["ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart"]:
        _cast(first, column, pa.timestamp("us"))  # naive microseconds
        _cast(second, column, pa.timestamp("ms", tz="UTC"))
    cur_second = _chunks(root, "cur")[1]
    for column in ["line_item_usage_start_date", "line_item_usage_end_date"]:
        _cast(cur_second, column, pa.timestamp("us", tz="UTC"))
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges", "cur_task_hours"])

    assert result.success
    focus = metadata(result, "focus_charges")
    assert focus["dollars"] == pytest.approx(baseline["focus_charges"]["dollars"], abs=1e-9)
    assert focus["input_fingerprint"] == baseline["focus_charges"]["input_fingerprint"]
    assert (
        metadata(result, "cur_task_hours")["input_fingerprint"]
        == (baseline["cur_task_hours"]["input_fingerprint"])
    )


def test_required_focus_column_missing_fails_naming_file_and_column(tmp_path):
    root = write_tiny_root(tmp_path / "src")
    (chunk,) = _chunks(root, "focus")
    pq.write_table(pq.read_table(chunk).drop_columns(["ChargePeriodEnd"]), chunk)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert "required column is missing" in message
    assert described["file"] == str(chunk) and described["column"] == "ChargePeriodEnd"


def test_unknown_extra_columns_are_ignored(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src")
    (chunk,) = _chunks(root, "focus")
    rows = pq.read_table(chunk)
    nested = pa.array([{"a": [1, 2], "b": "x"}] * rows.num_rows)
    rows = rows.append_column("x_NewAwsColumn", nested).append_column(
        "effectivecost_v2", pa.array(["n/a"] * rows.num_rows)
    )
    pq.write_table(rows, chunk)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    assert described["input_fingerprint"] == baseline["focus_charges"]["input_fingerprint"]


def test_split_usage_ratio_as_text_with_empty_strings(tmp_path, baseline):
    cur = sample_rows("cur")
    assert cur.schema["split_line_item_split_usage_ratio"] == pl.String
    cur = _with_value(cur, "split_line_item_split_usage_ratio", {0: "", 1: "", 2: " 0.5 "})
    root = write_tiny_root(tmp_path / "src", cur=cur)
    result = run_raw(root, tmp_path / "wh", assets=["cur_task_hours"])

    assert result.success
    assert (
        metadata(result, "cur_task_hours")["dagster/row_count"]
        == (baseline["cur_task_hours"]["dagster/row_count"])
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=str)
def test_nan_and_infinite_costs_fail_naming_file_column_and_rows(tmp_path, fmt, bad):
    focus = _with_value(sample_rows("focus"), "EffectiveCost", {2: bad, 4: bad})
    root = write_tiny_root(tmp_path / "src", focus=focus, fmt=fmt)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert "not a finite number" in message
    assert described["column"] == "EffectiveCost" and described["rows"] == [3, 5]
    assert described["file"].endswith(".csv.gz" if fmt == "csv" else ".snappy.parquet")


def test_negative_usage_fails_naming_file_column_and_rows(tmp_path):
    speech = _with_value(sample_rows("speech"), "audio_hours", {6: -1.5})
    root = write_tiny_root(tmp_path / "src", speech=speech)
    result = run_raw(root, tmp_path / "wh", assets=["usage_hourly"])

    message, described = failure(result, "usage_hourly")
    assert "below the minimum 0" in message
    assert described["file"].endswith("usage/speech/date=2026-10-26/part-0.parquet")
    assert described["column"] == "audio_hours" and described["rows"] == [7]


def test_negative_task_reservation_fails_naming_file_column_and_rows(tmp_path):
    cur = sample_rows("cur")
    first_task_row = cur.with_row_index().filter(pl.col("line_item_operation") == "ECSTask-EC2")
    row = first_task_row["index"][0]
    cur = _with_value(cur, "split_line_item_reserved_usage", {row: -2.0})
    root = write_tiny_root(tmp_path / "src", cur=cur)
    result = run_raw(root, tmp_path / "wh", assets=["cur_task_hours"])

    _, described = failure(result, "cur_rows")
    assert described["column"] == "split_line_item_reserved_usage"
    assert described["rows"] == [row + 1]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_tags_with_non_ascii_and_very_long_values_are_kept_exactly(tmp_path, fmt):
    product = "transcribe-live-ünïcødé-日本語-🎙️"
    long_value = "x" * 100_000 + "-end"
    focus = sample_rows("focus")
    tags = [
        [{"key": "product", "value": product}, {"key": "note", "value": long_value}],
        [{"key": "ключ", "value": 'значение "quoted", comma\nnewline'}],
    ]
    focus = focus.with_columns(
        pl.Series("Tags", tags + focus["Tags"].to_list()[2:], dtype=focus.schema["Tags"])
    )
    root = write_tiny_root(tmp_path / "src", focus=focus, fmt=fmt)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    charges = table(tmp_path / "wh", "focus_charges", "2026-10-26")
    assert product in charges["tag_product"].to_list()
