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


def _non_empty(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.strip_chars() != "").then(expr)


def _sum_or_null(column: str) -> pl.Expr:
    """The sum over a task-hour's rows, null when any row's value is missing: a task-hour
    without its split costs is recomputed from usage, never read as costing nothing."""
    return pl.when(pl.col(column).is_null().any()).then(None).otherwise(pl.col(column).sum())


def _is_artefact() -> pl.Expr:
    """AWS's artefact: a task-hour whose split rows all have an empty parent and no cost.

    Judged per task-hour, not per row, so that a task with an empty parent but a cost keeps
    both its rows (it is an orphan, reported as such) instead of losing its zero-cost one.
    """
    parent = normalize_resource_id(pl.col("split_line_item_parent_resource_id"))
    cost = (
        pl.col("split_line_item_split_cost").fill_null(0.0).abs()
        + pl.col("split_line_item_unused_cost").fill_null(0.0).abs()
    )
    task_hour = [pl.col("line_item_resource_id"), pl.col("line_item_usage_start_date")]
    return (parent.is_null() & (cost == 0.0)).all().over(task_hour)


def _ecs_rows(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    return cur.filter((pl.col("line_item_operation") == "ECSTask-EC2") & _in_day(day))


def split_rows(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """The day's ECS split rows (ECSTask-EC2), without AWS's empty-parent zero-cost artefacts."""
    return _ecs_rows(cur, day).filter(~_is_artefact())


def empty_parent_artefacts(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """The day's split rows left out as AWS artefacts (empty parent, no cost)."""
    return _ecs_rows(cur, day).filter(_is_artefact())


def task_hours(cur: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """One row per task and hour: its instance, worker, reservation, usage and SCAD split.

    A task outside an ECS service belongs to the worker ``<cluster>/standalone``.
    """
    resource = _resource()
    task_arn = pl.col("line_item_resource_id")
    cluster = pl.coalesce(
        _non_empty(tag_value("resource_tags", "aws_ecs_cluster_name")),
        task_arn.str.extract(r":task/([^/]+)/", 1),
    )
    service = _non_empty(tag_value("resource_tags", "aws_ecs_service_name"))

    def per_resource(column: str, name: str) -> list[pl.Expr]:
        return [
            pl.col(column).filter(resource == r).sum().alias(f"{r}_{name}") for r in ("vcpu", "gb")
        ]

    return (
        split_rows(cur, day)
        .with_columns(
            pl.col("line_item_usage_start_date").dt.truncate("1h").alias("hour"),
            task_arn.str.extract(r"^arn:aws:ecs:([^:]+):", 1).alias("region"),
            normalize_resource_id(pl.col("split_line_item_parent_resource_id")).alias(
                "instance_id"
            ),
            task_arn.alias("task_id"),
            cluster.alias("cluster"),
            # A task ARN of the old format without tags names no cluster: still a worker.
            pl.coalesce(
                service, cluster + pl.lit("/standalone"), pl.lit("unknown/standalone")
            ).alias("worker"),
        )
        .group_by(["hour", "region", "instance_id", "task_id", "cluster", "worker"])
        .agg(
            per_resource("split_line_item_reserved_usage", "reserved")
            + per_resource("split_line_item_actual_usage", "used")
            + [
                _sum_or_null("split_line_item_split_cost").alias("split_cost"),
                _sum_or_null("split_line_item_unused_cost").alias("unused_cost"),
            ]
        )
        .select(TASK_HOUR_COLUMNS)
    )


def instances(cur: pl.LazyFrame, day: date, fleet_tag_key: str) -> pl.LazyFrame:
    """EC2 instances seen in the day's CUR instance rows, with their capacity and fleet tag."""
    memory = tag_value("product", "memory").str.extract(r"([0-9.,]+)", 1).str.replace_all(",", "")
    return (
        cur.filter(
            pl.col("line_item_operation").str.starts_with("RunInstances")
            & _in_day(day)
            & normalize_resource_id(pl.col("line_item_resource_id")).str.starts_with("i-")
        )
        .select(
            normalize_resource_id(pl.col("line_item_resource_id")).alias("instance_id"),
            pl.coalesce(pl.col("product_region_code"), tag_value("product", "region")).alias(
                "region"
            ),
            pl.col("product_instance_type").alias("instance_type"),
            tag_value("product", "vcpu").cast(pl.Float64, strict=False).alias("vcpu"),
            memory.cast(pl.Float64, strict=False).alias("memory_gib"),
            tag_value("product", "gpu").cast(pl.Float64, strict=False).alias("gpus"),
            tag_value("resource_tags", f"user_{fleet_tag_key}").alias("fleet"),
        )
        .unique(subset=["instance_id"], keep="first", maintain_order=True)
        .select(INSTANCE_COLUMNS)
    )
