"""A tiny speech-and-LLM company for the layer 2 and 3 golden scenarios.

Four product lines: ``live`` and ``batch`` (speech), ``notes`` (hybrid: the speech model
``fast`` and the LLM ``sum``) and ``assistant`` (the Bedrock model ``llama``). Two workers run
on two instances in us-west-2, one task each per hour, so that every instance-hour's dollars
go whole to one worker:

- ``asr`` on ``i-asr`` ($1 an hour) serves live/fast, batch/large and notes/fast, by audio hours;
- ``llm`` on ``i-llm`` ($3 an hour) serves notes/sum, by tokens;
- ``router`` runs no task: it calls Bedrock for assistant/llama.

The scenarios choose the hours, the usage and the shared FOCUS rows; the expected dollars are
worked by hand in the tests.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from cost_assets.sample import write_cur_export, write_focus_export, write_reference, write_usage

LLAMA = "meta.llama3-70b-instruct-v1:0"
ACCOUNT = "111122223333"
INSTANCE_COST = {"i-asr": 1.0, "i-llm": 3.0}
TASK_WORKER = {"i-asr": ("speech", "asr"), "i-llm": ("llm", "llm")}

WORKERS = pl.DataFrame(
    {
        "worker": ["asr", "llm", "router"],
        "cluster": ["speech", "llm", "llm"],
        "fleet": ["speech", "llm", "llm"],
        "is_daemon": [False, False, False],
        "gpus_per_task": [0, 0, 0],
        "unit": ["audio_hours", "tokens", "tokens"],
    }
)
WORKER_CONFIGS = pl.DataFrame(
    {
        "worker": ["asr", "asr", "asr", "asr", "asr", "llm", "router"],
        "product": ["live", "live", "live", "batch", "notes", "notes", "assistant"],
        "model": ["fast", "fast", "fast", "large", "fast", "sum", LLAMA],
        "language": ["en", "es", "ja", "en", "en", None, None],
    }
)
PRODUCT_LINES = pl.DataFrame(
    {
        "product": ["live", "batch", "notes", "assistant"],
        "intensity_weight": [1.0, 2.0, 1.0, 2.0],
        "fixed_split": [True, True, True, False],
    }
)
# Amazon Bedrock is deliberately not listed: its charges must still take the llm_tokens tier.
SHARED_SERVICES = pl.DataFrame(
    {
        "service_code": ["AWSELB", "AmazonECR", "AWSCloudTrail", "AWSSupportBusiness"],
        "tier": ["requests", "containers", "fixed", "fixed"],
    }
)
INSTANCE_TYPES = pl.DataFrame(
    {
        "instance_type": ["m5.xlarge"],
        "vcpu": [4],
        "memory_gib": [16.0],
        "gpus": [0],
        "on_demand_usd_per_hour": [0.192],
    }
)


def calendar(ga: dict[tuple[str, str], str] | None = None) -> pl.DataFrame:
    """The launch calendar; every model GA on 2026-01-01 unless ``ga`` says otherwise."""
    rows = [
        ("live", "fast", "audio_hours"),
        ("batch", "large", "audio_hours"),
        ("notes", "fast", "audio_hours"),
        ("notes", "sum", "tokens"),
        ("assistant", LLAMA, "tokens"),
    ]
    ga = ga or {}
    return pl.DataFrame(
        {
            "product": [r[0] for r in rows],
            "model": [r[1] for r in rows],
            "unit": [r[2] for r in rows],
            "ga_date": [ga.get((r[0], r[1]), "2026-01-01") for r in rows],
            "retired_date": [None] * len(rows),
        },
        schema_overrides={"retired_date": pl.String},
    )


def hour(day: str, h: int) -> datetime:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return start + timedelta(hours=h)


def charge(
    start: datetime,
    service: str,
    cost: float,
    region: str | None = "us-west-2",
    *,
    end: datetime | None = None,
    sku: str = "Usage",
    resource: str = "",
    category: str = "Usage",
    status: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict:
    """One logical FOCUS row."""
    return {
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end or start + timedelta(hours=1),
        "RegionId": region,
        "x_ServiceCode": service,
        "SkuMeter": sku,
        "ResourceId": resource,
        "EffectiveCost": cost,
        "ChargeCategory": category,
        "CommitmentDiscountStatus": status,
        "Tags": tags,
    }


def compute_charges(hours: list[datetime]) -> list[dict]:
    """The two fleet instances' hours, as FOCUS EC2 instance usage."""
    return [
        charge(
            h,
            "AmazonEC2",
            INSTANCE_COST[instance],
            sku="USW2-BoxUsage:m5.xlarge",
            resource=instance,
            tags={"fleet": TASK_WORKER[instance][0]},
        )
        for h in hours
        for instance in INSTANCE_COST
    ]


