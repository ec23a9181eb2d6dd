"""Tiny sources roots for the compute scenarios, written with the sample's own writers.

A ``Scenario`` collects a few logical rows (FOCUS instance-hours, CUR instance and ECS split
rows, usage) and writes them as a complete sources root: FOCUS and CUR deliveries with
manifests, usage day folders and the reference files (the sample company's, unless a test
replaces a table). Every number in a scenario is chosen by the test that builds it, so that
the expected output can be worked out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from cost_assets.sample.exports import (
    ACCOUNT_ID,
    write_cur_export,
    write_focus_export,
    write_usage,
)
from cost_assets.sample.reference import write_reference
from cost_assets_tests.harness import check_results, materialize_days, table

DAY = "2026-11-02"
PREVIOUS_DAY = "2026-11-01"
SP_ARN = f"arn:aws:savingsplans::{ACCOUNT_ID}:savingsplan/sp-golden"
REGION_PREFIX = {"us-west-2": "USW2", "us-east-1": "USE1", "eu-west-1": "EU"}


def at(hour: int, day: str = DAY) -> datetime:
    """The UTC start of ``hour`` on ``day``."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(
        hours=hour
    )


def task_arn(region: str, cluster: str, task: str) -> str:
    return f"arn:aws:ecs:{region}:{ACCOUNT_ID}:task/{cluster}/{task}"


@dataclass
class Scenario:
    """Logical rows of one tiny sources root."""

    focus: list[dict[str, Any]] = field(default_factory=list)
    cur: list[dict[str, Any]] = field(default_factory=list)
    speech: list[dict[str, Any]] = field(default_factory=list)
    llm: list[dict[str, Any]] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=dict)

    def instance(
        self,
        instance_id: str,
        hour: int,
        cost: float | list[float],
        *,
        instance_type: str = "m5.xlarge",
        capacity: tuple[float, float, float] | None = None,
        region: str = "us-west-2",
        fleet: str | None = None,
        day: str = DAY,
        cur_row: bool = True,
    ) -> Scenario:
        """One instance-hour: FOCUS usage row(s) and, unless told not, its CUR instance row.

        ``cost`` as a list gives several FOCUS rows for the hour: the first Savings Plan
        covered, the others on demand. ``capacity`` is (vCPU, GiB, GPUs) on the CUR row.
        """
        costs = cost if isinstance(cost, list) else [cost]
        tags = {"fleet": fleet} if fleet else {"Name": "ci-runner"}
        for n, part in enumerate(costs):
            covered = len(costs) > 1 and n == 0
            self.focus.append(
                {
                    "ChargePeriodStart": at(hour, day),
                    "RegionId": region,
                    "ResourceId": instance_id,
                    "ResourceType": "Instance",
                    "x_ServiceCode": "AmazonEC2",
                    "x_Operation": "RunInstances",
                    "SkuMeter": f"{REGION_PREFIX[region]}-BoxUsage:{instance_type}",
                    "EffectiveCost": part,
                    "CommitmentDiscountId": SP_ARN if covered else None,
                    "CommitmentDiscountStatus": "Used" if covered else None,
                    "PricingCategory": "Committed" if covered else "Standard",
                    "Tags": tags,
                }
            )
        if cur_row:
            vcpu, memory, gpus = capacity or (None, None, None)
            self.cur.append(
                {
                    "line_item_usage_start_date": at(hour, day).replace(tzinfo=None),
                    "line_item_resource_id": instance_id,
                    "line_item_product_code": "AmazonEC2",
                    "line_item_operation": "RunInstances",
                    "line_item_usage_type": f"{REGION_PREFIX[region]}-BoxUsage:{instance_type}",
                    "line_item_unblended_cost": costs[0],
                    "product_instance_type": instance_type,
                    "product_region_code": region,
                    "product": {
                        "vcpu": None if vcpu is None else f"{vcpu:g}",
                        "memory": None if memory is None else f"{memory:g} GiB",
                        "gpu": None if not gpus else f"{gpus:g}",
                        "region": region,
                    },
                    "resource_tags": {"user_fleet": fleet} if fleet else {"user_name": "ci"},
                }
            )
        return self

    def task(
        self,
        instance_id: str | None,
        hour: int,
        task: str,
        worker: str | None,
        *,
        cluster: str,
        vcpu: tuple[float, float | None],
        gb: tuple[float, float | None],
        split: tuple[float | None, float | None] = (None, None),
        unused: tuple[float | None, float | None] = (None, None),
        region: str = "us-west-2",
        day: str = DAY,
    ) -> Scenario:
        """One task-hour: its two CUR split rows (vCPU-Hours and GB-Hours).

        ``vcpu`` and ``gb`` are (reserved, used); ``split`` and ``unused`` the CUR split and
        unused cost of each row (None: null, as in a delivery without split costs). A
        ``worker`` of None is a task outside every ECS service (no service tag; "" writes the
        tag with an empty value).
        """
        tags = {"aws_ecs_cluster_name": cluster}
        if worker is not None:
            tags["aws_ecs_service_name"] = worker
        for n, (resource, amounts) in enumerate((("vCPU", vcpu), ("GB", gb))):
            reserved, used = amounts
            self.cur.append(
                {
                    "line_item_usage_start_date": at(hour, day).replace(tzinfo=None),
                    "line_item_resource_id": task_arn(region, cluster, task),
                    "line_item_product_code": "AmazonECS",
                    "line_item_operation": "ECSTask-EC2",
                    "line_item_usage_type": f"{REGION_PREFIX[region]}-ECS-EC2-{resource}-Hours",
                    "line_item_unblended_cost": 0.0,
                    "product_region_code": region,
                    "product": {"region": region},
                    "resource_tags": tags,
                    "split_line_item_parent_resource_id": instance_id or "",
                    "split_line_item_reserved_usage": reserved,
                    "split_line_item_actual_usage": used,
                    "split_line_item_split_usage": max(reserved, used or 0.0),
                    "split_line_item_split_cost": split[n],
                    "split_line_item_unused_cost": unused[n],
                }
            )
        return self

    def charge(self, hour: int, cost: float, day: str = DAY, **columns: Any) -> Scenario:
        """Any other FOCUS row of the hour (data transfer, EBS, ...)."""
        row = {"ChargePeriodStart": at(hour, day), "EffectiveCost": cost, "Tags": {}}
        self.focus.append({**row, **columns})
        return self

    def speech_usage(
        self,
        hour: int,
        worker: str,
        product: str,
        model: str,
        language: str | None,
        audio_hours: float,
        *,
        requests: int = 0,
        region: str = "us-west-2",
        day: str = DAY,
    ) -> Scenario:
        self.speech.append(
            {
                "hour": at(hour, day),
                "region": region,
                "product": product,
                "worker": worker,
                "model": model,
                "language": language,
                "audio_hours": audio_hours,
                "requests": requests,
            }
        )
        return self

    def llm_usage(
        self,
        hour: int,
        worker: str,
        product: str,
        model: str,
        tokens: tuple[int, int],
        *,
        region: str = "us-west-2",
        day: str = DAY,
    ) -> Scenario:
        self.llm.append(
            {
                "hour": at(hour, day),
                "region": region,
                "product": product,
                "worker": worker,
                "llm_model": model,
                "input_tokens": tokens[0],
                "output_tokens": tokens[1],
                "requests": 1,
            }
        )
        return self

    def write(self, root: Path) -> Path:
        """Write the sources root: exports per billing period, usage per day, reference."""
        focus = _frame(self.focus)
        for period in sorted({r["ChargePeriodStart"].strftime("%Y-%m") for r in self.focus}):
            rows = focus.filter(pl.col("ChargePeriodStart").dt.strftime("%Y-%m") == period)
            write_focus_export(root, period, rows)
        cur = _frame(self.cur)
        for period in sorted({r["line_item_usage_start_date"].strftime("%Y-%m") for r in self.cur}):
            rows = cur.filter(pl.col("line_item_usage_start_date").dt.strftime("%Y-%m") == period)
            write_cur_export(root, period, rows)
        for kind, rows in (("speech", self.speech), ("llm", self.llm)):
            for day in sorted({r["hour"].date().isoformat() for r in rows}):
                write_usage(
                    root,
                    kind,  # type: ignore[arg-type]
                    day,
                    pl.DataFrame([r for r in rows if r["hour"].date().isoformat() == day]),
                )
        write_reference(root, **self.reference)
        return root


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as a frame; every key of any row is a column (missing ones null)."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], infer_schema_length=None)


