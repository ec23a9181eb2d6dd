"""Dimension weights for GPU instances (SPEC 3.3).

SCAD splits ECS tasks on GPU instances by vCPU and memory only, although most of the price of a
GPU instance is its GPUs. The *empirical GPU rate* of an instance type is its on-demand price
minus the price of the same vCPU and memory on a general-purpose reference family, per GPU.
Weights are expressed in the reference family's unit price, so vCPU weighs 9 and GB weighs 1,
as in SCAD, and a GPU weighs its empirical rate over that unit. With AWS's fixed weighting
(GPU 9, vCPU 0.9, GB 0.1) the GPU rate recorded is the one those weights imply: the GPU share
of the on-demand price, per GPU.
"""

import polars as pl

from cost_assets.methodology.scad import AWS_FIXED_GPU_WEIGHTS, CPU_WEIGHTS

WEIGHT_COLUMNS = ["instance_type", "gpu_weight", "vcpu_weight", "gb_weight"]


def reference_unit_price(instance_types: pl.DataFrame, family: str) -> float:
    """USD per weight unit (1 GB-hour, or 1/9 vCPU-hour) implied by the reference family."""
    ref = instance_types.filter(pl.col("instance_type").str.starts_with(f"{family}."))
    weighted = (ref["vcpu"] * CPU_WEIGHTS["vcpu"] + ref["memory_gib"] * CPU_WEIGHTS["gb"]).sum()
    if ref.is_empty() or not weighted:
        raise ValueError(f"reference family {family!r} has no instance type with a price")
    return float(ref["on_demand_usd_per_hour"].sum() / weighted)


def gpu_weights(instance_types: pl.DataFrame, weighting: str, family: str) -> pl.DataFrame:
    """Per GPU instance type: weights, the derived GPU rate and each dimension's price share.

    ``weighting`` is ``empirical`` or ``aws_fixed`` (GPU 9, vCPU 0.9, GB 0.1). The GPU rate is
    USD per GPU-hour at on-demand prices: with empirical weights, the price less its CPU-only
    equivalent, per GPU; with fixed weights, the GPU share of the price, per GPU.
    """
    gpus = instance_types.filter(pl.col("gpus") > 0)
    if weighting == "aws_fixed":
        weights = gpus.with_columns(
            pl.lit(AWS_FIXED_GPU_WEIGHTS["gpu"]).alias("gpu_weight"),
            pl.lit(AWS_FIXED_GPU_WEIGHTS["vcpu"]).alias("vcpu_weight"),
            pl.lit(AWS_FIXED_GPU_WEIGHTS["gb"]).alias("gb_weight"),
            pl.lit(None, dtype=pl.Float64).alias("gpu_rate_usd"),
        )
    else:
        unit = reference_unit_price(instance_types, family)
        cpu_equivalent = unit * (
            pl.col("vcpu") * CPU_WEIGHTS["vcpu"] + pl.col("memory_gib") * CPU_WEIGHTS["gb"]
        )
        # A GPU type priced below its CPU-only equivalent has no GPU premium to weigh.
        gpu_rate = ((pl.col("on_demand_usd_per_hour") - cpu_equivalent) / pl.col("gpus")).clip(
            lower_bound=0.0
        )
        weights = gpus.with_columns(gpu_rate.alias("gpu_rate_usd")).with_columns(
            (pl.col("gpu_rate_usd") / unit).alias("gpu_weight"),
            pl.lit(CPU_WEIGHTS["vcpu"]).alias("vcpu_weight"),
            pl.lit(CPU_WEIGHTS["gb"]).alias("gb_weight"),
        )
    total = (
        pl.col("gpu_weight") * pl.col("gpus")
        + pl.col("vcpu_weight") * pl.col("vcpu")
        + pl.col("gb_weight") * pl.col("memory_gib")
    )
    gpu_share = pl.col("gpu_weight") * pl.col("gpus") / total
    return weights.select(
        "instance_type",
        "gpu_weight",
        "vcpu_weight",
        "gb_weight",
        pl.coalesce(
            "gpu_rate_usd", pl.col("on_demand_usd_per_hour") * gpu_share / pl.col("gpus")
        ).alias("gpu_rate_usd"),
        gpu_share.alias("gpu_share"),
        (pl.col("vcpu_weight") * pl.col("vcpu") / total).alias("vcpu_share"),
        (pl.col("gb_weight") * pl.col("memory_gib") / total).alias("gb_share"),
    )
