"""A worker whose cost doubles at flat traffic is flagged, by the rule and by the check."""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from cost_assets.assets.common import REFERENCE
from cost_assets.assets.trajectories import TRAJECTORY_CHECKS, worker_trajectories
from cost_assets.methodology import trajectories as rules
from cost_assets.sources.reference import Settings
from cost_assets.warehouse import Warehouse
from cost_assets_tests.harness import storage

DAY = date(2026, 11, 8)
BASE = DAY - timedelta(days=7)


def worker_day(day: date, worker: str, cost: float, units: float, fleet: str = "gpu") -> dict:
    return {
        "day": day,
        "region": "us-west-2",
        "fleet": fleet,
        "worker": worker,
        "in_use_usd": cost * 0.6,
        "idle_reserved_usd": cost * 0.3,
        "dark_reserved_usd": cost * 0.1,
        "cost_usd": cost,
        "unit": "audio_hours",
        "units": units,
    }


def worker_costs() -> pl.DataFrame:
    rows = [
        # Doubles its cost while its traffic stays flat: the drift to catch.
        worker_day(BASE, "drifter", 100.0, 1000.0),
        worker_day(DAY, "drifter", 200.0, 1000.0),
        # Cost doubles with traffic: growth, not drift.
        worker_day(BASE, "grower", 50.0, 500.0),
        worker_day(DAY, "grower", 100.0, 1000.0),
        # A daemon has no traffic: never judged.
        worker_day(BASE, "log-agent", 1.0, 0.0),
        worker_day(DAY, "log-agent", 3.0, 0.0),
        # New worker: no base day, never judged.
        worker_day(DAY, "newcomer", 10.0, 10.0, fleet="cpu"),
    ]
    return pl.DataFrame(rows)


def test_doubling_cost_at_flat_traffic_is_flagged():
    frame = rules.worker_trajectories(worker_costs().lazy(), DAY, 7, 0.10).collect()
    rows = {r["worker"]: r for r in frame.iter_rows(named=True)}
    assert rows["drifter"]["cost_growth"] == 1.0
    assert rows["drifter"]["units_growth"] == 0.0
    assert rows["drifter"]["unit_cost_growth"] == 1.0
    assert [w for w, r in rows.items() if r["flagged"]] == ["drifter"]
    assert rows["grower"]["unit_cost_growth"] == 0.0
    assert rows["log-agent"]["unit_cost_growth"] is None
    assert rows["newcomer"]["cost_growth"] is None
    # Shares of the fleet's dollars that day: 200 + 100 + 3 in the gpu fleet.
    assert rows["drifter"]["fleet_share"] == 200.0 / 303.0
    assert rows["newcomer"]["fleet_share"] == 1.0
    assert frame["cost_usd"].sum() == 313.0
    assert [f["worker"] for f in rules.flagged_workers(frame)] == ["drifter"]


def test_the_threshold_is_configurable():
    frame = rules.worker_trajectories(worker_costs().lazy(), DAY, 7, 1.5).collect()
    assert not frame["flagged"].any()


def test_the_warning_check_lists_the_drifting_worker(tmp_path):
    tables = Warehouse(str(tmp_path / "warehouse"))
    costs = worker_costs()
    for day in (BASE, DAY):
        tables.write("worker_costs_daily", day.isoformat(), costs.filter(pl.col("day") == day))
    tables.write(REFERENCE, "settings", pl.DataFrame([Settings().as_dict()]))

    result = dg.materialize(
        [worker_trajectories, *TRAJECTORY_CHECKS],
        partition_key=DAY.isoformat(),
        resources={"storage": storage(tmp_path, tmp_path / "warehouse")},
        selection=[worker_trajectories],
    )
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["conserves_worker_costs_daily"].passed
    warning = checks["cost_grows_with_traffic"]
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    flagged = warning.metadata["flagged_workers"].value
    assert [f["worker"] for f in flagged] == ["drifter"]
    assert flagged[0]["unit_cost_growth"] == 1.0
