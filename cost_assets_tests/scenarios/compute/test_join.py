"""The join (SPEC 3.1): FOCUS dollars over CUR task shares, through the real Dagster assets.

Every expected value is worked out by hand in the comments, as exact fractions where the
arithmetic is not obvious.
"""

from fractions import Fraction as F

import pytest

from cost_assets_tests.scenarios.compute.builder import (
    Scenario,
    assert_costs,
    costs,
    materialize,
)

CPU_WORKERS = ["diarizer", "audio-preproc", "api-edge", "llm-router"]

# AWS's worked example (m5.xlarge at $1/h, 4 vCPU, 16 GB; weights 9:1, so unit = 1/52):
#   alloc vCPU = max(reserved, used) = 1, 1.9, 1, 1 (4.9 > 4: no unused vCPU, den 4.9)
#   alloc GB   = 4, 6, 2, 2 (14 of 16: 2 GB unused, den 16)
#   split_i  = alloc_vcpu/4.9 * 4 * 9/52 + alloc_gb/16 * 16 * 1/52
#   unused_i = alloc_gb/14 * 2 * 1/52
AWS_VCPU = [(1.0, 0.1), (1.0, 1.9), (1.0, 0.5), (1.0, 0.5)]
AWS_GB = [(4.0, 3.0), (4.0, 6.0), (2.0, 2.0), (2.0, 2.0)]
VCPU_ALLOC = [F(1), F(19, 10), F(1), F(1)]
GB_ALLOC = [F(4), F(6), F(2), F(2)]
VCPU_SPLIT = [a / F(49, 10) * 4 * F(9, 52) for a in VCPU_ALLOC]
GB_SPLIT = [a / 16 * 16 * F(1, 52) for a in GB_ALLOC]
GB_UNUSED = [a / 14 * 2 * F(1, 52) for a in GB_ALLOC]
AWS_SPLIT = [F(139, 637), F(489, 1274), F(229, 1274), F(229, 1274)]
AWS_UNUSED = [F(1, 91), F(3, 182), F(1, 182), F(1, 182)]


def aws_cpu_example() -> Scenario:
    """The example three times, in three hours, on three m5.xlarge instances at $1:

    hour 0, i-cur:  CUR carries AWS's split costs (the cur_split path, scale factor 1);
    hour 1, i-zero: CUR split costs are 0 (SCAD recomputed from usage);
    hour 2, i-part: tasks 1 and 2 carry split costs, tasks 3 and 4 do not (null): the
                    instance-hour cannot be scaled from CUR and is recomputed as a whole.
    """
    s = Scenario()
    for hour, instance in enumerate(["i-cur", "i-zero", "i-part"]):
        s.instance(instance, hour, 1.0, fleet="speech-cpu", capacity=(4, 16, 0))
        for n, worker in enumerate(CPU_WORKERS):
            if instance == "i-cur" or (instance == "i-part" and n < 2):
                split = (float(VCPU_SPLIT[n]), float(GB_SPLIT[n]))
                unused = (0.0, float(GB_UNUSED[n]))
            elif instance == "i-zero":
                split, unused = (0.0, 0.0), (0.0, 0.0)
            else:
                split, unused = (None, None), (None, None)
            s.task(
                instance,
                hour,
                f"{instance}-t{n + 1}",
                worker,
                cluster="speech-cpu",
                vcpu=AWS_VCPU[n],
                gb=AWS_GB[n],
                split=split,
                unused=unused,
            )
    return s


@pytest.fixture(scope="module")
def aws_cpu(tmp_path_factory):
    return materialize(aws_cpu_example(), tmp_path_factory.mktemp("aws_cpu"))


def test_cur_split_inputs_are_aws_example():
    assert [v + g for v, g in zip(VCPU_SPLIT, GB_SPLIT, strict=True)] == AWS_SPLIT
    assert GB_UNUSED == AWS_UNUSED


def test_aws_cpu_example_reproduces_on_every_path(aws_cpu):
    assert aws_cpu.failed_checks() == []
    tasks = aws_cpu.table("task_costs")
    expected_in_use, expected_idle = {}, {}
    for hour in range(3):
        for n, worker in enumerate(CPU_WORKERS):
            expected_in_use[(hour, worker)] = AWS_SPLIT[n]
            expected_idle[(hour, worker)] = AWS_UNUSED[n]
    with_hour = tasks.with_columns(tasks["hour"].dt.hour())
    assert_costs(costs(with_hour, ["hour", "worker"], "in_use_cost"), expected_in_use)
    assert_costs(costs(with_hour, ["hour", "worker"], "idle_cost"), expected_idle)
    assert dict(costs(with_hour, ["hour", "split_path"], "dark_cost")) == {
        (0, "cur_split"): 0.0,
        (1, "scad_recompute"): 0.0,
        (2, "scad_recompute"): 0.0,
    }
    # AWS's displayed totals per task: $0.23, $0.40, $0.19, $0.19.
    hour0 = with_hour.filter(with_hour["hour"] == 0).sort("task_id")
    totals = (hour0["in_use_cost"] + hour0["idle_cost"]).to_list()
    assert [round(t, 2) for t in totals] == [0.23, 0.40, 0.19, 0.19]


