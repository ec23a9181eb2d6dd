"""ECS tasks and EC2 instances of one UTC day, from the CUR 2.0 split cost allocation data.

CUR contributes shares only, never dollars: which task ran on which instance in each hour, what
it reserved and used, and how SCAD split the instance between its tasks.
"""

from datetime import date

import polars as pl

from cost_assets.methodology.charges import day_bounds
from cost_assets.sources.exports import normalize_resource_id, tag_value

# One row per task and hour.
TASK_HOUR_COLUMNS = [
    "hour",
    "region",
    "instance_id",
    "task_id",
    "cluster",
    "worker",
    "vcpu_reserved",
    "vcpu_used",
    "gb_reserved",
    "gb_used",
    "split_cost",
    "unused_cost",
]

# One row per instance seen in the day.
INSTANCE_COLUMNS = ["instance_id", "region", "instance_type", "vcpu", "memory_gib", "gpus", "fleet"]


def _in_day(day: date) -> pl.Expr:
    start, end = day_bounds(day)
    return (pl.col("line_item_usage_start_date") >= start) & (
        pl.col("line_item_usage_start_date") < end
    )


def _resource() -> pl.Expr:
    usage_type = pl.col("line_item_usage_type")
    return (
        pl.when(usage_type.str.ends_with("vCPU-Hours"))
        .then(pl.lit("vcpu"))
        .when(usage_type.str.ends_with("GB-Hours"))
        .then(pl.lit("gb"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _non_empty(column: str) -> pl.Expr:
    """``column`` with blank values as null."""
    return pl.when(pl.col(column).str.strip_chars() != "").then(pl.col(column)).alias(column)


def _is_artefact_candidate() -> pl.Expr:
    """A split row with an empty parent and no cost: an AWS artefact if every row of its
    task-hour is one. (Empty as ``normalize_resource_id`` has it: null or blank.)"""
    parent = pl.col("split_line_item_parent_resource_id")
    cost = (
        pl.col("split_line_item_split_cost").fill_null(0.0).abs()
        + pl.col("split_line_item_unused_cost").fill_null(0.0).abs()
    )
    # The parent is looked at only on rows without cost (few).
    empty_parent = parent.is_null() | (parent.str.strip_chars() == "")
    return pl.when(cost == 0.0).then(empty_parent).otherwise(False)


_TASK_HOUR = ["line_item_resource_id", "line_item_usage_start_date"]


def artefact_task_hours(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """AWS's artefacts: the day's task-hours whose split rows all have an empty parent and no
    cost (ECSTask-EC2 rows).

    Judged per task-hour, not per row, so that a task with an empty parent but a cost keeps
    both its rows (it is an orphan, reported as such) instead of losing its zero-cost one.
    Candidates are few: they are found first, and the other rows only probed against them.
    """
    rows = _ecs_rows(cur, day)
    candidate = _is_artefact_candidate()
    candidates = rows.filter(candidate).select(_TASK_HOUR).unique()
    with_other_rows = (
        rows.filter(~candidate).select(_TASK_HOUR).join(candidates, on=_TASK_HOUR, how="semi")
    )
    return candidates.join(with_other_rows, on=_TASK_HOUR, how="anti")


def _ecs_rows(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    return cur.filter((pl.col("line_item_operation") == "ECSTask-EC2") & _in_day(day))


def split_rows(cur: pl.LazyFrame, day: date, artefacts: pl.DataFrame) -> pl.LazyFrame:
    """The day's ECS split rows (ECSTask-EC2), without AWS's empty-parent zero-cost artefacts
    (``artefacts``: ``artefact_task_hours``, collected: almost always none, and then no row
    is probed for them)."""
    rows = _ecs_rows(cur, day)
    if not artefacts.height:
        return rows
    return rows.join(artefacts.lazy(), on=_TASK_HOUR, how="anti")


def empty_parent_artefacts(cur: pl.LazyFrame, day: date, artefacts: pl.DataFrame) -> pl.LazyFrame:
    """The day's split rows left out as AWS artefacts (empty parent, no cost)."""
    rows = _ecs_rows(cur, day)
    return (
        rows.join(artefacts.lazy(), on=_TASK_HOUR, how="semi") if artefacts.height else rows.clear()
    )


_SPLIT_COSTS = {
    "split_line_item_split_cost": "split_cost",
    "split_line_item_unused_cost": "unused_cost",
}


def task_hours(cur: pl.LazyFrame, day: date, artefacts: pl.DataFrame | None = None) -> pl.LazyFrame:
    """One row per task and hour: its instance, worker, reservation, usage and SCAD split.

    A task outside an ECS service belongs to the worker ``<cluster>/standalone``. A task-hour
    with any split-cost row missing keeps null costs: it is recomputed from usage, never read
    as costing nothing. Rows are grouped on their own values; the names derived from those
    (region, cluster, worker) once per task-hour. ``artefacts`` as ``split_rows`` takes them
    (found here when not given).
    """
    if artefacts is None:
        artefacts = artefact_task_hours(cur, day).collect()
    resource = _resource()
    task_arn = pl.col("task_id")
    # The ARN is read only where the tag is missing.
    cluster_tag = pl.col("cluster_tag")
    cluster = (
        pl.when(cluster_tag.is_null())
        .then(task_arn.str.extract(r":task/([^/]+)/", 1))
        .otherwise(cluster_tag)
    )
    per_resource = [
        pl.when(resource == r).then(pl.col(column)).otherwise(0.0).alias(f"{r}_{name}")
        for name, column in (
            ("reserved", "split_line_item_reserved_usage"),
            ("used", "split_line_item_actual_usage"),
        )
        for r in ("vcpu", "gb")
    ]
    costs = list(_SPLIT_COSTS.values())
    return (
        split_rows(cur, day, artefacts)
        .select(
            pl.col("line_item_usage_start_date").dt.truncate("1h").alias("hour"),
            pl.col("line_item_resource_id").alias("task_id"),
            normalize_resource_id(pl.col("split_line_item_parent_resource_id")).alias(
                "instance_id"
            ),
            tag_value("resource_tags", "aws_ecs_cluster_name").alias("cluster_tag"),
            tag_value("resource_tags", "aws_ecs_service_name").alias("service"),
            *per_resource,
            *[pl.col(c).alias(n) for c, n in _SPLIT_COSTS.items()],
        )
        # Blank tags as none, in a step of their own: each tag is then looked up once.
        .with_columns(_non_empty("cluster_tag"), _non_empty("service"))
        .group_by(["hour", "task_id", "instance_id", "cluster_tag", "service"])
        .agg(
            pl.col("vcpu_reserved", "gb_reserved", "vcpu_used", "gb_used", *costs).sum(),
            *[pl.col(n).null_count().alias(f"{n}_missing") for n in costs],
        )
        .with_columns(
            task_arn.str.extract(r"^arn:aws:ecs:([^:]+):", 1).alias("region"),
            cluster.alias("cluster"),
            # A task ARN of the old format without tags names no cluster: still a worker.
            pl.coalesce(
                "service", cluster + pl.lit("/standalone"), pl.lit("unknown/standalone")
            ).alias("worker"),
            *[pl.when(pl.col(f"{n}_missing") == 0).then(pl.col(n)).alias(n) for n in costs],
        )
        .select(TASK_HOUR_COLUMNS)
    )


def instances(cur: pl.LazyFrame, day: date, fleet_tag_key: str) -> pl.LazyFrame:
    """EC2 instances seen in the day's CUR instance rows, with their capacity and fleet tag."""
    memory = tag_value("product", "memory").str.extract(r"([0-9.,]+)", 1).str.replace_all(",", "")
    first_row = {"subset": ["instance_id"], "keep": "first", "maintain_order": True}
    return (
        # Instance rows first, then each id's first row (an instance bills every hour), and
        # only then the rules: they run once per instance, not per row. An id's first row
        # under its normalized form is the first of its raw forms' first rows.
        cur.filter(pl.col("line_item_operation").str.starts_with("RunInstances") & _in_day(day))
        .rename({"line_item_resource_id": "instance_id"})
        .unique(**first_row)
        .with_columns(normalize_resource_id(pl.col("instance_id")).alias("instance_id"))
        .filter(pl.col("instance_id").str.starts_with("i-"))
        .select(
            "instance_id",
            pl.coalesce(pl.col("product_region_code"), tag_value("product", "region")).alias(
                "region"
            ),
            pl.col("product_instance_type").alias("instance_type"),
            tag_value("product", "vcpu").cast(pl.Float64, strict=False).alias("vcpu"),
            memory.cast(pl.Float64, strict=False).alias("memory_gib"),
            tag_value("product", "gpu").cast(pl.Float64, strict=False).alias("gpus"),
            tag_value("resource_tags", f"user_{fleet_tag_key}").alias("fleet"),
        )
        .unique(**first_row)
        .select(INSTANCE_COLUMNS)
    )
