"""Reading one day of usage telemetry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from cost_assets.errors import InputError
from cost_assets.sources.schemas import LLM_USAGE_COLUMNS, TIMESTAMP_DTYPE
from cost_assets.sources.storage import open_store
from cost_assets.sources.usage import read_usage
from cost_assets_tests.sources.builders import START, write_parquet

DAY = date(2026, 10, 1)


def _llm(hours: list[datetime]) -> pa.Table:
    rows = len(hours)
    return pa.table(
        {
            "hour": pa.array(hours, pa.timestamp("ms")),
            "region": ["us-west-2"] * rows,
            "product": ["agent"] * rows,
            "worker": ["llm-api"] * rows,
            "llm_model": ["meta.llama3-70b-instruct-v1:0"] * rows,
            "input_tokens": pa.array([100] * rows, pa.int64()),
            "output_tokens": pa.array([10.0] * rows),
            "requests": pa.array([1] * rows, pa.int32()),
            "extra": ["ignored"] * rows,
        }
    )


def test_reads_and_normalises_a_day(tmp_path):
    folder = f"usage/llm/date={DAY.isoformat()}"
    write_parquet(tmp_path, f"{folder}/part-0.parquet", _llm([START, START + timedelta(hours=1)]))
    write_parquet(tmp_path, f"{folder}/part-1.parquet", _llm([START + timedelta(days=1)]))

    frame, metadata = read_usage(open_store(str(tmp_path)), "llm", DAY)
    assert frame.columns == list(LLM_USAGE_COLUMNS)
    assert frame.schema["hour"] == TIMESTAMP_DTYPE
    assert frame["input_tokens"].to_list() == [100.0, 100.0, 100.0]
    assert metadata["rows"] == 3 and metadata["file_count"] == 2
    assert metadata["rows_outside_day"] == 1


def test_missing_day_is_empty_with_schema(tmp_path):
    frame, metadata = read_usage(open_store(str(tmp_path)), "speech", DAY)
    assert frame.height == 0 and frame.schema["hour"] == TIMESTAMP_DTYPE
    assert "language" in frame.columns
    assert metadata["rows"] == 0 and "no usage" in metadata["note"]


def test_missing_column_names_file_and_column(tmp_path):
    key = f"usage/llm/date={DAY.isoformat()}/part-0.parquet"
    write_parquet(tmp_path, key, _llm([START]).drop_columns(["output_tokens"]))
    with pytest.raises(InputError) as error:
        read_usage(open_store(str(tmp_path)), "llm", DAY)
    assert error.value.file == str(tmp_path / key) and error.value.column == "output_tokens"