def task_rows(hours: list[datetime]) -> list[dict]:
    """One task of each worker on its instance in every hour: CUR's two split rows per task."""
    rows = []
    for h in hours:
        for instance, (cluster, worker) in TASK_WORKER.items():
            task = f"arn:aws:ecs:us-west-2:{ACCOUNT}:task/{cluster}/{worker}{h:%d%H}"
            for suffix, reserved, split_cost, unused_cost in (
                ("vCPU-Hours", 4.0, 0.72, 0.18),
                ("GB-Hours", 16.0, 0.08, 0.02),
            ):
                rows.append(
                    {
                        "line_item_usage_start_date": h.replace(tzinfo=None),
                        "line_item_resource_id": task,
                        "line_item_operation": "ECSTask-EC2",
                        "line_item_usage_type": f"USW2-ECS-EC2-{suffix}",
                        "line_item_unblended_cost": 0.0,
                        "resource_tags": {
                            "aws_ecs_cluster_name": cluster,
                            "aws_ecs_service_name": worker,
                        },
                        "split_line_item_parent_resource_id": instance,
                        "split_line_item_reserved_usage": reserved,
                        "split_line_item_actual_usage": reserved / 2,
                        "split_line_item_split_usage": reserved,
                        "split_line_item_split_cost": split_cost,
                        "split_line_item_unused_cost": unused_cost,
                    }
                )
    return rows


def speech(day: str, h: int, product: str, model: str, language: str | None, audio, requests):
    return {
        "hour": hour(day, h),
        "region": "us-west-2",
        "product": product,
        "worker": "asr",
        "model": model,
        "language": language,
        "audio_hours": float(audio),
        "requests": requests,
    }


def llm(day: str, h: int, product: str, worker: str, model: str, tokens: int, requests: int):
    return {
        "hour": hour(day, h),
        "region": "us-west-2",
        "product": product,
        "worker": worker,
        "llm_model": model,
        "input_tokens": tokens * 3 // 5,
        "output_tokens": tokens - tokens * 3 // 5,
        "requests": requests,
    }


def write_company(
    root: Path,
    *,
    focus: list[dict],
    cur: list[dict],
    speech_usage: dict[str, list[dict]],
    llm_usage: dict[str, list[dict]],
    ga: dict[tuple[str, str], str] | None = None,
) -> Path:
    """A sources root: the exports of one billing period, usage per day and the reference."""
    period = f"{focus[0]['ChargePeriodStart']:%Y-%m}"
    write_focus_export(root, period, pl.DataFrame(focus, infer_schema_length=None))
    write_cur_export(root, period, pl.DataFrame(cur, infer_schema_length=None))
    for day, rows in speech_usage.items():
        write_usage(root, "speech", day, pl.DataFrame(rows, infer_schema_length=None))
    for day, rows in llm_usage.items():
        write_usage(root, "llm", day, pl.DataFrame(rows, infer_schema_length=None))
    write_reference(
        root,
        workers=WORKERS,
        worker_configs=WORKER_CONFIGS,
        product_calendar=calendar(ga),
        product_lines=PRODUCT_LINES,
        shared_services=SHARED_SERVICES,
        instance_types=INSTANCE_TYPES,
        settings={"gpu_weighting": "aws_fixed"},
    )
    return root
