"""Capacity classes (SPEC 3.4): in use, idle reserved, dark reserved, through the real assets.

The CUR split costs below add up to each instance-hour's FOCUS cost (scale factor 1), so that
every expected value is a plain sum or ratio of the numbers in the scenario.
"""

from fractions import Fraction as F

import polars as pl
import pytest

from cost_assets.sample.reference import WORKERS
from cost_assets_tests.scenarios.compute.builder import (
    DAY,
    PREVIOUS_DAY,
    Scenario,
    assert_costs,
    costs,
    materialize,
)


def instance_with_no_tasks() -> Scenario:
    """Hour 5, us-west-2.

    - i-busy (speech-cpu, C = 0.80): diarizer 0.45 in use + 0.05 idle, api-edge 0.15 + 0.15;
    - i-empty (tagged speech-cpu, C = 0.40): no task at all: dark, to the fleet's workers
      running that hour ∝ in-use cost, 0.45 : 0.15 → diarizer 0.30, api-edge 0.10;
    - i-untagged (C = 0.25) and i-foreign (tagged with a fleet the catalog does not know,
      C = 0.15): no task, not in an ECS fleet: shared cost, not compute.
    """
    s = Scenario()
    s.instance("i-busy", 5, 0.80, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-busy", 5, "t1", "diarizer", cluster="speech-cpu", vcpu=(2, 1), gb=(8, 4),
           split=(0.40, 0.05), unused=(0.0, 0.05))  # fmt: skip
    s.task("i-busy", 5, "t2", "api-edge", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 1),
           split=(0.10, 0.05), unused=(0.10, 0.05))  # fmt: skip
    s.instance("i-empty", 5, 0.40, fleet="speech-cpu", capacity=(4, 16, 0))
    s.instance("i-untagged", 5, 0.25, capacity=(4, 16, 0))
    s.instance("i-foreign", 5, 0.15, fleet="batch-x", capacity=(4, 16, 0))
    s.speech_usage(5, "diarizer", "meeting-notes", "diarize-v1", None, 1.0, requests=10)
    return s


