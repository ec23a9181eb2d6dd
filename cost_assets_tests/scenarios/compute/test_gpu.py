"""GPU instances (SPEC 3.3): re-split over GPU, vCPU and memory, through the real assets."""

from fractions import Fraction as F

import polars as pl
import pytest

from cost_assets.sample.reference import INSTANCE_TYPES, WORKERS
from cost_assets_tests.scenarios.compute.builder import (
    Scenario,
    assert_costs,
    costs,
    materialize,
)

PODS = ["gpu-pod-1", "gpu-pod-2", "gpu-pod-3", "gpu-pod-4"]


def aws_accelerated_example() -> Scenario:
    """AWS's accelerated example: 8 GPU, 64 vCPU, 488 GB at $10/h, fixed weights 9/0.9/0.1.

    GPUs per task come from the worker catalog (1, 3, 2, 2: the example's GPU allocations,
    max(reserved, used)); vCPU and memory reservation and usage from CUR. CUR's own split
    costs (2.50 per task, at SCAD's vCPU/memory weights) are not used on a GPU instance.
    """
    pods = pl.DataFrame(
        {
            "worker": PODS,
            "cluster": ["gpu-lab"] * 4,
            "fleet": ["gpu-lab"] * 4,
            "is_daemon": [False] * 4,
            "gpus_per_task": [1, 3, 2, 2],
            "unit": ["audio_hours"] * 4,
        }
    )
    p3 = pl.DataFrame(
        [("p3.16xlarge", 64, 488.0, 8, 24.48)], schema=INSTANCE_TYPES.schema, orient="row"
    )
    s = Scenario(
        reference={
            "workers": pl.concat([WORKERS, pods]),
            "instance_types": pl.concat([INSTANCE_TYPES, p3]),
            "settings": {"gpu_weighting": "aws_fixed"},
        }
    )
    s.instance("i-p3", 6, 10.0, instance_type="p3.16xlarge", fleet="gpu-lab", capacity=(64, 488, 8))
    for n, (vcpu_used, gb_used) in enumerate([(4, 60), (18, 140), (4, 60), (4, 40)]):
        s.task("i-p3", 6, f"pod{n + 1}", PODS[n], cluster="gpu-lab", vcpu=(16, vcpu_used),
               gb=(100, gb_used), split=(1.0, 1.0), unused=(0.25, 0.25))  # fmt: skip
    return s