@dataclass
class Golden:
    """A scenario written and materialized: its warehouse and the Dagster results per day."""

    sources: Path
    warehouse: Path
    results: dict[str, Any]

    def table(self, asset: str, day: str = DAY) -> pl.DataFrame:
        return table(self.warehouse, asset, day)

    def metadata(self, asset: str, day: str = DAY) -> dict[str, Any]:
        """The plain metadata values of ``asset``'s materialization on ``day``."""
        events = [
            e
            for e in self.results[day].get_asset_materialization_events()
            if e.asset_key.to_user_string() == asset
        ]
        assert len(events) == 1, asset
        return {k: v.value for k, v in events[0].materialization.metadata.items()}

    def failed_checks(self) -> list[str]:
        return [
            f"{day}:{name}"
            for day, result in self.results.items()
            for name, evaluation in check_results(result).items()
            if not evaluation.passed
        ]


def materialize(scenario: Scenario, root: Path, days: list[str] | None = None) -> Golden:
    """Write ``scenario`` under ``root`` and run the real daily job for each day, oldest first."""
    days = days or [DAY]
    sources = scenario.write(root / "sources")
    warehouse = root / "warehouse"
    results = materialize_days(sources, warehouse, days)
    return Golden(sources, warehouse, dict(zip(days, results, strict=True)))


def costs(frame: pl.DataFrame, by: list[str], value: str = "cost_usd") -> dict[tuple, float]:
    """Σ ``value`` per group of ``by``, as {(key, ...): dollars}."""
    grouped = frame.group_by(by).agg(pl.col(value).sum())
    return {tuple(row[:-1]): row[-1] for row in grouped.iter_rows()}


def assert_costs(got: dict[tuple, float], expected: dict[tuple, Any], abs_tol: float = 1e-9):
    """Same keys, and every value within ``abs_tol`` (expected values may be Fractions)."""
    got = {k: v for k, v in got.items() if abs(v) > abs_tol or k in expected}
    assert sorted(got, key=str) == sorted(expected, key=str)
    for key, want in expected.items():
        assert abs(got[key] - float(want)) <= abs_tol, (key, got[key], float(want))