def test_instance_with_no_tasks_is_dark(tmp_path):
    golden = materialize(instance_with_no_tasks(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    assert_costs(
        costs(tasks, ["instance_id", "split_path"], "dark_cost"),
        {("i-busy", "cur_split"): 0.0, ("i-empty", "dark"): 0.40},
    )
    workers = golden.table("worker_costs")
    assert_costs(
        costs(workers, ["worker", "cost_class", "step"]),
        {
            ("diarizer", "in_use", "task"): 0.45,
            ("diarizer", "idle_reserved", "task"): 0.05,
            ("diarizer", "dark_reserved", "same_hour"): F(40, 100) * F(45, 60),
            ("api-edge", "in_use", "task"): 0.15,
            ("api-edge", "idle_reserved", "task"): 0.15,
            ("api-edge", "dark_reserved", "same_hour"): F(40, 100) * F(15, 60),
        },
    )
    meta = golden.metadata("task_costs")
    assert meta["instance_hours"] == 2
    assert meta["dark_instance_hours"] == 1
    assert meta["dollars_by_class"]["dark_reserved"] == pytest.approx(0.40, abs=1e-12)
    worker_meta = golden.metadata("worker_costs")
    assert worker_meta["dark_dollars_by_step"] == {"same_hour": 0.40}
    assert worker_meta["dark_instance_hours"] == 1
    # The two instances outside every fleet are shared cost: 0.25 + 0.15.
    shared = golden.table("product_shared_costs")
    assert shared["cost_usd"].sum() == pytest.approx(0.40, abs=1e-12)


def instance_with_only_daemons() -> Scenario:
    """Hour 6, us-west-2, fleet speech-cpu.

    - i-daemon (C = 0.60): only the log agent runs: the instance is dark, not active;
    - i-mixed (C = 1.00): audio-preproc 0.50 in use + 0.10 idle, llm-router 0.20 + 0.05, and
      the log agent 0.10 + 0.05. The agent's whole 0.15 folds into the two workers' in use ∝
      their in-use cost 5 : 2 (3/28 and 3/70).
    - i-daemon's dark 0.60 goes to the workers in use that hour, 5 : 2 (3/7 and 6/35).
    """
    s = Scenario()
    s.instance("i-daemon", 6, 0.60, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-daemon", 6, "agent-1", "speech-cpu-log-agent", cluster="speech-cpu",
           vcpu=(0.25, 0.1), gb=(0.5, 0.2), split=(0.02, 0.01), unused=(0.3, 0.27))  # fmt: skip
    s.instance("i-mixed", 6, 1.00, fleet="speech-cpu", capacity=(8, 32, 0))
    s.task("i-mixed", 6, "t1", "audio-preproc", cluster="speech-cpu", vcpu=(2, 2), gb=(4, 4),
           split=(0.40, 0.10), unused=(0.05, 0.05))  # fmt: skip
    s.task("i-mixed", 6, "t2", "llm-router", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 2),
           split=(0.15, 0.05), unused=(0.03, 0.02))  # fmt: skip
    s.task("i-mixed", 6, "agent-2", "speech-cpu-log-agent", cluster="speech-cpu",
           vcpu=(0.25, 0.1), gb=(0.5, 0.2), split=(0.08, 0.02), unused=(0.03, 0.02))  # fmt: skip
    return s


def test_instance_with_only_daemon_tasks_is_dark(tmp_path):
    golden = materialize(instance_with_only_daemons(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    assert_costs(costs(tasks, ["instance_id", "split_path"], "dark_cost"),
                 {("i-daemon", "dark"): 0.60, ("i-mixed", "cur_split"): 0.0})  # fmt: skip
    workers = golden.table("worker_costs")
    assert_costs(
        costs(workers, ["worker", "cost_class", "step"]),
        {
            ("audio-preproc", "in_use", "task"): 0.50,
            ("audio-preproc", "in_use", "daemon_fold"): F(3, 28),
            ("audio-preproc", "idle_reserved", "task"): 0.10,
            ("audio-preproc", "dark_reserved", "same_hour"): F(3, 7),
            ("llm-router", "in_use", "task"): 0.20,
            ("llm-router", "in_use", "daemon_fold"): F(3, 70),
            ("llm-router", "idle_reserved", "task"): 0.05,
            ("llm-router", "dark_reserved", "same_hour"): F(6, 35),
        },
    )
    # Per instance-hour the classes add up to C: 0.60 dark, 1.00 in use and idle.
    assert workers["cost_usd"].sum() == pytest.approx(1.60, abs=1e-12)
    assert golden.metadata("task_costs")["dark_instance_hours"] == 1
    assert golden.metadata("task_costs")["daemon_task_hours"] == 1


def fleet_dark_for_an_hour() -> Scenario:
    """Two days; the second is the one under test.

    2026-11-01, hour 10: us-west-2 speech-cpu ran diarizer (0.60 in use) and api-edge
    (0.20 in use, 0.20 idle) on i-h1 (C = 1.00); eu-west-1 speech-cpu ran audio-preproc on
    i-e1 (C = 0.50, all in use).

    2026-11-02, hour 3:
    - us-west-2 speech-cpu: i-d1 (C = 0.40, no task) and i-d2 (C = 0.20, the log agent
      only): the whole fleet is dark and no worker runs in it that hour (nor that day), so
      the 0.60 goes ∝ the trailing window's in-use cost there, 0.60 : 0.20: diarizer 0.45,
      api-edge 0.15. audio-preproc, running in the *same fleet name in eu-west-1* that hour
      (i-e2, C = 0.30), gets none of it: fleets are regional.
    - us-east-1 llm-gpu: i-l1 (C = 2.00) dark, no history: evenly over the fleet's
      catalogued workers (llm-summarizer alone; daemons are not candidates).
    - us-west-2 ops: i-o1 (C = 0.05) dark; the ops fleet has only a daemon in the catalog:
      unattributed.
    """
    ops = pl.DataFrame(
        [("ops-log-agent", "ops", "ops", True, 0, "requests")], schema=WORKERS.schema, orient="row"
    )
    s = Scenario(reference={"workers": pl.concat([WORKERS, ops])})
    s.instance("i-h1", 10, 1.00, fleet="speech-cpu", capacity=(4, 16, 0), day=PREVIOUS_DAY)
    s.task("i-h1", 10, "t1", "diarizer", cluster="speech-cpu", vcpu=(2, 2), gb=(8, 8),
           split=(0.50, 0.10), unused=(0.0, 0.0), day=PREVIOUS_DAY)  # fmt: skip
    s.task("i-h1", 10, "t2", "api-edge", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 2),
           split=(0.15, 0.05), unused=(0.15, 0.05), day=PREVIOUS_DAY)  # fmt: skip
    s.instance("i-e1", 10, 0.50, fleet="speech-cpu", region="eu-west-1", capacity=(4, 16, 0),
               day=PREVIOUS_DAY)  # fmt: skip
    s.task("i-e1", 10, "t3", "audio-preproc", cluster="speech-cpu", vcpu=(4, 4), gb=(16, 16),
           split=(0.40, 0.10), unused=(0.0, 0.0), region="eu-west-1", day=PREVIOUS_DAY)  # fmt: skip

    s.instance("i-d1", 3, 0.40, fleet="speech-cpu", capacity=(4, 16, 0))
    s.instance("i-d2", 3, 0.20, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-d2", 3, "agent", "speech-cpu-log-agent", cluster="speech-cpu", vcpu=(0.25, 0.1),
           gb=(0.5, 0.2), split=(0.01, 0.01), unused=(0.1, 0.08))  # fmt: skip
    s.instance("i-e2", 3, 0.30, fleet="speech-cpu", region="eu-west-1", capacity=(4, 16, 0))
    s.task("i-e2", 3, "t4", "audio-preproc", cluster="speech-cpu", vcpu=(4, 4), gb=(16, 16),
           split=(0.25, 0.05), unused=(0.0, 0.0), region="eu-west-1")  # fmt: skip
    s.instance("i-l1", 3, 2.00, instance_type="g5.12xlarge", fleet="llm-gpu", region="us-east-1")
    s.instance("i-o1", 3, 0.05, fleet="ops", capacity=(2, 8, 0))
    return s


def test_fleet_dark_for_an_hour_takes_the_trailing_window(tmp_path):
    golden = materialize(fleet_dark_for_an_hour(), tmp_path, [PREVIOUS_DAY, DAY])
    assert golden.failed_checks() == []
    workers = golden.table("worker_costs", DAY)
    assert_costs(
        costs(workers, ["region", "fleet", "worker", "cost_class", "step"]),
        {
            ("us-west-2", "speech-cpu", "diarizer", "dark_reserved", "trailing_window"): 0.45,
            ("us-west-2", "speech-cpu", "api-edge", "dark_reserved", "trailing_window"): 0.15,
            ("eu-west-1", "speech-cpu", "audio-preproc", "in_use", "task"): 0.30,
            ("us-east-1", "llm-gpu", "llm-summarizer", "dark_reserved", "fleet_catalog"): 2.00,
            ("us-west-2", "ops", "unattributed", "dark_reserved", "unattributed"): 0.05,
        },
    )
    meta = golden.metadata("worker_costs", DAY)
    assert meta["dark_dollars_by_step"] == {
        "fleet_catalog": 2.0,
        "trailing_window": 0.6,
        "unattributed": 0.05,
    }
    assert meta["dark_instance_hours"] == 4
    assert meta["unattributed_dollars"] == pytest.approx(0.05, abs=1e-12)
    assert meta["trailing_days_found"] == 2
