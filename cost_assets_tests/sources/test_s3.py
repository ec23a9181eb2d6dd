"""The same sources root read from S3 (a moto server on 127.0.0.1) and from a local folder."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from dagster_aws.s3 import S3Resource
from polars.testing import assert_frame_equal

from cost_assets.errors import InputError
from cost_assets.sources.exports import find_delivery, read_export
from cost_assets.sources.reference import load_reference
from cost_assets.sources.storage import S3Store, open_store, s3_client_from_environment
from cost_assets.sources.usage import read_usage
from cost_assets_tests.sources.builders import (
    CUR_NAME,
    FOCUS_NAME,
    PERIOD,
    START,
    cur_table,
    data_key,
    focus_table,
    write_csv_gz,
    write_manifest,
    write_parquet,
    write_reference,
)

DAY = date(2026, 10, 1)


def _sources_root(root: Path) -> None:
    focus = [
        write_parquet(root, data_key("focus", FOCUS_NAME, 1), focus_table(3)),
        write_parquet(root, data_key("focus", FOCUS_NAME, 2), focus_table(2, first_hour=3)),
    ]
    write_parquet(root, data_key("focus", FOCUS_NAME, 3), focus_table(0))  # stale chunk
    # AWS writes report keys relative to the bucket, with the export's S3 prefix.
    write_manifest(root, "focus", FOCUS_NAME, focus, prefix="exports/")
    write_csv_gz(root, data_key("cur", CUR_NAME, 1, ext=".csv.gz"), cur_table(3))
    usage = pa.table(
        {
            "hour": pa.array([START], pa.timestamp("us")),
            "region": ["us-west-2"],
            "product": ["speech"],
            "worker": ["asr-en"],
            "model": ["nova-2"],
            "language": pa.array([None], pa.string()),
            "audio_hours": [1.5],
            "requests": pa.array([3], pa.int64()),
        }
    )
    write_parquet(root, f"usage/speech/date={DAY.isoformat()}/part-0.parquet", usage)
    write_reference(root)


def _upload(root: Path, bucket: str, prefix: str) -> None:
    client = s3_client_from_environment()
    client.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(root).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


def test_s3_root_reads_like_the_local_one(s3_env, tmp_path):
    _sources_root(tmp_path)
    bucket = f"sources-{uuid.uuid4().hex[:8]}"
    _upload(tmp_path, bucket, "exports")

    # botocore takes the endpoint from AWS_ENDPOINT_URL_S3 by itself.
    assert s3_client_from_environment().meta.endpoint_url == s3_env
    remote = open_store(f"s3://{bucket}/exports")
    local = open_store(str(tmp_path))
    assert isinstance(remote, S3Store)
    assert [(o.key, o.size) for o in remote.list("focus")] == [
        (o.key, o.size) for o in local.list("focus")
    ]

    for kind in ["focus", "cur"]:
        remote_delivery = find_delivery(remote, kind, PERIOD)
        local_delivery = find_delivery(local, kind, PERIOD)
        assert [f.key for f in remote_delivery.files] == [f.key for f in local_delivery.files]
        assert remote_delivery.from_manifest == local_delivery.from_manifest
        assert_frame_equal(read_export(remote, remote_delivery), read_export(local, local_delivery))
    assert len(find_delivery(remote, "focus", PERIOD).files) == 2

    remote_usage, remote_meta = read_usage(remote, "speech", DAY)
    local_usage, _ = read_usage(local, "speech", DAY)
    assert_frame_equal(remote_usage, local_usage)
    assert remote_meta["files"][0]["version"]  # the ETag

    remote_reference, local_reference = load_reference(remote), load_reference(local)
    assert_frame_equal(remote_reference.workers, local_reference.workers)
    assert remote_reference.settings == local_reference.settings


def test_s3_client_from_a_dagster_resource(s3_env, tmp_path):
    _sources_root(tmp_path)
    bucket = f"sources-{uuid.uuid4().hex[:8]}"
    _upload(tmp_path, bucket, "exports")
    client = S3Resource(endpoint_url=s3_env, region_name="us-east-1", max_attempts=8).get_client()
    store = open_store(f"s3://{bucket}/exports", s3_client=client)
    frame = read_export(store, find_delivery(store, "focus", PERIOD), ["EffectiveCost"])
    assert frame.height == 5 and frame.schema["EffectiveCost"] == pl.Float64


def test_missing_bucket_is_an_input_error(s3_env):
    with pytest.raises(InputError) as error:
        open_store("s3://no-such-bucket-here/exports")
    message = str(error.value)
    assert "s3://no-such-bucket-here/exports" in message and "NoSuchBucket" in message
    assert "testing" not in message  # never a credential


def test_empty_prefix_is_an_input_error(s3_env, tmp_path):
    bucket = f"sources-{uuid.uuid4().hex[:8]}"
    s3_client_from_environment().create_bucket(Bucket=bucket)
    with pytest.raises(InputError, match="holds no objects"):
        open_store(f"s3://{bucket}/nothing-here")


def test_missing_local_root_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_store(str(tmp_path / "nope"))
