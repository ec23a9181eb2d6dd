"""Task-hours and instances from CUR split rows: the naming rules, row by row."""

from datetime import UTC, date, datetime

import polars as pl

from cost_assets.methodology.tasks import instances, task_hours
from cost_assets.sources.schemas import EXPORT_COLUMNS, EXPORT_COLUMNS_USED, empty_frame

DAY = date(2026, 11, 2)
HOUR = datetime(2026, 11, 2, 5, tzinfo=UTC)
NEW_ARN = "arn:aws:ecs:eu-west-1:111122223333:task/speech-gpu/0a1b"
OLD_ARN = "arn:aws:ecs:eu-west-1:111122223333:task/0c2d"


def _cur(rows: list[dict]) -> pl.LazyFrame:
    columns = EXPORT_COLUMNS_USED["cur"]
    schema = empty_frame(EXPORT_COLUMNS["cur"], columns).schema
    base = {c: None for c in columns} | {"line_item_usage_start_date": HOUR}
    return pl.DataFrame([base | r for r in rows], schema=schema).lazy()


def _tags(**tags: str) -> list[dict]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _split(task: str, parent: str, usage_type: str, cost: float, **tags: str) -> dict:
    return {
        "line_item_operation": "ECSTask-EC2",
        "line_item_usage_type": f"EU-ECS-EC2-{usage_type}-Hours",
        "line_item_resource_id": task,
        "split_line_item_parent_resource_id": parent,
        "resource_tags": _tags(**tags),
        "split_line_item_reserved_usage": 2.0,
        "split_line_item_actual_usage": 1.0,
        "split_line_item_split_cost": cost,
        "split_line_item_unused_cost": 0.0,
    }


def test_task_names_come_from_tags_then_from_the_arn():
    cur = _cur(
        [
            # Tagged: the tags win over the ARN's cluster; an ARN parent is the bare id.
            _split(
                NEW_ARN,
                "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaa",
                "vCPU",
                0.25,
                aws_ecs_cluster_name="tagged-cluster",
                aws_ecs_service_name="speech-asr",
            ),
            _split(
                NEW_ARN,
                " i-0aaa ",
                "GB",
                0.5,
                aws_ecs_cluster_name="tagged-cluster",
                aws_ecs_service_name="speech-asr",
            ),
            # No tags, new ARN: the cluster is read from it, and the task is standalone.
            _split(NEW_ARN.replace("0a1b", "0e3f"), "i-0bbb", "vCPU", 1.0),
            # No tags, old ARN: no cluster anywhere.
            _split(OLD_ARN, "i-0bbb", "vCPU", 2.0),
        ]
    )
    out = task_hours(cur, DAY).collect().sort("split_cost")
    assert out.select("task_id", "instance_id", "region", "cluster", "worker").rows() == [
        (NEW_ARN, "i-0aaa", "eu-west-1", "tagged-cluster", "speech-asr"),
        (
            NEW_ARN.replace("0a1b", "0e3f"),
            "i-0bbb",
            "eu-west-1",
            "speech-gpu",
            "speech-gpu/standalone",
        ),
        (OLD_ARN, "i-0bbb", "eu-west-1", None, "unknown/standalone"),
    ]
    # The two rows of the tagged task-hour are one task-hour: their costs and usage add up.
    assert out.select("split_cost", "vcpu_reserved", "gb_reserved").row(0) == (0.75, 2.0, 2.0)


def _instance(resource_id: str, instance_type: str, vcpu: str, hour: int = 5) -> dict:
    return {
        "line_item_usage_start_date": datetime(2026, 11, 2, hour, tzinfo=UTC),
        "line_item_operation": "RunInstances",
        "line_item_resource_id": resource_id,
        "product_instance_type": instance_type,
        "product_region_code": "eu-west-1",
        "product": _tags(vcpu=vcpu, memory="1,024 GiB", gpu="8"),
        "resource_tags": _tags(user_fleet="speech-gpu"),
    }


def test_an_instance_takes_its_first_row_whichever_form_its_id_has():
    arn = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaa"
    cur = _cur(
        [
            _instance(arn, "p5.48xlarge", "192"),
            _instance("i-0aaa", "g5.xlarge", "4"),  # the same instance, a later row
            _instance("i-0bbb", "g5.xlarge", "4"),
            _instance("i-0bbb", "p5.48xlarge", "192"),
            _instance("vol-0ccc", "gp3", "0"),  # not an instance
            _instance("i-0ddd", "g5.xlarge", "4", hour=0) | {"line_item_operation": "Other"},
        ]
    )
    out = instances(cur, DAY, "fleet").collect()
    assert out.rows() == [
        ("i-0aaa", "eu-west-1", "p5.48xlarge", 192.0, 1024.0, 8.0, "speech-gpu"),
        ("i-0bbb", "eu-west-1", "g5.xlarge", 4.0, 1024.0, 8.0, "speech-gpu"),
    ]
