"""The compute pool's fleet of an instance that hosts tasks of several fleets' workers."""

from datetime import UTC, datetime

import polars as pl

from cost_assets.methodology.charges import CHARGE_COLUMNS
from cost_assets.methodology.join import KEY, compute_pool, instance_ids, keyed, price_tasks
from cost_assets.methodology.tasks import INSTANCE_COLUMNS, TASK_HOUR_COLUMNS

HOUR = datetime(2026, 11, 2, 5, tzinfo=UTC)
WORKERS = pl.LazyFrame(
    {
        "worker": ["small", "large", "other", "agent"],
        "fleet": ["f-b", "f-c", "f-a", "f-z"],
        "is_daemon": [False, False, False, True],
    }
)


def _pool(tasks: list[tuple[str, str, float]]) -> dict[str, str]:
    """Fleet per instance: untagged instances, each billed once, hosting (instance, worker,
    vCPU reserved) tasks."""
    instances = sorted({i for i, _, _ in tasks})
    charges = pl.DataFrame(
        {
            "hour": [HOUR] * len(instances),
            "charge_category": "Usage",
            "service_code": "AmazonEC2",
            "sku_meter": "USW2-BoxUsage:m5.xlarge",
            "resource_id": instances,
            "region": "us-west-2",
            "effective_cost": 1.0,
        }
    )
    charges = charges.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in CHARGE_COLUMNS if c not in charges.columns
    )
    frame = pl.DataFrame(
        {
            "hour": [HOUR] * len(tasks),
            "region": "us-west-2",
            "instance_id": [i for i, _, _ in tasks],
            "task_id": [f"t{n}" for n in range(len(tasks))],
            "worker": [w for _, w, _ in tasks],
            "vcpu_reserved": [v for _, _, v in tasks],
            "gb_reserved": 1.0,
        }
    )
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c)
        for c in TASK_HOUR_COLUMNS
        if c not in frame.columns and c != "cluster"
    ).with_columns(pl.lit("c").alias("cluster"))
    pool = compute_pool(charges.lazy(), frame.lazy(), WORKERS).collect()
    return dict(pool.select("instance_id", "fleet").iter_rows())


def test_fleet_of_the_workers_that_reserve_most_not_daemons_then_by_name():
    assert _pool(
        [
            ("i-1", "small", 1.0),
            ("i-1", "large", 4.0),  # f-c reserves most of i-1
            ("i-2", "small", 2.0),
            ("i-2", "other", 2.0),  # a tie: by fleet name, f-a
            ("i-3", "agent", 8.0),
            ("i-3", "small", 0.5),  # a daemon never decides while a worker runs
            ("i-4", "agent", 1.0),  # daemons only: their fleet
            ("i-5", "stray", 1.0),  # not in the catalog: unknown
        ]
    ) == {"i-1": "f-c", "i-2": "f-a", "i-3": "f-b", "i-4": "f-z", "i-5": "unknown"}


def test_instance_hour_keys_agree_across_frames_keyed_apart():
    """KEY codes come from the day's enumerated ids, not from whatever categorical mapping
    happens to be alive: a frame keyed after another was dropped gets the same codes. (Keys
    built from categorical codes differed here: the second frame restarted at code 0.)"""
    hours = pl.DataFrame({"instance_id": ["i-b", "i-a", "i-c"]})
    ids = instance_ids(hours)
    first = pl.DataFrame({"hour": [HOUR] * 3, "instance_id": ["i-b", "i-a", "i-c"]})
    keys = dict(keyed(first.lazy(), ids).collect().select("instance_id", KEY).iter_rows())
    del first
    second = pl.DataFrame({"hour": [HOUR] * 3, "instance_id": ["i-c", "i-b", "i-ghost"]})
    again = dict(keyed(second.lazy(), ids).collect().select("instance_id", KEY).iter_rows())
    assert again["i-c"] == keys["i-c"] and again["i-b"] == keys["i-b"]
    assert len(set(keys.values())) == 3
    # An instance without usage that day has no key: its tasks are orphans, never matched.
    assert again["i-ghost"] is None


def test_an_instance_without_a_cur_row_takes_its_type_from_the_usage_meter():
    """Capacity for SCAD: CUR's product attributes, else the catalog of the type CUR names,
    else the catalog of the type in FOCUS's meter. i-1 is in CUR as an m5.xlarge (4 vCPU,
    16 GiB) although its meter says m5.2xlarge; i-2 is not in CUR: its meter's m5.2xlarge
    (8 vCPU, 32 GiB) from the catalog. Each has one task reserving 2 vCPU and 8 GiB without
    split costs, so SCAD (vCPU 9 : GB 1) is recomputed: i-1 in use (18 + 8) / (36 + 16) = 1/2
    of its $1, i-2 (18 + 8) / (72 + 32) = 1/4."""
    charges = pl.DataFrame(
        {
            "hour": HOUR,
            "charge_category": "Usage",
            "service_code": "AmazonEC2",
            "sku_meter": "USW2-BoxUsage:m5.2xlarge",
            "resource_id": ["i-1", "i-2"],
            "region": "us-west-2",
            "tag_fleet": "f-a",
            "effective_cost": 1.0,
        }
    )
    charges = charges.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in CHARGE_COLUMNS if c not in charges.columns
    )
    tasks = pl.DataFrame(
        {
            "hour": HOUR,
            "region": "us-west-2",
            "instance_id": ["i-1", "i-2"],
            "task_id": ["t1", "t2"],
            "cluster": "c",
            "worker": "other",
            "vcpu_reserved": 2.0,
            "gb_reserved": 8.0,
        }
    ).with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c)
        for c in ("vcpu_used", "gb_used", "split_cost", "unused_cost")
    )
    instances = pl.DataFrame(
        [("i-1", "us-west-2", "m5.xlarge", 4.0, 16.0, 0.0, "f-a")],
        schema=INSTANCE_COLUMNS,
        orient="row",
    )
    catalog = pl.LazyFrame(
        {"instance_type": ["m5.xlarge", "m5.2xlarge"], "vcpu": [4.0, 8.0],
         "memory_gib": [16.0, 32.0], "gpus": [0.0, 0.0]}
    )  # fmt: skip
    weights = pl.LazyFrame(schema={"instance_type": pl.String} | dict.fromkeys(
        ["gpu_weight", "vcpu_weight", "gb_weight"], pl.Float64))  # fmt: skip
    workers = WORKERS.with_columns(pl.lit(0.0).alias("gpus_per_task"))
    costs = price_tasks(
        charges.lazy(), tasks.lazy(), instances.lazy(), workers, catalog, weights
    ).task_costs
    assert costs.select("instance_id", "instance_type", "split_path", "in_use_cost").sort(
        "instance_id"
    ).rows() == [
        ("i-1", "m5.xlarge", "scad_recompute", 0.5),
        ("i-2", "m5.2xlarge", "scad_recompute", 0.25),
    ]
