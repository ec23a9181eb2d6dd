"""Daemon cost folded onto the workers of its instance-hour (SPEC 3.4), worked by hand."""

from datetime import UTC, datetime

import polars as pl
import pytest

from cost_assets.methodology.capacity import fold_daemons

HOUR = datetime(2026, 11, 2, 5, tzinfo=UTC)


def _task_costs(rows: list[tuple]) -> pl.LazyFrame:
    """(instance, task, worker, is_daemon, split_path, in_use, idle) per row."""
    return pl.DataFrame(
        [
            {
                "hour": HOUR,
                "region": "us-west-2",
                "fleet": "speech-cpu",
                "instance_id": instance,
                "task_id": task,
                "worker": worker,
                "is_daemon": daemon,
                "split_path": path,
                "in_use_cost": in_use,
                "idle_cost": idle,
            }
            for instance, task, worker, daemon, path, in_use, idle in rows
        ]
    ).lazy()


def _folded(rows: list[tuple]) -> dict[tuple[str, str], float]:
    frame = fold_daemons(_task_costs(rows)).collect()
    assert set(frame["cost_class"]) == {"in_use"}
    summed = frame.group_by("worker", "step").agg(pl.col("cost_usd").sum())
    return {(w, s): c for w, s, c in summed.iter_rows()}


def test_daemon_cost_follows_in_use_cost_of_the_workers_beside_it():
    # Daemon 0.30 split + 0.10 unused = 0.40; workers in use 0.60 (a: two tasks 0.2 + 0.2,
    # b: 0.2): a takes 0.4 x 0.4/0.6 = 0.2667, b 0.4 x 0.2/0.6 = 0.1333.
    folded = _folded(
        [
            ("i-1", "t-d", "agent", True, "cur_split", 0.30, 0.10),
            ("i-1", "t-a1", "asr", False, "cur_split", 0.20, 0.05),
            ("i-1", "t-a2", "asr", False, "cur_split", 0.20, 0.05),
            ("i-1", "t-b", "tts", False, "cur_split", 0.20, 0.00),
        ]
    )
    assert folded == {
        ("asr", "daemon_fold"): pytest.approx(0.4 * 0.4 / 0.6, abs=1e-12),
        ("tts", "daemon_fold"): pytest.approx(0.4 * 0.2 / 0.6, abs=1e-12),
    }


def test_workers_without_in_use_cost_share_evenly_one_share_each():
    # Nothing in use: the 0.30 is split per worker, not per task (asr has two tasks).
    folded = _folded(
        [
            ("i-1", "t-d", "agent", True, "scad_recompute", 0.30, 0.0),
            ("i-1", "t-a1", "asr", False, "scad_recompute", 0.0, 0.1),
            ("i-1", "t-a2", "asr", False, "scad_recompute", 0.0, 0.1),
            ("i-1", "t-b", "tts", False, "scad_recompute", 0.0, 0.1),
        ]
    )
    assert folded == {
        ("asr", "daemon_fold_even"): pytest.approx(0.15, abs=1e-12),
        ("tts", "daemon_fold_even"): pytest.approx(0.15, abs=1e-12),
    }


def test_daemon_alone_stays_unattributed_and_dark_hours_are_not_folded():
    folded = _folded(
        [
            ("i-1", "t-d", "agent", True, "cur_split", 0.25, 0.05),
            ("i-2", None, None, False, "dark", 0.0, 0.0),
        ]
    )
    assert folded == {("unattributed", "unattributed"): pytest.approx(0.30, abs=1e-12)}


def test_a_worker_of_tiny_in_use_cost_takes_the_daemon_cost_without_overflow():
    # The property test's find: a worker in use for 1e-310 (a subnormal) beside a $1 daemon
    # and a worker of none. Dollars per unit of weight (1 / 1e-310) overflow to inf, and
    # inf x 0 is NaN; the worker's share of the weight (1) times the $1 does not.
    folded = _folded(
        [
            ("i-1", "t-d", "agent", True, "cur_split", 0.0, 1.0),
            ("i-1", "t-a", "asr", False, "cur_split", 1e-310, 0.0),
            ("i-1", "t-b", "tts", False, "cur_split", 0.0, 0.0),
        ]
    )
    assert folded == {("asr", "daemon_fold"): 1.0, ("tts", "daemon_fold"): 0.0}
