"""The sample generator: layout, determinism, the money identity, and every company feature.

One small run (3 days, 2026-10-31 to 2026-11-02: both billing periods, the asr-fast-v4 GA and
the Japanese launch) is generated once and read back with plain Polars and pyarrow.
"""

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cost_assets.sample import (
    build_sample,
    generate_sample,
    write_cur_export,
    write_focus_export,
    write_reference,
    write_usage,
)
from cost_assets.sample.billing import SP_ARN
from cost_assets.sample.reference import BEDROCK_MODEL
from cost_assets.sample.schemas import FOCUS_1_2_COLUMNS, SPLIT_LINE_ITEM_COLUMNS

START = date(2026, 10, 31)
DAYS = 3
FOCUS_DATA = "focus/cost-assets-focus/data"
CUR_DATA = "cur/cost-assets-cur/data"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, start=START, days=DAYS)
    return out


@pytest.fixture(scope="module")
def sample():
    return build_sample(start=START, days=DAYS)


def _read(root: Path, folder: str) -> pl.DataFrame:
    files = sorted((root / folder).rglob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files])


@pytest.fixture(scope="module")
def focus(root: Path) -> pl.DataFrame:
    return _read(root, FOCUS_DATA)


@pytest.fixture(scope="module")
def cur(root: Path) -> pl.DataFrame:
    return _read(root, CUR_DATA)


def _map_types(schema: pa.Schema, name: str) -> tuple[str, str]:
    data_type = schema.field(name).type
    assert pa.types.is_map(data_type), name
    return str(data_type.key_type), str(data_type.item_type)


def _tag(column: str, key: str) -> pl.Expr:
    entries = pl.col(column).cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String})))
    return (
        entries.list.eval(
            pl.element().filter(pl.element().struct.field("key") == key).struct.field("value")
        )
        .list.first()
        .alias(key)
    )


# --- layout, types, determinism ----------------------------------------------------------


