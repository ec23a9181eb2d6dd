"""No credential ever reaches a log, an event or stored metadata, whether the run succeeds or
S3 refuses the credentials."""

from __future__ import annotations

import uuid

import dagster as dg
from dagster_shared.serdes import serialize_value
from moto.core.authorization import enable_iam_authentication

from cost_assets.sources.storage import s3_client_from_environment
from cost_assets_tests.bad_input.roots import run_raw, write_tiny_root


def test_fake_credentials_never_reach_logs_or_metadata(s3_env, tmp_path, monkeypatch, capfd):
    bucket = f"secrets-{uuid.uuid4().hex[:8]}"
    root = write_tiny_root(tmp_path / "src")
    client = s3_client_from_environment()
    client.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.put_object(
                Bucket=bucket,
                Key=f"exports/{path.relative_to(root).as_posix()}",
                Body=path.read_bytes(),
            )

    key_id = "AKIAFAKE" + uuid.uuid4().hex[:12].upper()
    secret = "fakeSecret+" + uuid.uuid4().hex
    token = "fakeToken/" + uuid.uuid4().hex
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    home = tmp_path / "dagster_home"
    home.mkdir()
    warehouse = tmp_path / "wh"
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        # The raw assets are the ones that reach S3 with the credentials.
        good = run_raw(f"s3://{bucket}/exports", warehouse, instance=instance)
        with enable_iam_authentication():  # moto now refuses the unknown key
            refused = run_raw(f"s3://{bucket}/exports", warehouse, instance=instance)
        records = [
            serialize_value(r) for run in (good, refused) for r in instance.all_logs(run.run_id)
        ]

    assert good.success and not refused.success
    assert any("InvalidAccessKeyId" in r for r in records)
    captured = capfd.readouterr()
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    stored += b"".join(p.read_bytes() for p in warehouse.rglob("*") if p.is_file())
    for value in (key_id, secret, token):
        assert value not in captured.out and value not in captured.err
        assert not any(value in r for r in records)
        assert value.encode() not in stored
