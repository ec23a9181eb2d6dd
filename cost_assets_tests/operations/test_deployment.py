"""The two deployment profiles: the laptop one runs, the production one loads and its
Postgres storage works against a real PostgreSQL server."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.launcher import RunLauncher

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "deploy" / "production" / "dagster.yaml"
PG_ENV = {
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-secret",
    "DAGSTER_PG_HOST": "127.0.0.1",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_COMPUTE_LOG_BUCKET": "compute-logs",
}


def test_production_profile_validates_and_names_a_real_launcher(tmp_path, monkeypatch):
    for key, value in PG_ENV.items():
        monkeypatch.setenv(key, value)
    shutil.copy(PRODUCTION, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    launcher = config["run_launcher"]
    module = __import__(launcher["module"], fromlist=[launcher["class"]])
    assert issubclass(getattr(module, launcher["class"]), RunLauncher)
    assert launcher["class"] == "EcsRunLauncher"
    assert "postgres" in config["storage"]


def test_laptop_profile_validates(tmp_path):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}


def _postgres_bin() -> Path | None:
    """Debian's server binaries (postgresql-NN), which are not all on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server on 127.0.0.1, run as the `postgres` system user."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: PostgreSQL refuses to start as root")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    # Outside pytest's own temporary folders, which only root may enter.
    root = Path(tempfile.mkdtemp(prefix="cost-assets-pg-"))
    data = root / "data"
    if as_postgres:
        shutil.chown(root, "postgres")
    port = 54000 + os.getpid() % 1000
    subprocess.run(
        [*as_postgres, str(binaries / "initdb"), "-D", str(data), "-U", "dagster", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_postgres,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        for _ in range(50):
            ready = subprocess.run(
                [str(binaries / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(
            [
                str(binaries / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "dagster",
                "dagster",
            ],
            check=True,
            capture_output=True,
        )
        yield port
    finally:
        subprocess.run(
            [*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
        )


def test_runs_and_materializations_are_stored_in_postgres(postgres, tmp_path):
    production = yaml.safe_load(PRODUCTION.read_text())
    storage = {
        "postgres": {
            "postgres_db": {
                **production["storage"]["postgres"]["postgres_db"],
                "password": "",
                "username": "dagster",
                "hostname": "127.0.0.1",
                "db_name": "dagster",
                "port": postgres,
            }
        }
    }
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"storage": storage}))

    @dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-10-25"))
    def probe(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={"day": context.partition_key})

    with dg.instance_for_test(temp_dir=str(tmp_path), overrides={"storage": storage}) as instance:
        result = dg.materialize([probe], partition_key="2026-10-27", instance=instance)
        assert result.success
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_materialized_partitions(dg.AssetKey("probe")) == {"2026-10-27"}
