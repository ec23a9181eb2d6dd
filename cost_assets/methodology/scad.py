"""The split cost allocation data (SCAD) method: one instance-hour's cost over its tasks.

For one instance-hour with amortized cost ``C``, resources ``r`` with capacity ``A_r`` and
weights ``w_r``:

    unit      = C / sum_r(w_r * A_r)           rate_r = w_r * unit
    alloc_ir  = max(reserved_ir, used_ir)      (the reservation when usage is unknown)
    unused_r  = max(A_r - sum_i alloc_ir, 0)   den_r  = sum_i alloc_ir + unused_r
    split_i   = sum_r alloc_ir / den_r * A_r * rate_r
    unused_i  = sum_r alloc_ir / sum_i alloc_ir * unused_r * rate_r

so that sum_i (split_i + unused_i) = C. Two cases the published method leaves open, settled
so that the identity still holds: a resource that no task allocates (sum_i alloc_ir = 0) has
its whole capacity unused, and its cost is shared evenly by the instance's tasks; an
instance-hour with no priced capacity at all (sum_r w_r * A_r = 0) is all unused, shared
evenly by its tasks.

The frames are long: one row per task and instance-hour, resources as column families named
``<resource>_reserved``, ``<resource>_used`` (tasks) and ``<resource>_capacity``,
``<resource>_weight`` (instance-hours).
"""

from collections.abc import Sequence

import polars as pl

CPU_RESOURCES = ("vcpu", "gb")
GPU_RESOURCES = ("gpu", "vcpu", "gb")

# AWS derives 9:1 from Fargate's per-vCPU-hour and per-GB-hour prices.
CPU_WEIGHTS = {"vcpu": 9.0, "gb": 1.0}
# AWS's fixed weighting for accelerated instances: GPU 9, and CPU + memory 1 split 0.9 : 0.1.
AWS_FIXED_GPU_WEIGHTS = {"gpu": 9.0, "vcpu": 0.9, "gb": 0.1}


def split_instance_hours(
    tasks: pl.LazyFrame,
    instance_hours: pl.LazyFrame,
    keys: Sequence[str],
    resources: Sequence[str],
    cost_column: str = "cost",
) -> pl.LazyFrame:
    """Each task's ``split_cost`` and ``unused_cost`` of its instance-hour's cost.

    ``tasks`` has one row per task and instance-hour (``keys`` name the instance-hour);
    ``instance_hours`` one row per instance-hour with the cost, capacities and weights. The
    result is ``tasks`` with ``<r>_alloc``, ``<r>_split_cost``, ``<r>_unused_cost`` per resource
    and the totals ``split_cost`` and ``unused_cost``. Tasks whose instance-hour is missing
    from ``instance_hours`` get null costs.
    """
    keys = list(keys)
    with_alloc = tasks.with_columns(allocations(resources))
    totals = with_alloc.group_by(keys).agg(allocation_totals(resources))
    rates = instance_rates(instance_hours, resources, cost_column).select(
        *keys, *_rate_columns(resources)
    )
    per_instance = totals.join(rates, on=keys, how="left")
    return task_shares(with_alloc.join(per_instance, on=keys, how="left"), resources)


# The method in three steps, for callers that already hold the instance-hours' totals (one
# join of the tasks to their instance-hours instead of two):
# ``allocation_totals`` per instance-hour, then ``instance_rates``, then ``task_shares`` of the
# tasks joined to them.


def _rate_columns(resources: Sequence[str]) -> list[str]:
    """What ``task_shares`` reads of ``instance_rates``."""
    return [f"{r}_{c}" for r in resources for c in ("rate", "capacity")] + ["_unpriced_cost"]


def instance_hour_columns(resources: Sequence[str]) -> list[str]:
    """What ``task_shares`` reads of a task's instance-hour (and drops): the
    ``allocation_totals`` and the ``instance_rates``."""
    return [f"{r}_alloc_total" for r in resources] + ["task_count", *_rate_columns(resources)]


def allocations(resources: Sequence[str]) -> list[pl.Expr]:
    """Each task's ``<r>_alloc``: the greater of its reservation and usage (null as 0)."""
    return [
        pl.max_horizontal(
            pl.col(f"{r}_reserved").fill_null(0.0), pl.col(f"{r}_used").fill_null(0.0)
        ).alias(f"{r}_alloc")
        for r in resources
    ]


def allocation_totals(resources: Sequence[str]) -> list[pl.Expr]:
    """Aggregations of an instance-hour's tasks: ``<r>_alloc_total`` and ``task_count``."""
    return [
        alloc.sum().alias(f"{alloc.meta.output_name()}_total") for alloc in allocations(resources)
    ] + [pl.len().alias("task_count")]


def instance_rates(
    instance_hours: pl.LazyFrame, resources: Sequence[str], cost_column: str
) -> pl.LazyFrame:
    """``instance_hours`` (cost, ``<r>_capacity``, ``<r>_weight``) with each resource's
    ``<r>_rate`` and the ``_unpriced_cost`` of an instance-hour without priced capacity
    (shared evenly by its tasks)."""
    weighted_capacity = pl.sum_horizontal(
        [pl.col(f"{r}_weight") * pl.col(f"{r}_capacity") for r in resources]
    )
    has_capacity = weighted_capacity > 0
    return instance_hours.with_columns(
        [
            pl.when(has_capacity)
            .then(pl.col(f"{r}_weight") * pl.col(cost_column) / weighted_capacity)
            .otherwise(0.0)
            .alias(f"{r}_rate")
            for r in resources
        ]
        + [pl.when(has_capacity).then(0.0).otherwise(pl.col(cost_column)).alias("_unpriced_cost")]
    )


def task_shares(tasks: pl.LazyFrame, resources: Sequence[str]) -> pl.LazyFrame:
    """Each task's ``split_cost`` and ``unused_cost`` (and per resource) from its
    ``<r>_alloc`` and its instance-hour's ``<r>_alloc_total``, ``task_count`` and
    ``instance_rates`` columns, which are dropped."""
    split_terms = []
    unused_terms = []
    for r in resources:
        alloc, total = pl.col(f"{r}_alloc"), pl.col(f"{r}_alloc_total")
        capacity, rate = pl.col(f"{r}_capacity"), pl.col(f"{r}_rate")
        unused = (capacity - total).clip(lower_bound=0.0)
        denominator = total + unused
        split_terms.append(
            pl.when(denominator > 0)
            .then(alloc / denominator * capacity * rate)
            .otherwise(0.0)
            .alias(f"{r}_split_cost")
        )
        share_of_unused = (
            pl.when(total > 0).then(alloc / total).otherwise(1.0 / pl.col("task_count"))
        )
        unused_terms.append((share_of_unused * unused * rate).alias(f"{r}_unused_cost"))

    return (
        tasks.with_columns(split_terms + unused_terms)
        .with_columns(
            pl.sum_horizontal([f"{r}_split_cost" for r in resources]).alias("split_cost"),
            (
                pl.sum_horizontal([f"{r}_unused_cost" for r in resources])
                + pl.col("_unpriced_cost") / pl.col("task_count")
            ).alias("unused_cost"),
        )
        .with_columns(
            # A task whose instance-hour has no price keeps null costs rather than zero.
            [
                pl.when(pl.col(f"{resources[0]}_rate").is_null())
                .then(None)
                .otherwise(pl.col(c))
                .alias(c)
                for c in ("split_cost", "unused_cost")
            ]
        )
        .drop(instance_hour_columns(resources))
    )