def test_aws_accelerated_example(tmp_path):
    golden = materialize(aws_accelerated_example(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")
    # Worked by hand (SPEC 3.2 with w = 9, 0.9, 0.1; unit = 10 / (72 + 57.6 + 48.8)):
    split = [F(9065, 4906), F(15595, 4906), F(5770, 2453), F(5770, 2453)]
    unused = [F(150, 2453), F(210, 2453), F(150, 2453), F(150, 2453)]
    assert set(tasks["split_path"]) == {"gpu_resplit"}
    assert_costs(
        costs(tasks, ["worker"], "in_use_cost"), {(w,): split[n] for n, w in enumerate(PODS)}
    )
    assert_costs(
        costs(tasks, ["worker"], "idle_cost"), {(w,): unused[n] for n, w in enumerate(PODS)}
    )

    meta = golden.metadata("task_costs")
    assert meta["gpu_weighting"] == "aws_fixed"
    assert meta["scale_factor"]["min"] == pytest.approx(1.0, abs=1e-12)
    assert meta["instance_hours_by_split_path"] == {"gpu_resplit": 1}
    p3 = {r["instance_type"]: r for r in meta["gpu_weights_by_instance_type"]}["p3.16xlarge"]
    # The rate AWS's weights imply: 24.48 * (9 * 8) / (9 * 8 + 0.9 * 64 + 0.1 * 488) / 8.
    share = F(72) / (F(72) + F(576, 10) + F(488, 10))
    assert p3["gpu_share"] == pytest.approx(float(share), abs=1e-12)
    assert p3["gpu_rate_usd"] == pytest.approx(float(F(2448, 100) * share / 8), abs=1e-12)


def empirical_gpu_rates() -> Scenario:
    """Empirical weights (the sample's settings, reference family m5).

    m5 prices 9 vCPU + 1 GB at unit u = 0.096 / (9*2 + 8) = 6/1625 USD. g5.xlarge (4 vCPU,
    16 GB, 1 GPU, $1.006): CPU-only equivalent 52u = 0.192, GPU rate 0.814, GPU weight
    0.814 / u = 5291/24; Σ w·A = 5291/24 + 36 + 16 = 6539/24.

    Hour 1, i-g5 (C = 1.006; its CUR row has no capacity: the catalog's is used):
    asr-streaming reserves 1 GPU (catalog), 3 vCPU, 12 GB; the speech-gpu log agent 0 GPU,
    0.25 vCPU, 0.5 GB.
    Hour 2, i-g6 (C = 0.80), a GPU type missing from the catalog (4 vCPU, 16 GB, 1 GPU from
    CUR): AWS's fixed weights, Σ w·A = 9 + 3.6 + 1.6 = 14.2; asr-batch reserves 1 GPU,
    3 vCPU, 12 GB.
    """
    s = Scenario()
    s.instance("i-g5", 1, 1.006, instance_type="g5.xlarge", fleet="speech-gpu")
    s.task("i-g5", 1, "asr", "asr-streaming", cluster="speech-gpu", vcpu=(3, 2), gb=(12, 8),
           split=(0.5, 0.1), unused=(0.1, 0.1))  # fmt: skip
    s.task("i-g5", 1, "log", "speech-gpu-log-agent", cluster="speech-gpu", vcpu=(0.25, 0.1),
           gb=(0.5, 0.2), split=(0.1, 0.05), unused=(0.05, 0.006))  # fmt: skip
    s.instance("i-g6", 2, 0.80, instance_type="g6.xlarge", fleet="speech-gpu", capacity=(4, 16, 1))
    s.task("i-g6", 2, "batch", "asr-batch", cluster="speech-gpu", vcpu=(3, 3), gb=(12, 12),
           split=(0.6, 0.1), unused=(0.05, 0.05))  # fmt: skip
    return s


def test_empirical_gpu_rates(tmp_path):
    golden = materialize(empirical_gpu_rates(), tmp_path)
    assert golden.failed_checks() == []
    tasks = golden.table("task_costs")

    # i-g5, in units of v = C * 24/6539 (C = 1.006):
    #   GPU:  1 of 1 allocated, all asr-streaming: 5291/24 v in use.
    #   vCPU: 3.25 of 4 allocated: in use 27 v (asr) and 2.25 v (log agent); the unused
    #         0.75 * 9 = 6.75 v goes 12/13 to asr, 1/13 to the agent.
    #   GB:   12.5 of 16 allocated: in use 12 v and 0.5 v; the unused 3.5 v goes 24/25, 1/25.
    c, v = F(1006, 1000), F(1006, 1000) * 24 / 6539
    asr_in_use, asr_idle = (F(5291, 24) + 27 + 12) * v, (F(27, 4) * 12 / 13 + F(7, 2) * 24 / 25) * v
    log_in_use, log_idle = (F(9, 4) + F(1, 2)) * v, (F(27, 4) / 13 + F(7, 2) / 25) * v
    assert asr_in_use + asr_idle + log_in_use + log_idle == c
    # i-g6 at AWS's fixed weights, in units of C / 14.2 (C = 0.80):
    #   in use 9 (GPU) + 3 * 0.9 (vCPU) + 12 * 0.1 (GB) = 12.9; idle 0.9 + 0.4 = 1.3.
    g6_in_use, g6_idle = F(8, 10) * F(129, 142), F(8, 10) * F(13, 142)
    assert_costs(
        costs(tasks, ["worker"], "in_use_cost"),
        {("asr-streaming",): asr_in_use, ("speech-gpu-log-agent",): log_in_use,
         ("asr-batch",): g6_in_use},
    )  # fmt: skip
    assert_costs(
        costs(tasks, ["worker"], "idle_cost"),
        {("asr-streaming",): asr_idle, ("speech-gpu-log-agent",): log_idle,
         ("asr-batch",): g6_idle},
    )  # fmt: skip

    # The agent's whole cost, in use and idle, folds into the only co-located worker's in use.
    workers = golden.table("worker_costs")
    assert_costs(
        costs(workers, ["worker", "cost_class"]),
        {
            ("asr-streaming", "in_use"): asr_in_use + log_in_use + log_idle,
            ("asr-streaming", "idle_reserved"): asr_idle,
            ("asr-batch", "in_use"): g6_in_use,
            ("asr-batch", "idle_reserved"): g6_idle,
        },
    )
    assert asr_in_use + log_in_use == c * 6293 / 6539

    meta = golden.metadata("task_costs")
    rates = {r["instance_type"]: r for r in meta["gpu_weights_by_instance_type"]}
    assert rates["g5.xlarge"]["gpu_rate_usd"] == pytest.approx(0.814, abs=1e-12)
    assert rates["g5.xlarge"]["gpu_weight"] == pytest.approx(5291 / 24, abs=1e-9)
    assert rates["g5.xlarge"]["gpu_share"] == pytest.approx(0.814 / 1.006, abs=1e-12)
    assert rates["g5.2xlarge"]["gpu_rate_usd"] == pytest.approx(1.212 - 0.384, abs=1e-12)
    assert rates["g5.12xlarge"]["gpu_rate_usd"] == pytest.approx((5.672 - 2.304) / 4, abs=1e-12)
    assert meta["gpu_instance_hours_on_fallback_weights"] == 1
