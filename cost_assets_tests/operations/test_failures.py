"""Failure behaviour: S3 faults are retried, a corrupt file fails its day loudly and keeps the
last good output, and two runs of one day at once leave one complete file."""

import http.client
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from cost_assets.sources.exports import find_delivery, read_export
from cost_assets.sources.storage import open_store, s3_client_from_environment
from cost_assets.warehouse import Warehouse
from cost_assets_tests.harness import materialize_days, table

SAMPLE = Path(__file__).resolve().parents[2] / "sample_exports"
REPO = SAMPLE.parent


class FaultyProxy(http.server.ThreadingHTTPServer):
    """An HTTP proxy on 127.0.0.1 in front of the moto server that answers the first
    ``failures`` requests with S3's throttling and server errors."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.remaining = failures
        self.injected = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: FaultyProxy

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _handle(self) -> None:
        with self.server.lock:
            fail = self.server.remaining > 0
            if fail:
                self.server.remaining -= 1
                self.server.injected += 1
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if fail:
            code, error = (503, "SlowDown") if self.server.injected % 2 else (500, "InternalError")
            payload = f"<Error><Code>{error}</Code><Message>injected</Message></Error>".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        upstream = http.client.HTTPConnection(self.server.upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = self.server.upstream
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle


def test_s3_throttling_and_5xx_are_retried(s3_env, monkeypatch):
    client = s3_client_from_environment()
    client.create_bucket(Bucket="faulty")
    period = SAMPLE / "focus/cost-assets-focus"
    for path in period.rglob("*"):
        if path.is_file() and "2026-11" in str(path):
            client.upload_file(
                str(path),
                "faulty",
                f"p/focus/cost-assets-focus/{path.relative_to(period).as_posix()}",
            )

    proxy = FaultyProxy(s3_env, failures=5)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
        store = open_store("s3://faulty/p")
        delivery = find_delivery(store, "focus", "2026-11")
        frame = read_export(store, delivery)
    finally:
        proxy.shutdown()
    assert proxy.injected == 5
    assert frame.height > 10_000


def test_a_corrupt_chunk_fails_the_day_and_keeps_the_last_good_output(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SAMPLE, sources)
    warehouse = tmp_path / "warehouse"
    day = "2026-11-06"
    materialize_days(sources, warehouse, [day])
    stored = Path(Warehouse(str(warehouse)).path("unit_costs_hourly", day))
    good_bytes = stored.read_bytes()

    chunk = next((sources / "focus").glob("*/data/BILLING_PERIOD=2026-11/*.parquet"))
    chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])
    (result,) = materialize_days(sources, warehouse, [day], raise_on_error=False)

    assert not result.success
    failures = result.get_step_failure_events()
    assert [f.step_key for f in failures] == ["focus_charges"]
    message = failures[0].event_specific_data.error.message
    assert chunk.name in message
    assert stored.read_bytes() == good_bytes
    assert table(warehouse, "unit_costs_hourly", day).height > 0


def test_two_runs_of_one_day_at_once_leave_one_complete_file(tmp_path):
    warehouse = tmp_path / "warehouse"
    env = {
        **os.environ,
        "COST_ASSETS_SOURCES": str(SAMPLE),
        "COST_ASSETS_WAREHOUSE": str(warehouse),
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "cost_assets.cli", "run", "--day", "2026-10-26"],
            env={**env, "DAGSTER_HOME": str(tmp_path / f"home{i}")},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    outputs = [r.communicate(timeout=300)[0].decode() for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    facts = table(warehouse, "unit_costs_hourly", "2026-10-26")
    assert facts["cost_usd"].sum() == pytest.approx(1423.256168, abs=1e-5)
    leftovers = [p for p in warehouse.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_concurrent_writers_of_one_partition_never_mix(tmp_path):
    tables = Warehouse(str(tmp_path))
    frames = [pl.DataFrame({"writer": [i] * 200_000, "x": range(200_000)}) for i in range(4)]
    threads = [threading.Thread(target=tables.write, args=("t", "2026-10-26", f)) for f in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = tables.read("t", "2026-10-26")
    assert stored.height == 200_000
    assert stored["writer"].n_unique() == 1