def test_aws_cpu_example_worker_classes_and_metadata(aws_cpu):
    workers = aws_cpu.table("worker_costs")
    expected = {}
    for n, worker in enumerate(CPU_WORKERS):
        expected[(worker, "in_use")] = 3 * AWS_SPLIT[n]
        expected[(worker, "idle_reserved")] = 3 * AWS_UNUSED[n]
    assert_costs(costs(workers, ["worker", "cost_class"]), expected)

    meta = aws_cpu.metadata("task_costs")
    assert meta["instance_hours"] == 3
    assert meta["instance_hours_by_split_path"] == {"cur_split": 1, "scad_recompute": 2}
    assert meta["tasks"] == 12
    assert meta["dark_instance_hours"] == 0
    assert meta["orphan_task_hours"] == 0
    assert meta["scale_factor"]["instance_hours"] == 1
    assert meta["scale_factor"]["min"] == pytest.approx(1.0, abs=1e-12)
    assert meta["scale_factor"]["beyond_1_percent"] == 0
    assert meta["dollars_by_class"] == {
        "in_use": pytest.approx(float(3 * sum(AWS_SPLIT)), abs=1e-6),
        "idle_reserved": pytest.approx(float(3 * sum(AWS_UNUSED)), abs=1e-6),
        "dark_reserved": 0.0,
    }


def savings_plan_and_on_demand() -> Scenario:
    """Hour 7, i-sp: one instance-hour billed in two FOCUS rows, 0.50 covered by the Savings
    Plan and 0.30 on demand: C = 0.80. CUR split it at the $1.00 on-demand price:
    diarizer 0.60 + 0.10, api-edge 0.25 + 0.05. Scale factor 0.80 / 1.00 = 0.8 (flagged).

    Hour 8, i-sp2: one covered row of 0.201 whose CUR split adds up to 0.200 (diarizer
    0.15 + 0.05): scale factor 1.005, within 1%, not flagged.
    """
    s = Scenario()
    s.instance("i-sp", 7, [0.50, 0.30], fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-sp", 7, "t1", "diarizer", cluster="speech-cpu", vcpu=(2, 1), gb=(8, 4),
           split=(0.50, 0.10), unused=(0.0, 0.10))  # fmt: skip
    s.task("i-sp", 7, "t2", "api-edge", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 1),
           split=(0.20, 0.05), unused=(0.0, 0.05))  # fmt: skip
    s.instance("i-sp2", 8, 0.201, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-sp2", 8, "t3", "diarizer", cluster="speech-cpu", vcpu=(2, 1), gb=(8, 4),
           split=(0.10, 0.05), unused=(0.0, 0.05))  # fmt: skip
    return s


