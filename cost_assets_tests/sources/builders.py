"""Tiny sources roots written by the tests themselves: FOCUS and CUR files and manifests."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FOCUS_NAME = "cost-assets-focus"
CUR_NAME = "cost-assets-cur"
PERIOD = "2026-10"
START = datetime(2026, 10, 1, tzinfo=UTC)
TAGS = pa.map_(pa.string(), pa.string())


def focus_table(rows: int = 3, first_hour: int = 0, unit: str = "ms") -> pa.Table:
    """FOCUS 1.2 rows: EC2 instance-hours, one tagged, one Savings Plan covered."""
    hours = [START + timedelta(hours=first_hour + i) for i in range(rows)]
    ts = pa.timestamp(unit, tz="UTC")
    tags = [[("product", "speech"), ("fleet", "gpu-a")], [], None]
    return pa.table(
        {
            "BillingAccountId": pa.array(["111"] * rows),  # an extra column, ignored
            "BillingPeriodStart": pa.array([START] * rows, ts),
            "ChargePeriodStart": pa.array(hours, ts),
            "ChargePeriodEnd": pa.array([h + timedelta(hours=1) for h in hours], ts),
            "ChargeCategory": ["Usage"] * rows,
            "ChargeClass": pa.array([None] * rows, pa.string()),
            "ChargeFrequency": ["Usage-Based"] * rows,
            "EffectiveCost": pa.array([1.25 + i for i in range(rows)], pa.float64()),
            "BilledCost": pa.array([1.0] * rows, pa.float64()),
            "ServiceName": ["Amazon Elastic Compute Cloud"] * rows,
            "x_ServiceCode": ["AmazonEC2"] * rows,
            "x_Operation": ["RunInstances"] * rows,
            "SkuMeter": ["USW2-BoxUsage:g5.xlarge"] * rows,
            "ResourceId": [
                "arn:aws:ec2:us-west-2:111:instance/i-0a" if i % 2 else f"i-0{i}"
                for i in range(rows)
            ],
            "ResourceType": ["Instance"] * rows,
            "RegionId": ["us-west-2"] * rows,
            "CommitmentDiscountId": ["arn:aws:savingsplans::111:savingsplan/sp-1", "", None][:rows]
            + [None] * max(rows - 3, 0),
            "CommitmentDiscountStatus": ["Used", "", None][:rows] + [None] * max(rows - 3, 0),
            "Tags": pa.array((tags * rows)[:rows], TAGS),
            "InvoiceId": pa.array([None] * rows, pa.string()),
            "x_Discounts": pa.array([[("sp", 0.5)]] * rows, pa.map_(pa.string(), pa.float64())),
        }
    )


def cur_table(rows: int = 2) -> pa.Table:
    """CUR 2.0 ECS split rows with string-typed numeric columns, as AWS sometimes writes."""
    hours = [START + timedelta(hours=i) for i in range(rows)]
    ts = pa.timestamp("ms")  # naive: means UTC
    task = "arn:aws:ecs:us-west-2:111:task/c1/abc"
    columns: dict[str, Any] = {
        "line_item_usage_start_date": pa.array(hours, ts),
        "line_item_usage_end_date": pa.array([h + timedelta(hours=1) for h in hours], ts),
        "line_item_operation": ["ECSTask-EC2"] * rows,
        "line_item_usage_type": ["USW2-ECS-EC2-vCPU-Hours"] * rows,
        "line_item_resource_id": [task] * rows,
        "line_item_line_item_type": ["Usage"] * rows,
        "product_instance_type": [""] * rows,
        "product": pa.array([[("region", "us-west-2"), ("vcpu", "8")]] * rows, TAGS),
        "resource_tags": pa.array([[("aws_ecs_service_name", "asr-en")]] * rows, TAGS),
        "product_region_code": ["us-west-2"] * rows,
        "split_line_item_parent_resource_id": ["i-0a"] * rows,
        "split_line_item_split_usage_ratio": pa.array(["0.25", ""][:rows] + ["0.5"] * (rows - 2)),
        "line_item_unblended_cost": pa.array([0] * rows, pa.int64()),
        "pricing_public_on_demand_rate": pa.array(["1.006"] * rows),
        "bill_invoice_id": [""] * rows,
    }
    for name in [
        "reserved_usage",
        "actual_usage",
        "split_usage",
        "split_cost",
        "unused_cost",
        "net_split_cost",
        "net_unused_cost",
        "public_on_demand_split_cost",
        "public_on_demand_unused_cost",
    ]:
        columns[f"split_line_item_{name}"] = pa.array([0.5] * rows, pa.float64())
    return pa.table(columns)


def write_parquet(root: Path, key: str, table: pa.Table) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy")
    return key


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a map: JSON object text, as AWS's CSV exports carry it
        return json.dumps(dict(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return str(value)


def write_csv_gz(root: Path, key: str, table: pa.Table) -> str:
    """The table as AWS's gzip CSV: maps as JSON text, timestamps as ISO text, null as ''."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_cell(v) for v in row.values()])
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.getvalue().encode()))
    return key