def test_generation_is_deterministic(root: Path, tmp_path: Path) -> None:
    generate_sample(tmp_path, start=START, days=DAYS)
    first = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (root / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_focus_has_the_60_columns_in_order_and_types(root: Path) -> None:
    path = next((root / FOCUS_DATA).rglob("*-00001.snappy.parquet"))
    schema = pq.read_schema(path)
    assert schema.names == [*FOCUS_1_2_COLUMNS, "x_Discounts", "x_Operation", "x_ServiceCode"]
    assert len(schema.names) == 60
    for name in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        assert str(schema.field(name).type) == "timestamp[ms, tz=UTC]"
    assert _map_types(schema, "Tags") == ("string", "string")
    assert _map_types(schema, "SkuPriceDetails") == ("string", "string")
    assert _map_types(schema, "x_Discounts") == ("string", "double")
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_cur_has_split_columns_and_aws_quirks(root: Path) -> None:
    path = next((root / CUR_DATA).rglob("*-00001.snappy.parquet"))
    schema = pq.read_schema(path)
    assert set(SPLIT_LINE_ITEM_COLUMNS) <= set(schema.names)
    assert len([n for n in schema.names if n.startswith("split_line_item_")]) == 11
    for family in ("bill_", "identity_", "line_item_", "pricing_", "product_", "reservation_"):
        assert any(n.startswith(family) for n in schema.names), family
    assert any(n.startswith("savings_plan_") for n in schema.names)
    for name in (
        "split_line_item_split_usage_ratio",
        "pricing_public_on_demand_rate",
        "line_item_unblended_rate",
    ):
        assert str(schema.field(name).type) == "string"
    for name in ("product", "resource_tags"):
        assert _map_types(schema, name) == ("string", "string")
    assert str(schema.field("line_item_usage_start_date").type) == "timestamp[ms]"


def test_manifests_list_exactly_the_non_stale_files(root: Path) -> None:
    for export in ("focus/cost-assets-focus", "cur/cost-assets-cur"):
        for period in ("2026-10", "2026-11"):
            meta = root / export / "metadata" / f"BILLING_PERIOD={period}"
            manifest = json.loads(next(meta.glob("*-Manifest.json")).read_text())
            assert manifest["billingPeriod"]["start"].startswith(period)
            assert manifest["format"] == "PARQUET"
            data = root / export / "data" / f"BILLING_PERIOD={period}"
            listed = {root / key for key in manifest["reportKeys"]}
            present = set(data.glob("*.parquet"))
            assert listed <= present
            for stale in present - listed:
                assert pq.read_metadata(stale).num_rows == 0
            for key in listed:
                assert pq.read_metadata(key).num_rows > 0
    stale = root / FOCUS_DATA / "BILLING_PERIOD=2026-10" / "cost-assets-focus-00002.snappy.parquet"
    assert stale.exists() and pq.read_metadata(stale).num_rows == 0


# --- the money identity ----------------------------------------------------------------


def test_split_costs_add_up_to_each_instance_hours_effective_cost(
    focus: pl.DataFrame, cur: pl.DataFrame
) -> None:
    instance_cost = (
        focus.filter(
            (pl.col("x_ServiceCode") == "AmazonEC2")
            & (pl.col("ChargeCategory") == "Usage")
            & pl.col("SkuMeter").str.contains("BoxUsage")
            & pl.col("x_Operation").str.starts_with("RunInstances")
        )
        .with_columns(pl.col("ResourceId").str.split("/").list.last().alias("instance"))
        .group_by("instance", pl.col("ChargePeriodStart").alias("hour"))
        .agg(pl.col("EffectiveCost").sum().alias("focus_cost"))
    )
    split_cost = (
        cur.filter(
            (pl.col("line_item_operation") == "ECSTask-EC2")
            & (pl.col("split_line_item_parent_resource_id") != "")
        )
        .group_by(
            pl.col("split_line_item_parent_resource_id").alias("instance"),
            pl.col("line_item_usage_start_date").dt.replace_time_zone("UTC").alias("hour"),
        )
        .agg(
            (pl.col("split_line_item_split_cost") + pl.col("split_line_item_unused_cost"))
            .sum()
            .alias("split_cost")
        )
    )
    joined = instance_cost.join(split_cost, on=["instance", "hour"], how="inner")
    assert joined.height > 1000
    assert (joined["focus_cost"] - joined["split_cost"]).abs().max() < 1e-9
    # Every task-hour's parent is a priced instance-hour.
    assert split_cost.join(instance_cost, on=["instance", "hour"], how="anti").height == 0


def test_split_rows_follow_the_scad_definitions(cur: pl.DataFrame) -> None:
    split = cur.filter(
        (pl.col("line_item_operation") == "ECSTask-EC2")
        & (pl.col("split_line_item_parent_resource_id") != "")
    )
    assert split["line_item_unblended_cost"].abs().max() == 0
    assert split.group_by("line_item_resource_id", "line_item_usage_start_date").len()[
        "len"
    ].unique().to_list() == [2]
    expected = pl.max_horizontal("split_line_item_reserved_usage", "split_line_item_actual_usage")
    assert split.select((pl.col("split_line_item_split_usage") - expected).abs().max()).item() == 0
    over = split.filter(
        pl.col("split_line_item_actual_usage") > pl.col("split_line_item_reserved_usage")
    )
    assert over.height > 0
    ratio = split["split_line_item_split_usage_ratio"].cast(pl.Float64)
    assert ratio.min() > 0 and ratio.max() <= 1
    assert (
        split["split_line_item_net_split_cost"] - split["split_line_item_split_cost"]
    ).abs().max() == 0
    assert (split["split_line_item_public_on_demand_split_cost"] > 0).all()
    tags = split.select(_tag("resource_tags", "aws_ecs_service_name"))
    assert tags["aws_ecs_service_name"].null_count() == 0
    assert split["line_item_resource_id"].str.starts_with("arn:aws:ecs:").all()
    artefacts = cur.filter(
        (pl.col("line_item_operation") == "ECSTask-EC2")
        & (pl.col("split_line_item_parent_resource_id") == "")
    )
    assert artefacts.height == 2
    assert artefacts["split_line_item_split_cost"].sum() == 0


# --- the company ------------------------------------------------------------------------


def test_fleet_regions_and_daemons(sample) -> None:
    ih, th = sample.instance_hours, sample.task_hours
    assert set(ih["region"]) == {"us-west-2", "us-east-1", "eu-west-1"}
    assert set(ih["fleet"].drop_nulls()) == {"speech-cpu", "speech-gpu", "llm-gpu"}
    per_hour = ih.group_by("hour_index").len()["len"]
    assert 20 <= per_hour.min() and per_hour.max() <= 45
    assert set(ih.filter(pl.col("fleet") == "speech-gpu")["instance_type"]) == {
        "g5.xlarge",
        "g5.2xlarge",
    }
    # Exactly one daemon task on every fleet instance-hour.
    daemons = th.filter("is_daemon").group_by("instance_id", "hour_index").len()
    fleet_hours = ih.filter(pl.col("fleet").is_not_null())
    assert daemons.height == fleet_hours.height and daemons["len"].max() == 1
    assert th.filter(~pl.col("is_daemon"))["worker"].n_unique() == 8
    # Task ids are stable while a task lives: one instance per task.
    assert th.group_by("task_id").agg(pl.col("instance_id").n_unique())["instance_id"].max() == 1
    # More tasks by day than by night.
    tasks = th.filter(~pl.col("is_daemon")).group_by("hour_index").len()
    assert tasks["len"].max() >= 1.5 * tasks["len"].min()


def test_dark_capacity(sample) -> None:
    active = (
        sample.task_hours.filter(~pl.col("is_daemon"))
        .select("instance_id", "hour_index")
        .unique()
        .with_columns(pl.lit(True).alias("active"))
    )
    ih = sample.instance_hours.filter(pl.col("fleet").is_not_null()).join(
        active, on=["instance_id", "hour_index"], how="left"
    )
    dark = ih.filter(pl.col("active").is_null())
    spare_regions = set(dark.filter(pl.col("fleet") == "speech-gpu")["region"])
    assert spare_regions == {"us-west-2", "us-east-1", "eu-west-1"}
    fleet_hours = ih.group_by("region", "fleet", "hour_index").agg(
        pl.col("active").is_null().all().alias("all_dark")
    )
    all_dark = fleet_hours.filter("all_dark")
    assert all_dark.height >= DAYS
    assert set(zip(all_dark["region"], all_dark["fleet"], strict=True)) == {
        ("eu-west-1", "llm-gpu")
    }
    assert set(all_dark["hour_index"] % 24) == {3}


def test_instance_outside_every_fleet(focus: pl.DataFrame, cur: pl.DataFrame, sample) -> None:
    ci = sample.instance_hours.filter(pl.col("fleet").is_null())
    assert set(ci["instance_type"]) == {"m5.large"} and ci.height == DAYS * 24
    ci_id = ci["instance_id"][0]
    assert sample.task_hours.filter(pl.col("instance_id") == ci_id).height == 0
    rows = focus.filter(
        pl.col("ResourceId").str.ends_with(ci_id) & pl.col("SkuMeter").str.contains("BoxUsage")
    )
    assert rows.height == DAYS * 24
    assert rows.select(_tag("Tags", "fleet"))["fleet"].null_count() == rows.height
    cur_rows = cur.filter(pl.col("line_item_resource_id") == ci_id)
    assert cur_rows.select(_tag("resource_tags", "user_fleet"))["user_fleet"].null_count() == (
        cur_rows.height
    )


def test_instance_rows_and_savings_plan(focus: pl.DataFrame, cur: pl.DataFrame) -> None:
    boxes = focus.filter(pl.col("SkuMeter").str.contains("BoxUsage"))
    assert (
        boxes["ResourceId"].str.starts_with("arn:aws:ec2:us-east-1:111122223333:instance/i-").any()
    )
    assert boxes["ResourceId"].str.starts_with("i-").any()
    used = boxes.filter(pl.col("CommitmentDiscountStatus") == "Used")
    assert used.height > 0 and set(used["RegionId"]) == {"us-west-2"}
    assert (used["BilledCost"] == 0).all() and (used["EffectiveCost"] < used["ListCost"]).all()
    parts = boxes.group_by("ResourceId", "ChargePeriodStart").agg(
        pl.len(), pl.col("CommitmentDiscountStatus").null_count().alias("on_demand")
    )
    split = parts.filter(pl.col("len") == 2)
    assert split.height > 0 and (split["on_demand"] == 1).all()
    full = parts.filter((pl.col("len") == 1) & (pl.col("on_demand") == 0))
    assert full.height > 0
    unused = focus.filter(pl.col("CommitmentDiscountStatus") == "Unused")
    assert unused.height > 0
    assert (unused["ResourceId"] == SP_ARN).all() and (
        unused["CommitmentDiscountId"] == SP_ARN
    ).all()
    assert (unused["x_ServiceCode"] == "ComputeSavingsPlans").all()
    assert (unused["ChargeCategory"] == "Usage").all()
    purchase = focus.filter(pl.col("ChargeCategory") == "Purchase")
    assert (purchase["EffectiveCost"] == 0).all() and (purchase["BilledCost"] > 0).all()
    sp_effective = (
        focus.filter(pl.col("CommitmentDiscountId") == SP_ARN)
        .filter(pl.col("ChargeCategory") == "Usage")["EffectiveCost"]
        .sum()
    )
    assert sp_effective == pytest.approx(purchase["BilledCost"].sum(), rel=1e-12)
    # CUR instance rows: capacity in the product map, on-demand unblended cost.
    cur_boxes = cur.filter(pl.col("line_item_operation") == "RunInstances")
    assert set(cur_boxes["line_item_line_item_type"]) == {"Usage", "SavingsPlanCoveredUsage"}
    caps = cur_boxes.select(_tag("product", "vcpu"), _tag("product", "memory"))
    assert caps["vcpu"].null_count() == 0 and caps["memory"].str.ends_with(" GiB").all()
    g5 = cur_boxes.filter(pl.col("product_instance_type") == "g5.12xlarge")
    assert set(g5.select(_tag("product", "gpu"))["gpu"]) == {"4"}


def test_non_compute_ec2_rows(focus: pl.DataFrame) -> None:
    ec2 = focus.filter(pl.col("x_ServiceCode") == "AmazonEC2")
    transfer = ec2.filter(pl.col("SkuMeter").str.ends_with("DataTransfer-Out-Bytes"))
    assert transfer.height > 0 and transfer["ResourceId"].str.starts_with("i-").all()
    ebs = ec2.filter(pl.col("SkuMeter").str.ends_with("EBS:VolumeUsage.gp3"))
    assert ebs.height > 0 and ebs["ResourceId"].str.starts_with("vol-").all()


def test_shared_services_cover_every_tier(root: Path, focus: pl.DataFrame) -> None:
    services = pl.read_csv(root / "reference" / "shared_services.csv")
    assert set(services["tier"]) == {"requests", "containers", "fixed", "fallback", "llm_tokens"}
    assert "AmazonDynamoDB" not in set(services["service_code"])
    present = set(focus["x_ServiceCode"])
    assert set(services["service_code"]) | {"AmazonDynamoDB"} <= present
    tagged = focus.filter(pl.col("x_ServiceCode") == "AmazonS3").select(_tag("Tags", "product"))
    assert set(tagged["product"].drop_nulls()) == {"voice-studio"}
    bedrock = focus.filter(
        (pl.col("x_ServiceCode") == "AmazonBedrock") & (pl.col("ChargeCategory") == "Usage")
    )
    assert (
        bedrock["ResourceId"].str.ends_with(f"::foundation-model/{BEDROCK_MODEL}").all()
        and bedrock.height > 0
    )


def test_tax_support_daily_credit_and_correction(root: Path, focus: pl.DataFrame) -> None:
    hours = (pl.col("ChargePeriodEnd") - pl.col("ChargePeriodStart")).dt.total_hours()
    tax = focus.filter(pl.col("ChargeCategory") == "Tax")
    assert tax.height > 0
    assert (tax["ChargePeriodStart"] == tax["BillingPeriodStart"]).all()
    assert (tax["ChargePeriodEnd"] == tax["BillingPeriodEnd"]).all()
    support = focus.filter(
        (pl.col("x_ServiceCode") == "AWSSupportBusiness") & (pl.col("ChargeCategory") != "Tax")
    )
    assert support.height == 2
    assert set(support["ChargeFrequency"]) == {"Recurring"}
    assert set(support["ChargeCategory"]) == {"Usage"}
    assert (support.select(hours)["ChargePeriodEnd"] >= 720).all()
    daily = focus.filter(
        pl.col("x_ServiceCode") == "AWSCloudTrail", pl.col("ChargeCategory") == "Usage"
    )
    assert daily.height == DAYS and set(daily.select(hours)["ChargePeriodEnd"]) == {24}
    credit = focus.filter(pl.col("ChargeCategory") == "Credit")
    assert credit.height == 1 and credit["EffectiveCost"][0] < 0
    corrections = pl.read_parquet(
        next((root / FOCUS_DATA / "BILLING_PERIOD=2026-11").glob("*-00001.snappy.parquet"))
    ).filter(pl.col("ChargeClass") == "Correction")
    assert corrections.height == 1
    assert corrections["ChargeCategory"][0] == "Adjustment"
    assert corrections["ChargePeriodStart"][0] == datetime(2026, 10, 31, tzinfo=UTC)


def test_usage_telemetry(root: Path, sample) -> None:
    days = sorted(p.name for p in (root / "usage" / "speech").iterdir())
    assert days == ["date=2026-10-31", "date=2026-11-01", "date=2026-11-02"]
    speech = pl.read_parquet(root / "usage" / "speech" / "date=2026-11-01" / "part-0.parquet")
    assert speech.schema["hour"] == pl.Datetime("us", "UTC")
    assert speech.columns[:8] == [
        "hour",
        "region",
        "product",
        "worker",
        "model",
        "language",
        "audio_hours",
        "requests",
    ]
    all_speech = sample.speech
    agnostic = all_speech.filter(pl.col("worker").is_in(["diarizer", "audio-preproc"]))
    assert agnostic["language"].null_count() == agnostic.height
    ja = all_speech.filter(pl.col("language") == "ja")
    assert ja.height > 0 and ja["hour"].min() >= datetime(2026, 11, 2, tzinfo=UTC)
    v4 = all_speech.filter(pl.col("model") == "asr-fast-v4")
    assert v4["hour"].min() < datetime(2026, 11, 1, tzinfo=UTC)
    edge = all_speech.filter(pl.col("worker") == "api-edge")
    assert (edge["audio_hours"] == 0).all() and (edge["requests"] > 0).all()
    llm = sample.llm
    assert set(llm["worker"]) == {"llm-summarizer", "llm-router"}
    assert BEDROCK_MODEL in set(llm.filter(pl.col("worker") == "llm-router")["llm_model"])
    dark = llm.filter(
        (pl.col("worker") == "llm-summarizer")
        & (pl.col("region") == "eu-west-1")
        & (pl.col("hour").dt.hour() == 3)
    )
    assert dark.height == 0
    # Usage follows tasks: more audio hours by day than by night in us-west-2.
    by_hour = (
        all_speech.filter(pl.col("region") == "us-west-2")
        .group_by(pl.col("hour").dt.hour())
        .agg(pl.col("audio_hours").sum())
    )
    assert by_hour["audio_hours"].max() > 2 * by_hour["audio_hours"].min()


def test_reference_files(root: Path) -> None:
    workers = pl.read_csv(root / "reference" / "workers.csv")
    assert workers.filter(~pl.col("is_daemon")).height >= 8
    assert workers.filter("is_daemon").height == 3
    lines = pl.read_csv(root / "reference" / "product_lines.csv")
    assert lines.height == 5 and lines["fixed_split"].sum() == 4
    calendar = pl.read_csv(root / "reference" / "product_calendar.csv")
    assert BEDROCK_MODEL in set(calendar["model"])
    configs = pl.read_csv(root / "reference" / "worker_configs.csv")
    assert set(configs["product"]) <= set(lines["product"])
    assert (root / "reference" / "settings.yaml").read_text().startswith("product_tag_key: product")


# --- building blocks --------------------------------------------------------------------

_ROWS = pl.DataFrame(
    {
        "ChargePeriodStart": [datetime(2026, 10, 1, 0), datetime(2026, 10, 1, 1)],
        "EffectiveCost": [1.5, 2.0],
        "x_ServiceCode": ["AmazonEC2", "AmazonS3"],
        "SkuMeter": ["USW2-BoxUsage:m5.large", "USW2-TimedStorage-ByteHrs"],
        "Tags": [{"fleet": "speech-cpu", "product": None}, {"fleet": None, "product": "x"}],
    }
)


def test_focus_writer_create_new_csv_and_focus_1_0(tmp_path: Path) -> None:
    first = write_focus_export(tmp_path, "2026-10", _ROWS, mode="create_new", execution_id="a1")
    second = write_focus_export(
        tmp_path,
        "2026-10",
        _ROWS.head(1),
        mode="create_new",
        fmt="csv",
        execution_id="b2",
        version="1.0",
        delivered_at=datetime(2026, 10, 2, tzinfo=UTC),
    )
    meta = tmp_path / "focus/cost-assets-focus/metadata/BILLING_PERIOD=2026-10"
    latest = json.loads((meta / "cost-assets-focus-Manifest.json").read_text())
    assert latest["executionId"] == "b2" and latest["format"] == "TEXT_OR_CSV"
    assert [tmp_path / k for k in latest["reportKeys"]] == second[:1]
    assert "2026-10-02T00:00:00.000Z-b2" in latest["reportKeys"][0]
    assert len(list(meta.glob("*/cost-assets-focus-Manifest.json"))) == 2
    assert pq.read_metadata(first[0]).num_rows == 2
    text = gzip.decompress(second[0].read_bytes()).decode()
    header = text.splitlines()[0].split(",")
    assert "x_UsageType" in header and "SkuMeter" not in header and len(header) == 48
    assert '"{""fleet"":""speech-cpu""}"' in text


def test_cur_writer_stale_chunks_and_chunking(tmp_path: Path) -> None:
    rows = pl.DataFrame(
        {
            "line_item_usage_start_date": [datetime(2026, 11, 1, h) for h in range(5)],
            "line_item_operation": ["ECSTask-EC2"] * 5,
            "split_line_item_split_usage_ratio": [0.25, 0.5, None, 1.0, 0.1],
            "product": [{"vcpu": "8"}] * 5,
        }
    )
    paths = write_cur_export(tmp_path, "2026-11", rows, rows_per_chunk=2, stale_chunks=2)
    data = tmp_path / "cur/cost-assets-cur/data/BILLING_PERIOD=2026-11"
    assert len(list(data.glob("*.parquet"))) == 5
    manifest = json.loads(paths[-1].read_text())
    assert [Path(k).name for k in manifest["reportKeys"]] == [
        f"cost-assets-cur-0000{i}.snappy.parquet" for i in (1, 2, 3)
    ]
    back = pl.concat([pl.read_parquet(tmp_path / k) for k in manifest["reportKeys"]])
    assert back.height == 5
    assert back["split_line_item_split_usage_ratio"].to_list() == [
        "0.25",
        "0.5",
        None,
        "1.0",
        "0.1",
    ]
    assert back["identity_time_interval"][0] == "2026-11-01T00:00:00Z/2026-11-01T01:00:00Z"
    assert pq.read_metadata(data / "cost-assets-cur-00005.snappy.parquet").num_rows == 0


def test_usage_and_reference_writers(tmp_path: Path) -> None:
    day = pl.DataFrame(
        {
            "hour": [datetime(2026, 11, 1, 5)],
            "region": ["us-west-2"],
            "product": ["ai-assistant"],
            "worker": ["llm-router"],
            "llm_model": [BEDROCK_MODEL],
            "input_tokens": [100],
            "output_tokens": [20],
            "requests": [1],
        }
    )
    path = write_usage(tmp_path, "llm", date(2026, 11, 1), day)
    assert path == tmp_path / "usage/llm/date=2026-11-01/part-0.parquet"
    assert pl.read_parquet(path).schema["hour"] == pl.Datetime("us", "UTC")
    lines = pl.DataFrame({"product": ["p"], "intensity_weight": [1.0], "fixed_split": [True]})
    write_reference(tmp_path, product_lines=lines, settings={"usage_window_days": 3})
    assert pl.read_csv(tmp_path / "reference/product_lines.csv")["product"].to_list() == ["p"]
    assert "usage_window_days: 3" in (tmp_path / "reference/settings.yaml").read_text()
    assert (tmp_path / "reference/workers.csv").exists()