def test_savings_plan_and_on_demand_rows_add_up(tmp_path):
    golden = materialize(savings_plan_and_on_demand(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    # i-sp: × 0.8: diarizer 0.48 in use + 0.08 idle, api-edge 0.20 + 0.04 (sum 0.80).
    # i-sp2: × 1.005: diarizer 0.15075 + 0.05025 (sum 0.201).
    assert_costs(
        costs(tasks, ["instance_id", "worker"], "in_use_cost"),
        {("i-sp", "diarizer"): 0.48, ("i-sp", "api-edge"): 0.20, ("i-sp2", "diarizer"): 0.15075},
    )
    assert_costs(
        costs(tasks, ["instance_id", "worker"], "idle_cost"),
        {("i-sp", "diarizer"): 0.08, ("i-sp", "api-edge"): 0.04, ("i-sp2", "diarizer"): 0.05025},
    )
    assert_costs(costs(tasks, ["instance_id"], "scale_factor"), {("i-sp",): 1.6, ("i-sp2",): 1.005})
    meta = golden.metadata("task_costs")
    assert meta["dollars_in"] == pytest.approx(1.001, abs=1e-12)
    assert meta["instance_hours"] == 2
    assert meta["scale_factor"]["min"] == pytest.approx(0.8, abs=1e-12)
    assert meta["scale_factor"]["max"] == pytest.approx(1.005, abs=1e-12)
    assert meta["scale_factor"]["beyond_1_percent"] == 1
    assert [(r["instance_id"], r["scale_factor"]) for r in meta["scale_factor_flagged"]] == [
        ("i-sp", 0.8)
    ]


def data_transfer_on_an_instance() -> Scenario:
    """Hour 9, i-dt (C = 0.70, BoxUsage): diarizer, CUR 0.50 split + 0.20 unused (scale 1).
    Three more AmazonEC2 rows carry the id i-dt and are not instance usage: data transfer out
    (0.09, operation RunInstances as AWS bills it), an EBS-optimized surcharge (0.03), and
    an unused-commitment row naming the instance (0.02). All 0.14 is shared cost.
    """
    s = Scenario()
    s.instance("i-dt", 9, 0.70, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-dt", 9, "t1", "diarizer", cluster="speech-cpu", vcpu=(2, 1), gb=(8, 4),
           split=(0.40, 0.10), unused=(0.10, 0.10))  # fmt: skip
    common = {"RegionId": "us-west-2", "ResourceId": "i-dt", "x_ServiceCode": "AmazonEC2"}
    s.charge(9, 0.09, x_Operation="RunInstances", SkuMeter="USW2-DataTransfer-Out-Bytes",
             ResourceType="Instance", **common)  # fmt: skip
    s.charge(9, 0.03, x_Operation="RunInstances", SkuMeter="USW2-EBSOptimized:m5.xlarge",
             **common)  # fmt: skip
    s.charge(9, 0.02, x_Operation="RunInstances", SkuMeter="USW2-BoxUsage:m5.xlarge",
             CommitmentDiscountStatus="Unused", **common)  # fmt: skip
    s.speech_usage(9, "diarizer", "meeting-notes", "diarize-v1", None, 1.0)
    return s


def test_data_transfer_on_an_instance_is_not_compute(tmp_path):
    golden = materialize(data_transfer_on_an_instance(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    assert tasks.height == 1
    assert_costs(costs(tasks, ["worker"], "in_use_cost"), {("diarizer",): 0.50})
    assert_costs(costs(tasks, ["worker"], "idle_cost"), {("diarizer",): 0.20})
    assert golden.metadata("task_costs")["dollars_in"] == pytest.approx(0.70, abs=1e-12)
    shared = golden.table("product_shared_costs")
    assert shared["cost_usd"].sum() == pytest.approx(0.14, abs=1e-12)


def orphans_and_artefacts() -> Scenario:
    """Hour 4. i-real (C = 0.50): diarizer, CUR 0.40 split + 0.10 unused (scale 1).

    - i-ghost has a task (api-edge, CUR 0.30 + 0.10) but no FOCUS row that hour: an orphan,
      its 0.40 of CUR dollars reported, no FOCUS dollar lost (there is none to lose);
    - audio-preproc has split rows with an empty parent and zero cost: AWS's artefact,
      ignored (two rows);
    - llm-router has an empty parent but a cost (0.10): not an artefact, an orphan.
    """
    s = Scenario()
    s.instance("i-real", 4, 0.50, fleet="speech-cpu", capacity=(4, 16, 0))
    s.task("i-real", 4, "t1", "diarizer", cluster="speech-cpu", vcpu=(2, 1), gb=(8, 4),
           split=(0.30, 0.10), unused=(0.05, 0.05))  # fmt: skip
    s.task("i-ghost", 4, "t2", "api-edge", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 1),
           split=(0.20, 0.10), unused=(0.05, 0.05))  # fmt: skip
    s.task(None, 4, "t3", "audio-preproc", cluster="speech-cpu", vcpu=(2, 0), gb=(4, 0),
           split=(0.0, 0.0), unused=(0.0, 0.0))  # fmt: skip
    s.task(None, 4, "t4", "llm-router", cluster="speech-cpu", vcpu=(1, 1), gb=(2, 1),
           split=(0.10, 0.0), unused=(0.0, 0.0))  # fmt: skip
    return s


def test_split_rows_without_a_priced_parent(tmp_path):
    golden = materialize(orphans_and_artefacts(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    assert_costs(costs(tasks, ["worker"], "in_use_cost"), {("diarizer",): 0.40})
    assert_costs(costs(tasks, ["worker"], "idle_cost"), {("diarizer",): 0.10})
    workers = golden.table("worker_costs")
    assert_costs(
        costs(workers, ["worker", "cost_class"]),
        {("diarizer", "in_use"): 0.40, ("diarizer", "idle_reserved"): 0.10},
    )
    meta = golden.metadata("task_costs")
    assert meta["dollars_in"] == pytest.approx(0.50, abs=1e-12)
    assert meta["dollars_out"] == pytest.approx(0.50, abs=1e-12)
    assert meta["orphan_task_hours"] == 2
    assert meta["orphan_cur_split_dollars"] == pytest.approx(0.50, abs=1e-12)
    assert meta["orphan_parents"] == ["(empty)", "i-ghost"]
    assert golden.metadata("cur_task_hours")["empty_parent_rows_ignored"] == 2
