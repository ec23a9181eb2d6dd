"""A day reads only its rows of a Parquet export, yet names bad input by the file's own row."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cost_assets.errors import InputError
from cost_assets.sources.exports import read_export_for_day
from cost_assets.sources.storage import open_store
from cost_assets_tests.sources.builders import (
    CUR_NAME,
    FOCUS_NAME,
    cur_table,
    data_key,
    focus_table,
)

# Rows 0..71 are hours of 2026-10-01..03; the day below is rows 24..47.
HOURS = 72
DAY = date(2026, 10, 2)


def _write(root, key: str, table: pa.Table, row_group_size: int = 24) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size)
    return key


def _with_column(table: pa.Table, name: str, values: list, type_=None) -> pa.Table:
    index = table.column_names.index(name)
    type_ = type_ or table.schema.field(name).type
    return table.set_column(index, name, pa.array(values, type_))


def test_cur_day_reads_only_its_rows_and_counts_the_file(tmp_path):
    key = _write(tmp_path, data_key("cur", CUR_NAME, 1), cur_table(HOURS))
    frame, deliveries = read_export_for_day(open_store(str(tmp_path)), "cur", DAY)

    hours = frame["line_item_usage_start_date"].dt.hour().to_list()
    days = frame["line_item_usage_start_date"].dt.day().unique().to_list()
    assert frame.height == 24 and hours == list(range(24)) and days == [2]
    assert deliveries[0].file_rows == {key: HOURS}


def test_focus_day_reads_its_rows_and_those_out_of_reach(tmp_path):
    table = focus_table(HOURS)
    _write(tmp_path, data_key("focus", FOCUS_NAME, 1), table)
    frame, _ = read_export_for_day(open_store(str(tmp_path)), "focus", DAY)
    # Hour 23 of 10-01 ends at 10-02 00:00, so it touches the day: 25 rows.
    assert frame.height == 25
    assert frame["ChargePeriodStart"].min().isoformat() == "2026-10-01T23:00:00+00:00"


def test_bad_value_of_the_day_is_named_by_its_file_row(tmp_path):
    table = cur_table(HOURS)
    costs = ["1.0"] * HOURS
    costs[30] = "n/a"  # file row 31 (1-based), the day's seventh row
    table = _with_column(table, "split_line_item_split_cost", costs, pa.string())
    key = _write(tmp_path, data_key("cur", CUR_NAME, 1), table)

    with pytest.raises(InputError) as error:
        read_export_for_day(open_store(str(tmp_path)), "cur", DAY)
    assert error.value.file == str(tmp_path / key)
    assert error.value.column == "split_line_item_split_cost"
    assert error.value.rows == [31]


def test_charge_without_period_on_another_day_still_fails_the_day(tmp_path):
    # A charge with no start belongs to no day: whichever day reads the file must say so,
    # although the row is in a row group the day would otherwise skip.
    table = focus_table(HOURS)
    starts = table.column("ChargePeriodStart").to_pylist()
    starts[60] = None
    table = _with_column(table, "ChargePeriodStart", starts)
    key = _write(tmp_path, data_key("focus", FOCUS_NAME, 1), table)

    with pytest.raises(InputError) as error:
        read_export_for_day(open_store(str(tmp_path)), "focus", DAY)
    assert error.value.file == str(tmp_path / key)
    assert error.value.column == "ChargePeriodStart" and error.value.rows == [61]