def data_key(kind: str, name: str, chunk: int, execution: str | None = None, ext: str = "") -> str:
    folder = f"{kind}/{name}/data/BILLING_PERIOD={PERIOD}"
    if execution:
        folder += f"/{execution}"
    return f"{folder}/{name}-{chunk:05d}{ext or '.snappy.parquet'}"


def write_manifest(
    root: Path,
    kind: str,
    name: str,
    keys: list[str],
    execution: str | None = None,
    execution_id: str = "exec-1",
    prefix: str = "",
) -> str:
    """A manifest listing `keys` (optionally with a bucket/root prefix, as AWS writes them)."""
    folder = f"{kind}/{name}/metadata/BILLING_PERIOD={PERIOD}"
    if execution:
        folder += f"/{execution}"
    key = f"{folder}/{name}-Manifest.json"
    manifest = {
        "executionId": execution_id,
        "billingPeriod": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
        "reportKeys": [prefix + k for k in keys],
        "compression": "PARQUET",
        "format": "PARQUET",
        "exportName": name,
    }
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))
    return key


def write_reference(root: Path, **overrides: str) -> None:
    """A valid reference folder; `overrides` replace whole files (name without extension)."""
    files = {
        "workers": "worker,cluster,fleet,is_daemon,gpus_per_task,unit\n"
        "asr-en,c1,gpu-a,false,1,audio_hours\n"
        "logs,c1,gpu-a,TRUE,0,requests\n"
        "llm-api,c2,cpu-b,false,0,tokens\n",
        "worker_configs": "worker,product,model,language\n"
        "asr-en,speech,nova-2,en\n"
        "asr-en,speech,nova-2,\n"
        "llm-api,agent,llama-70b,\n",
        "product_calendar": "product,model,unit,ga_date,retired_date\n"
        "speech,nova-2,audio_hours,2026-01-15,\n"
        "agent,llama-70b,tokens,2026-11-01,2027-06-30\n",
        "product_lines": "product,intensity_weight,fixed_split\nspeech,1.5,true\nagent,1,false\n",
        "shared_services": "service_code,tier\nAmazonS3,requests\nAmazonECS,containers\n"
        "AWSSupport,fixed\nAmazonBedrock,llm_tokens\n",
        "instance_types": "instance_type,vcpu,memory_gib,gpus,on_demand_usd_per_hour\n"
        "g5.xlarge,4,16,1,1.006\nm5.xlarge,4,16,0,0.192\n",
        "settings": "gpu_weighting: aws_fixed\nusage_window_days: 14\n",
    }
    files.update(overrides)
    folder = root / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        ext = "yaml" if name == "settings" else "csv"
        (folder / f"{name}.{ext}").write_text(text)
