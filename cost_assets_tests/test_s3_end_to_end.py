"""Production's path on a real S3 HTTP endpoint: sources and warehouse in a bucket (moto)."""

from pathlib import Path

import boto3
import polars as pl
import pytest

from cost_assets.sources.storage import s3_client_from_environment
from cost_assets_tests.harness import check_results, materialize_days

SAMPLE = Path(__file__).resolve().parent.parent / "sample_exports"
DAY = "2026-10-27"


def _upload(client, bucket: str, prefix: str) -> int:
    count = 0
    for path in sorted(SAMPLE.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(SAMPLE).as_posix()}"
            client.upload_file(str(path), bucket, key)
            count += 1
    return count


def test_a_day_from_an_s3_sources_root_into_an_s3_warehouse(s3_env, tmp_path):
    client = s3_client_from_environment()
    client.create_bucket(Bucket="billing")
    assert _upload(client, "billing", "exports") > 20

    s3_results = materialize_days("s3://billing/exports", "s3://billing/warehouse", [DAY])
    local_results = materialize_days(SAMPLE, tmp_path, [DAY])

    assert s3_results[0].success
    assert all(e.passed for e in check_results(s3_results[0]).values())
    keys = {
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket="billing", Prefix="warehouse/")[
            "Contents"
        ]
    }
    assert f"warehouse/unit_costs_hourly/{DAY}.parquet" in keys

    body = client.get_object(Bucket="billing", Key=f"warehouse/unit_costs_hourly/{DAY}.parquet")
    from_s3 = pl.read_parquet(body["Body"].read())
    from_disk = pl.read_parquet(tmp_path / "unit_costs_hourly" / f"{DAY}.parquet")
    assert from_s3.height == from_disk.height
    assert from_s3["cost_usd"].sum() == pytest.approx(from_disk["cost_usd"].sum(), abs=1e-9)
    assert check_results(local_results[0]).keys() == check_results(s3_results[0]).keys()
