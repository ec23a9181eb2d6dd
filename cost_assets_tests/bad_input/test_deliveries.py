"""Broken deliveries: empty and corrupt chunks, bad manifests, executions side by side, and an
S3 root that is wrong or refuses us. Each either reads correctly or fails the day naming the
file."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import polars as pl
import pytest
from moto.core.authorization import enable_iam_authentication

from cost_assets.sources.storage import s3_client_from_environment
from cost_assets_tests.bad_input.roots import (
    FOCUS_MANIFEST,
    PERIOD,
    failure,
    focus_chunk,
    metadata,
    run_raw,
    sample_rows,
    write_tiny_root,
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The tiny day's dollars when nothing is wrong."""
    root = write_tiny_root(tmp_path_factory.mktemp("baseline"))
    result = run_raw(root, tmp_path_factory.mktemp("warehouse"), assets=["focus_charges"])
    assert result.success
    return metadata(result, "focus_charges")["dollars"]


def test_empty_stale_chunks_are_left_out_by_the_manifest(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src", stale_chunks=2)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    (delivery,) = described["deliveries"]
    assert delivery["from_manifest"] and delivery["file_count"] == 1
    assert described["empty_files_read"] == []
    assert described["dollars"] == pytest.approx(baseline, abs=1e-9)


def test_empty_chunks_read_without_a_manifest_add_nothing_and_are_counted(tmp_path, baseline):
    root = write_tiny_root(tmp_path / "src", stale_chunks=2, manifest=False)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    assert result.success
    described = metadata(result, "focus_charges")
    (delivery,) = described["deliveries"]
    assert not delivery["from_manifest"] and delivery["file_count"] == 3
    assert [k.rsplit("/", 1)[-1] for k in described["empty_files_read"]] == [
        "cost-assets-focus-00002.snappy.parquet",
        "cost-assets-focus-00003.snappy.parquet",
    ]
    assert described["dollars"] == pytest.approx(baseline, abs=1e-9)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-8], id="footer-cut"),
        pytest.param(lambda data: b"PAR1" + b"\x00" * 64 + b"PAR1", id="garbage-parquet"),
        pytest.param(lambda data: b"", id="zero-bytes"),
        pytest.param(lambda data: b"\x1f\x8b" + data[:100], id="corrupt-gzip"),
    ],
)
def test_corrupt_chunk_fails_the_day_naming_the_file(tmp_path, damage):
    root = write_tiny_root(tmp_path / "src")
    chunk = focus_chunk(root)
    chunk.write_bytes(damage(chunk.read_bytes()))
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert str(chunk) in message
    assert described["file"] == str(chunk)


def test_manifest_listing_a_missing_file_fails_the_day(tmp_path):
    root = write_tiny_root(tmp_path / "src")
    manifest = root / FOCUS_MANIFEST.format(period=PERIOD)
    content = json.loads(manifest.read_text())
    missing = content["reportKeys"][0].replace("00001", "00007")
    content["reportKeys"].append(missing)
    manifest.write_text(json.dumps(content))
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert missing in message and "does not exist" in message
    assert described["file"] == str(manifest)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00binary", b"[1, 2]", b'{"reportKeys": "one.parquet"}', b""],
)
def test_manifest_that_is_not_a_manifest_fails_the_day(tmp_path, content):
    root = write_tiny_root(tmp_path / "src")
    manifest = root / FOCUS_MANIFEST.format(period=PERIOD)
    manifest.write_bytes(content)
    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])

    message, described = failure(result, "focus_charges")
    assert "manifest" in message and str(manifest) in message
    assert described["file"] == str(manifest)


def test_two_create_new_executions_side_by_side_only_the_latest_counts(tmp_path):
    root = tmp_path / "src"
    doubled = sample_rows("focus").with_columns(pl.col("EffectiveCost") * 2)
    # The later execution lands first; the earlier one, written last, leaves its top-level
    # manifest behind (two executions racing): the latest execution still wins.
    write_tiny_root(
        root,
        focus=doubled,
        mode="create_new",
        execution_id="later",
        delivered_at=datetime(2026, 10, 27, 6, tzinfo=UTC),
    )
    write_tiny_root(
        tmp_path / "unused",
        mode="create_new",
        execution_id="earlier",
        delivered_at=datetime(2026, 10, 26, 6, tzinfo=UTC),
    )
    earlier = tmp_path / "unused"
    for path in earlier.rglob("*"):
        if path.is_file() and ("focus/" in path.as_posix()):
            target = root / path.relative_to(earlier)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    top = json.loads((root / FOCUS_MANIFEST.format(period=PERIOD)).read_text())
    assert top["executionId"] == "earlier"

    result = run_raw(root, tmp_path / "wh", assets=["focus_charges"])
    assert result.success
    described = metadata(result, "focus_charges")
    (delivery,) = described["deliveries"]
    assert delivery["execution_id"] == "later"
    assert all("-later/" in f["key"] for f in delivery["files"])
    assert described["dollars"] == pytest.approx(
        2 * sample_rows("focus")["EffectiveCost"].sum(), abs=1e-9
    )


def _upload_tiny_root(tmp_path, bucket: str) -> None:
    root = write_tiny_root(tmp_path / "src")
    client = s3_client_from_environment()
    client.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = f"exports/{path.relative_to(root).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


def test_s3_prefix_that_does_not_exist_fails_naming_the_root(s3_env, tmp_path):
    bucket = f"bad-input-{uuid.uuid4().hex[:8]}"
    _upload_tiny_root(tmp_path, bucket)
    root = f"s3://{bucket}/exprots"
    result = run_raw(root, tmp_path / "wh")

    message, _ = failure(result, "reference_data")
    assert root in message and "holds no objects" in message


def test_wrong_s3_credentials_fail_naming_the_root_and_not_the_secret(
    s3_env, tmp_path, monkeypatch
):
    bucket = f"bad-input-{uuid.uuid4().hex[:8]}"
    _upload_tiny_root(tmp_path, bucket)
    secret = "wrongSecret/" + uuid.uuid4().hex
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    with enable_iam_authentication():
        result = run_raw(f"s3://{bucket}/exports", tmp_path / "wh")

    message, _ = failure(result, "reference_data")
    assert f"s3://{bucket}/exports" in message and "InvalidAccessKeyId" in message
    assert secret not in message and "AKIAWRONG" not in message
