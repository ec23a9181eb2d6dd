"""Discovering and reading AWS Data Exports deliveries from a local sources root."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from cost_assets.errors import InputError
from cost_assets.sources.exports import (
    billing_periods,
    execution_time,
    find_delivery,
    find_export_names,
    normalize_resource_id,
    once_for_the_common_value,
    read_export,
    tag_value,
)
from cost_assets.sources.schemas import (
    CUR_COLUMNS_USED,
    FOCUS_COLUMNS_USED,
    MAP_DTYPE,
    TIMESTAMP_DTYPE,
)
from cost_assets.sources.storage import open_store
from cost_assets_tests.sources.builders import (
    CUR_NAME,
    FOCUS_NAME,
    PERIOD,
    cur_table,
    data_key,
    focus_table,
    write_csv_gz,
    write_manifest,
    write_parquet,
)


def _overwrite_delivery(root):
    """Two live chunks listed by the manifest and a stale zero-row chunk that is not."""
    first = write_parquet(root, data_key("focus", FOCUS_NAME, 1), focus_table(3))
    second = write_parquet(root, data_key("focus", FOCUS_NAME, 2), focus_table(2, first_hour=3))
    write_parquet(root, data_key("focus", FOCUS_NAME, 3), focus_table(0))
    write_manifest(root, "focus", FOCUS_NAME, [first, second], prefix="bucket/exports/")
    return first, second


def test_manifest_decides_the_files_and_stale_chunks_are_ignored(tmp_path):
    first, second = _overwrite_delivery(tmp_path)
    store = open_store(str(tmp_path))

    assert find_export_names(store, "focus") == [FOCUS_NAME]
    assert billing_periods(store, "focus", FOCUS_NAME) == [PERIOD]
    delivery = find_delivery(store, "focus", PERIOD)

    assert delivery is not None and delivery.from_manifest
    assert [f.key for f in delivery.files] == [first, second]
    assert delivery.execution_id == "exec-1"
    described = delivery.describe()
    assert described["manifest"].endswith(f"{FOCUS_NAME}-Manifest.json")
    assert [f["name"] for f in described["files"]] == [
        f"{FOCUS_NAME}-00001.snappy.parquet",
        f"{FOCUS_NAME}-00002.snappy.parquet",
    ]
    assert all(f["version"] and f["size"] > 0 for f in described["files"])

    frame = read_export(store, delivery)
    assert frame.columns == FOCUS_COLUMNS_USED
    assert frame.height == 5
    assert frame.schema["ChargePeriodStart"] == TIMESTAMP_DTYPE
    assert frame.schema["EffectiveCost"] == pl.Float64
    assert frame.schema["Tags"] == MAP_DTYPE
    # '' is null in every string column.
    assert frame["CommitmentDiscountStatus"].to_list()[:3] == ["Used", None, None]


def test_period_without_data_folder_is_none(tmp_path):
    _overwrite_delivery(tmp_path)
    store = open_store(str(tmp_path))
    assert find_delivery(store, "focus", "2026-09") is None
    assert find_delivery(store, "cur", PERIOD) is None


def test_create_new_version_reads_only_the_latest_execution(tmp_path):
    old, new = "2026-10-02T01:00:00.000Z-aaaa-1111", "2026-10-03T01:00:00.000Z-bbbb-2222"
    old_key = write_parquet(tmp_path, data_key("focus", FOCUS_NAME, 1, old), focus_table(3))
    new_key = write_parquet(tmp_path, data_key("focus", FOCUS_NAME, 1, new), focus_table(2))
    write_manifest(tmp_path, "focus", FOCUS_NAME, [old_key], old, "aaaa-1111")
    write_manifest(tmp_path, "focus", FOCUS_NAME, [new_key], new, "bbbb-2222")
    store = open_store(str(tmp_path))

    # Only execution manifests: the latest execution's one is taken.
    delivery = find_delivery(store, "focus", PERIOD, FOCUS_NAME)
    assert delivery.from_manifest and delivery.execution_id == "bbbb-2222"
    assert [f.key for f in delivery.files] == [new_key]
    assert read_export(store, delivery).height == 2

    # With the top-level manifest, which AWS overwrites to point at the latest execution.
    write_manifest(tmp_path, "focus", FOCUS_NAME, [new_key], execution_id="bbbb-2222")
    delivery = find_delivery(store, "focus", PERIOD)
    assert delivery.manifest_key == (
        f"focus/{FOCUS_NAME}/metadata/BILLING_PERIOD={PERIOD}/{FOCUS_NAME}-Manifest.json"
    )
    assert [f.key for f in delivery.files] == [new_key]


def test_listing_fallback_without_manifest_takes_the_latest_execution(tmp_path):
    # Compact and ISO timestamps both parse; the compact one here is the later.
    write_parquet(tmp_path, data_key("cur", CUR_NAME, 1, "2026-10-02T01:00:00Z-x1"), cur_table())
    latest = data_key("cur", CUR_NAME, 1, "20261003T010000Z-x2")
    write_parquet(tmp_path, latest, cur_table(3))
    store = open_store(str(tmp_path))

    delivery = find_delivery(store, "cur", PERIOD)
    assert not delivery.from_manifest
    assert delivery.manifest_key is None and delivery.execution_id == "x2"
    assert [f.key for f in delivery.files] == [latest]
    assert delivery.describe()["manifest"] == "listed without manifest"
    frame = read_export(store, delivery)
    assert frame.columns == CUR_COLUMNS_USED and frame.height == 3


def test_listing_fallback_overwrite_mode(tmp_path):
    key = write_parquet(tmp_path, data_key("cur", CUR_NAME, 1), cur_table())
    delivery = find_delivery(open_store(str(tmp_path)), "cur", PERIOD)
    assert not delivery.from_manifest and [f.key for f in delivery.files] == [key]


def test_execution_folder_timestamps():
    assert execution_time("2024-05-18T20:16:37.306Z-3695a728-1b2c") == datetime(
        2024, 5, 18, 20, 16, 37, 306000, tzinfo=UTC
    )
    assert execution_time("20250307T053621Z-abc") == datetime(2025, 3, 7, 5, 36, 21, tzinfo=UTC)
    assert execution_time("not-an-execution") is None


def test_gzip_csv_reads_like_parquet(tmp_path):
    parquet_root, csv_root = tmp_path / "p", tmp_path / "c"
    for kind, name, table in [
        ("focus", FOCUS_NAME, focus_table(3)),
        ("cur", CUR_NAME, cur_table(3)),
    ]:
        write_parquet(parquet_root, data_key(kind, name, 1), table)
        write_csv_gz(csv_root, data_key(kind, name, 1, ext=".csv.gz"), table)
        from_parquet = read_export(
            open_store(str(parquet_root)),
            find_delivery(open_store(str(parquet_root)), kind, PERIOD),
        )
        csv_store = open_store(str(csv_root))
        from_csv = read_export(csv_store, find_delivery(csv_store, kind, PERIOD))
        assert_frame_equal(from_csv, from_parquet)


def test_focus_1_0_maps_usage_type_and_cost_categories(tmp_path):
    table = focus_table(3).drop_columns(["SkuMeter", "InvoiceId"])
    table = table.append_column("x_UsageType", pa.array(["USW2-BoxUsage:m5.xlarge"] * 3))
    categories = pa.array([[("team", "asr")], None, None], pa.map_(pa.string(), pa.string()))
    table = table.append_column("x_CostCategories", categories)
    write_parquet(tmp_path, data_key("focus", FOCUS_NAME, 1), table)
    store = open_store(str(tmp_path))

    frame = read_export(store, find_delivery(store, "focus", PERIOD))
    assert frame["SkuMeter"].to_list() == ["USW2-BoxUsage:m5.xlarge"] * 3
    assert frame["InvoiceId"].null_count() == 3 and frame.schema["InvoiceId"] == pl.String
    tags = frame.select(
        tag_value("Tags", "product"), tag_value("Tags", "team"), pl.col("Tags").list.len()
    )
    assert tags.rows() == [("speech", "asr", 3), (None, None, 0), (None, None, None)]


# CUR columns the pipeline does not read by default, still normalised when asked for.
CUR_ASKED = [
    *CUR_COLUMNS_USED,
    "split_line_item_split_usage_ratio",
    "pricing_public_on_demand_rate",
    "line_item_unblended_cost",
    "bill_invoice_id",
]


def test_string_numbers_blank_is_null(tmp_path):
    write_parquet(tmp_path, data_key("cur", CUR_NAME, 1), cur_table(3))
    store = open_store(str(tmp_path))
    frame = read_export(store, find_delivery(store, "cur", PERIOD), CUR_ASKED)
    assert frame["split_line_item_split_usage_ratio"].to_list() == [0.25, None, 0.5]
    assert frame["pricing_public_on_demand_rate"].to_list() == [1.006] * 3
    assert frame.schema["line_item_unblended_cost"] == pl.Float64
    assert frame["bill_invoice_id"].null_count() == 3
    assert frame.select(tag_value("product", "vcpu")).to_series().to_list() == ["8"] * 3


def test_int_and_double_chunks_concatenate(tmp_path):
    as_int = cur_table(2)
    as_double = cur_table(2).set_column(
        as_int.column_names.index("line_item_unblended_cost"),
        "line_item_unblended_cost",
        pa.array([0.0, 0.0]),
    )
    keys = [
        write_parquet(tmp_path, data_key("cur", CUR_NAME, 1), as_int),
        write_parquet(tmp_path, data_key("cur", CUR_NAME, 2), as_double),
    ]
    write_manifest(tmp_path, "cur", CUR_NAME, keys)
    store = open_store(str(tmp_path))
    frame = read_export(store, find_delivery(store, "cur", PERIOD), CUR_ASKED)
    assert frame.height == 4 and frame.schema["line_item_unblended_cost"] == pl.Float64


def test_bad_number_names_file_column_and_rows(tmp_path):
    table = cur_table(4)
    index = table.column_names.index("pricing_public_on_demand_rate")
    table = table.set_column(
        index, "pricing_public_on_demand_rate", pa.array(["1", "n/a", "", "n/a"])
    )
    key = write_parquet(tmp_path, data_key("cur", CUR_NAME, 1), table)
    store = open_store(str(tmp_path))

    with pytest.raises(InputError) as error:
        read_export(store, find_delivery(store, "cur", PERIOD), CUR_ASKED)
    assert error.value.file == str(tmp_path / key)
    assert error.value.column == "pricing_public_on_demand_rate"
    assert error.value.rows == [2, 4]
    assert "n/a" in str(error.value)


def test_invalid_json_map_in_csv_names_rows(tmp_path):
    key = data_key("cur", CUR_NAME, 1, ext=".csv.gz")
    write_csv_gz(tmp_path, key, cur_table(2))
    path = tmp_path / key
    text = gzip.decompress(path.read_bytes()).decode()
    lines = text.splitlines()
    lines[2] = lines[2].replace('{""aws_ecs_service_name"": ""asr-en""}', "{broken")
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    store = open_store(str(tmp_path))

    with pytest.raises(InputError) as error:
        read_export(store, find_delivery(store, "cur", PERIOD))
    assert error.value.column == "resource_tags" and error.value.rows == [2]


def test_missing_required_column_names_file_and_column(tmp_path):
    key = write_parquet(
        tmp_path, data_key("focus", FOCUS_NAME, 1), focus_table(2).drop_columns(["EffectiveCost"])
    )
    store = open_store(str(tmp_path))
    with pytest.raises(InputError) as error:
        read_export(store, find_delivery(store, "focus", PERIOD))
    assert error.value.file == str(tmp_path / key) and error.value.column == "EffectiveCost"


def test_timestamps_normalise_whatever_the_unit_and_zone(tmp_path):
    stamps = [datetime(2026, 10, 1, 5, 0), datetime(2026, 10, 1, 6, 0, 0, 250000)]
    variants = {
        "naive_ms": pa.array(stamps, pa.timestamp("ms")),
        "utc_us": pa.array([s.replace(tzinfo=UTC) for s in stamps], pa.timestamp("us", "UTC")),
        "utc_ns": pa.array([s.replace(tzinfo=UTC) for s in stamps], pa.timestamp("ns", "UTC")),
        "text": pa.array(["2026-10-01T05:00:00Z", "2026-10-01 06:00:00.250"]),
    }
    frames = []
    for i, (_, values) in enumerate(variants.items()):
        root = tmp_path / str(i)
        table = focus_table(2)
        index = table.column_names.index("ChargePeriodStart")
        write_parquet(
            root,
            data_key("focus", FOCUS_NAME, 1),
            table.set_column(index, "ChargePeriodStart", values),
        )
        store = open_store(str(root))
        frames.append(
            read_export(store, find_delivery(store, "focus", PERIOD), ["ChargePeriodStart"])
        )
    for frame in frames[1:]:
        assert_frame_equal(frame, frames[0])
    assert frames[0].schema["ChargePeriodStart"] == TIMESTAMP_DTYPE
    assert frames[0]["ChargePeriodStart"][1] == datetime(2026, 10, 1, 6, 0, 0, 250000, tzinfo=UTC)


def test_manifest_not_json(tmp_path):
    _overwrite_delivery(tmp_path)
    manifest = f"focus/{FOCUS_NAME}/metadata/BILLING_PERIOD={PERIOD}/{FOCUS_NAME}-Manifest.json"
    (tmp_path / manifest).write_text("{not json")
    with pytest.raises(InputError) as error:
        find_delivery(open_store(str(tmp_path)), "focus", PERIOD)
    assert error.value.file == str(tmp_path / manifest)


def test_manifest_listing_a_missing_file(tmp_path):
    first, _ = _overwrite_delivery(tmp_path)
    gone = data_key("focus", FOCUS_NAME, 9)
    manifest = write_manifest(tmp_path, "focus", FOCUS_NAME, [first, gone])
    with pytest.raises(InputError) as error:
        find_delivery(open_store(str(tmp_path)), "focus", PERIOD)
    assert error.value.file == str(tmp_path / manifest)
    assert gone in str(error.value)


def test_zero_row_delivery_has_the_schema(tmp_path):
    key = write_parquet(tmp_path, data_key("focus", FOCUS_NAME, 1), focus_table(0))
    write_manifest(tmp_path, "focus", FOCUS_NAME, [key])
    store = open_store(str(tmp_path))
    frame = read_export(store, find_delivery(store, "focus", PERIOD))
    assert frame.height == 0 and frame.schema["Tags"] == MAP_DTYPE


def test_normalize_resource_id():
    ids = pl.Series(
        "id",
        [
            "arn:aws:ec2:us-west-2:111:instance/i-0abc",
            "i-0def",
            "",
            None,
            "arn:aws:savingsplans::111:savingsplan/sp-1",
            "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-70b-instruct-v1:0",
        ],
    )
    out = pl.DataFrame([ids]).select(normalize_resource_id(pl.col("id"))).to_series().to_list()
    assert out == [
        "i-0abc",
        "i-0def",
        None,
        None,
        "arn:aws:savingsplans::111:savingsplan/sp-1",
        "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-70b-instruct-v1:0",
    ]


def test_manifest_fields_are_not_needed_beyond_report_keys(tmp_path):
    key = write_parquet(tmp_path, data_key("focus", FOCUS_NAME, 1), focus_table(1))
    manifest = tmp_path / f"focus/{FOCUS_NAME}/metadata/BILLING_PERIOD={PERIOD}/Manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"reportKeys": [key]}))
    delivery = find_delivery(open_store(str(tmp_path)), "focus", PERIOD)
    assert delivery.from_manifest and delivery.execution_id is None


def test_a_rule_computed_once_for_the_common_value_agrees_row_by_row():
    starts = pl.Series(
        "start", [None, datetime(2026, 1, 31), datetime(2026, 10, 1), datetime(2026, 1, 31)]
    )
    month_after = once_for_the_common_value(pl.col("start"), lambda s: s.dt.offset_by("1mo"))
    out = pl.DataFrame([starts]).select(month_after).to_series().to_list()
    assert out == [None, datetime(2026, 2, 28), datetime(2026, 11, 1), datetime(2026, 2, 28)]
    # The first value is not null: the other rows still get their own.
    out = pl.DataFrame([starts.reverse()]).select(month_after).to_series().to_list()
    assert out == [datetime(2026, 2, 28), datetime(2026, 11, 1), datetime(2026, 2, 28), None]
