"""SCAD reproduces AWS's two published worked examples exactly (expected values as fractions)."""

from fractions import Fraction as F

import polars as pl
import pytest

from cost_assets.methodology.scad import (
    AWS_FIXED_GPU_WEIGHTS,
    CPU_RESOURCES,
    CPU_WEIGHTS,
    GPU_RESOURCES,
    split_instance_hours,
)


def _split(tasks: dict, capacity: dict, weights: dict, cost: float, resources) -> pl.DataFrame:
    frame = pl.LazyFrame({"instance_id": ["i-1"] * len(tasks["task"]), **tasks})
    hour = pl.LazyFrame(
        {
            "instance_id": ["i-1"],
            "cost": [cost],
            **{f"{r}_capacity": [float(capacity[r])] for r in resources},
            **{f"{r}_weight": [float(weights[r])] for r in resources},
        }
    )
    return split_instance_hours(frame, hour, ["instance_id"], resources).collect().sort("task")


def _exact_split(alloc: dict, capacity: dict, weights: dict, cost: F) -> tuple[list, list]:
    """The SPEC 3.2 formulas in exact arithmetic, written independently of the Polars code."""
    unit = cost / sum(F(weights[r]) * capacity[r] for r in capacity)
    n = len(next(iter(alloc.values())))
    split, unused = [F(0)] * n, [F(0)] * n
    for r in capacity:
        rate = F(weights[r]) * unit
        total = sum(alloc[r])
        free = max(capacity[r] - total, F(0))
        for i in range(n):
            split[i] += alloc[r][i] / (total + free) * capacity[r] * rate
            unused[i] += alloc[r][i] / total * free * rate
    return split, unused


def test_aws_cpu_example_m5_xlarge():
    """AWS's example: m5.xlarge at $1/h, 4 vCPU, 16 GB, four tasks."""
    tasks = {
        "task": [1, 2, 3, 4],
        "vcpu_reserved": [1.0, 1.0, 1.0, 1.0],
        "vcpu_used": [0.1, 1.9, 0.5, 0.5],
        "gb_reserved": [4.0, 4.0, 2.0, 2.0],
        "gb_used": [3.0, 6.0, 2.0, 2.0],
    }
    result = _split(tasks, {"vcpu": 4, "gb": 16}, CPU_WEIGHTS, 1.0, CPU_RESOURCES)

    # Worked by hand: unit = 1/52, vCPU oversubscribed (4.9 allocated), 2 GB unused.
    expected_split = [F(139, 637), F(489, 1274), F(229, 1274), F(229, 1274)]
    expected_unused = [F(1, 91), F(3, 182), F(1, 182), F(1, 182)]
    alloc = {"vcpu": [F(1), F(19, 10), F(1), F(1)], "gb": [F(4), F(6), F(2), F(2)]}
    assert _exact_split(alloc, {"vcpu": F(4), "gb": F(16)}, CPU_WEIGHTS, F(1)) == (
        expected_split,
        expected_unused,
    )
    for got, want in zip(result["split_cost"], expected_split, strict=True):
        assert got == pytest.approx(float(want), abs=1e-9)
    for got, want in zip(result["unused_cost"], expected_unused, strict=True):
        assert got == pytest.approx(float(want), abs=1e-9)
    assert result["split_cost"].sum() + result["unused_cost"].sum() == pytest.approx(1.0, abs=1e-12)
    # AWS's displayed totals per task: $0.23, $0.40, $0.19, $0.19.
    totals = (result["split_cost"] + result["unused_cost"]).to_list()
    assert [round(t, 2) for t in totals] == [0.23, 0.40, 0.19, 0.19]


def test_aws_accelerated_example_p3_16xlarge():
    """AWS's accelerated example: 8 GPU, 64 vCPU, 488 GB at $10/h, fixed weights 9/0.9/0.1."""
    tasks = {
        "task": [1, 2, 3, 4],
        "gpu_reserved": [1.0, 2.0, 2.0, 2.0],
        "gpu_used": [1.0, 3.0, 1.0, 2.0],
        "vcpu_reserved": [16.0] * 4,
        "vcpu_used": [4.0, 18.0, 4.0, 4.0],
        "gb_reserved": [100.0] * 4,
        "gb_used": [60.0, 140.0, 60.0, 40.0],
    }
    capacity = {"gpu": 8, "vcpu": 64, "gb": 488}
    result = _split(tasks, capacity, AWS_FIXED_GPU_WEIGHTS, 10.0, GPU_RESOURCES)

    expected_split = [F(9065, 4906), F(15595, 4906), F(5770, 2453), F(5770, 2453)]
    expected_unused = [F(150, 2453), F(210, 2453), F(150, 2453), F(150, 2453)]
    weights = {"gpu": F(9), "vcpu": F(9, 10), "gb": F(1, 10)}
    alloc = {
        "gpu": [F(1), F(3), F(2), F(2)],
        "vcpu": [F(16), F(18), F(16), F(16)],
        "gb": [F(100), F(140), F(100), F(100)],
    }
    exact = _exact_split(alloc, {r: F(c) for r, c in capacity.items()}, weights, F(10))
    assert exact == (expected_split, expected_unused)
    for got, want in zip(result["split_cost"], expected_split, strict=True):
        assert got == pytest.approx(float(want), abs=1e-9)
    for got, want in zip(result["unused_cost"], expected_unused, strict=True):
        assert got == pytest.approx(float(want), abs=1e-9)
    # Pod1's per-resource split: GPU 225/446, vCPU 1920/2453, memory 125/223.
    first = result.row(0, named=True)
    assert first["gpu_split_cost"] == pytest.approx(225 / 446, abs=1e-9)
    assert first["vcpu_split_cost"] == pytest.approx(1920 / 2453, abs=1e-9)
    assert first["gb_split_cost"] == pytest.approx(125 / 223, abs=1e-9)


def test_resource_no_task_allocates_is_shared_evenly():
    """No task reserves GPU: the GPU's cost is unused and split evenly, and the total holds."""
    tasks = {
        "task": [1, 2],
        "gpu_reserved": [0.0, 0.0],
        "gpu_used": [None, None],
        "vcpu_reserved": [1.0, 3.0],
        "vcpu_used": [None, None],
        "gb_reserved": [2.0, 2.0],
        "gb_used": [None, None],
    }
    result = _split(
        tasks, {"gpu": 1, "vcpu": 4, "gb": 16}, AWS_FIXED_GPU_WEIGHTS, 5.0, GPU_RESOURCES
    )
    assert result["gpu_split_cost"].to_list() == [0.0, 0.0]
    assert result["gpu_unused_cost"][0] == pytest.approx(result["gpu_unused_cost"][1])
    assert result["split_cost"].sum() + result["unused_cost"].sum() == pytest.approx(5.0)


def test_task_without_priced_instance_keeps_null_cost():
    frame = pl.LazyFrame(
        {
            "instance_id": ["i-missing"],
            "task": [1],
            "vcpu_reserved": [1.0],
            "vcpu_used": [0.5],
            "gb_reserved": [1.0],
            "gb_used": [1.0],
        }
    )
    hours = pl.LazyFrame(
        {
            "instance_id": ["i-1"],
            "cost": [1.0],
            "vcpu_capacity": [2.0],
            "gb_capacity": [4.0],
            "vcpu_weight": [9.0],
            "gb_weight": [1.0],
        }
    )
    result = split_instance_hours(frame, hours, ["instance_id"], CPU_RESOURCES).collect()
    assert result["split_cost"].to_list() == [None]
    assert result["unused_cost"].to_list() == [None]
