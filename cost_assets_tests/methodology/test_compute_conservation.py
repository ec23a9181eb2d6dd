"""Property: random fleets, tasks and usage conserve money through the join, the capacity
classes and layer 1, per instance-hour, per fleet-hour and per day, and never turn positive
inputs into a negative cost."""

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cost_assets.methodology import capacity, gpu, join, workers
from cost_assets.methodology.charges import CHARGE_COLUMNS
from cost_assets.methodology.tasks import INSTANCE_COLUMNS, TASK_HOUR_COLUMNS

DAY = datetime(2026, 11, 2, tzinfo=UTC)
REGIONS = ["us-west-2", "eu-west-1"]
WORKERS = pl.DataFrame(
    [
        ("cpu-a", "f-cpu", "f-cpu", False, 0.0, "audio_hours"),
        ("cpu-b", "f-cpu", "f-cpu", False, 0.0, "requests"),
        ("gpu-a", "f-gpu", "f-gpu", False, 1.0, "audio_hours"),
        ("gpu-b", "f-gpu", "f-gpu", False, 2.0, "tokens"),
        ("cpu-agent", "f-cpu", "f-cpu", True, 0.0, "requests"),
        ("gpu-agent", "f-gpu", "f-gpu", True, 0.0, "requests"),
        ("lonely-agent", "f-ops", "f-ops", True, 0.0, "requests"),
    ],
    schema=["worker", "cluster", "fleet", "is_daemon", "gpus_per_task", "unit"],
    orient="row",
)
CONFIGS = pl.DataFrame(
    [
        ("cpu-a", "p1", "m1", "en"),
        ("cpu-a", "p2", "m1", None),
        ("gpu-a", "p1", "m2", "es"),
        ("gpu-b", "p3", "llm", None),
    ],
    schema=["worker", "product", "model", "language"],
    orient="row",
)
INSTANCE_TYPES = pl.DataFrame(
    [
        ("m5.xlarge", 4.0, 16.0, 0.0, 0.192),
        ("c5.2xlarge", 8.0, 16.0, 0.0, 0.34),
        ("g5.xlarge", 4.0, 16.0, 1.0, 1.006),
        ("g5.12xlarge", 48.0, 192.0, 4.0, 5.672),
    ],
    schema=["instance_type", "vcpu", "memory_gib", "gpus", "on_demand_usd_per_hour"],
    orient="row",
)
# An instance type the catalog does not know: capacity only from CUR, if at all.
TYPES = [*INSTANCE_TYPES["instance_type"], "x9.large"]
WORKER_NAMES = [*WORKERS["worker"], "uncatalogued", "f-cpu/standalone"]
FLEET_TAGS = ["f-cpu", "f-gpu", "f-ops", "unknown-fleet", None]
HOURS = 3

amount = st.floats(min_value=0.0, max_value=20.0, allow_nan=False, allow_infinity=False)
cost = st.floats(min_value=0.001, max_value=50.0, allow_nan=False, allow_infinity=False)
maybe_used = st.one_of(st.none(), amount)
# CUR split costs: present, zero or missing (null) per task.
split = st.one_of(st.none(), st.just(0.0), amount)


@st.composite
def fleets(draw):
    n_instances = draw(st.integers(1, 5))
    instances = []
    for n in range(n_instances):
        instances.append(
            {
                "instance_id": f"i-{n}",
                "region": draw(st.sampled_from(REGIONS)),
                "instance_type": draw(st.sampled_from(TYPES)),
                "fleet": draw(st.sampled_from(FLEET_TAGS)),
                "on_cur": draw(st.booleans()),
            }
        )
    charges, tasks = [], []
    for inst in instances:
        for hour in range(HOURS):
            if draw(st.integers(0, 4)) > 0:  # mostly billed; sometimes not (orphan tasks)
                for part in draw(st.lists(cost, min_size=1, max_size=2)):
                    charges.append((hour, inst, part))
            for t in range(draw(st.integers(0, 4))):
                tasks.append(
                    {
                        "hour": DAY + timedelta(hours=hour),
                        "region": inst["region"],
                        "instance_id": inst["instance_id"],
                        "task_id": f"{inst['instance_id']}-{hour}-{t}",
                        "cluster": "f-cpu",
                        "worker": draw(st.sampled_from(WORKER_NAMES)),
                        "vcpu_reserved": draw(amount),
                        "vcpu_used": draw(maybe_used),
                        "gb_reserved": draw(amount),
                        "gb_used": draw(maybe_used),
                        "split_cost": draw(split),
                        "unused_cost": draw(split),
                    }
                )
    usage = []
    for hour in range(HOURS):
        for worker, product, model, language in CONFIGS.iter_rows():
            if draw(st.booleans()):
                usage.append(
                    {
                        "hour": DAY + timedelta(hours=hour),
                        "region": draw(st.sampled_from(REGIONS)),
                        "product": product,
                        "worker": worker,
                        "model": model,
                        "language": language,
                        "audio_hours": draw(amount),
                        "requests": draw(amount),
                        "tokens": draw(amount),
                    }
                )
    weighting = draw(st.sampled_from(["empirical", "aws_fixed"]))
    return instances, charges, tasks, usage, weighting


def _frames(instances, charges, tasks):
    charge_rows = [
        {
            "hour": DAY + timedelta(hours=hour),
            "charge_category": "Usage",
            "service_code": "AmazonEC2",
            "sku_meter": f"USW2-BoxUsage:{inst['instance_type']}",
            "resource_id": inst["instance_id"],
            "region": inst["region"],
            "tag_fleet": inst["fleet"],
            "effective_cost": part,
        }
        for hour, inst, part in charges
    ]
    charge_frame = pl.DataFrame(
        charge_rows, schema={c: pl.String for c in CHARGE_COLUMNS} | _CHARGE_TYPES
    )
    catalog = {r["instance_type"]: r for r in INSTANCE_TYPES.iter_rows(named=True)}
    instance_frame = pl.DataFrame(
        [
            {
                "instance_id": i["instance_id"],
                "region": i["region"],
                "instance_type": i["instance_type"],
                "vcpu": catalog.get(i["instance_type"], {}).get("vcpu", 2.0),
                "memory_gib": catalog.get(i["instance_type"], {}).get("memory_gib", 8.0),
                "gpus": catalog.get(i["instance_type"], {}).get("gpus"),
                "fleet": i["fleet"],
            }
            for i in instances
            if i["on_cur"]
        ],
        schema=_INSTANCE_TYPES,
    ).select(INSTANCE_COLUMNS)
    task_frame = pl.DataFrame(tasks, schema=_TASK_TYPES).select(TASK_HOUR_COLUMNS)
    return charge_frame, instance_frame, task_frame


_CHARGE_TYPES = {"hour": pl.Datetime("us", "UTC"), "effective_cost": pl.Float64}
_INSTANCE_TYPES = {c: pl.String for c in INSTANCE_COLUMNS} | {
    c: pl.Float64 for c in ("vcpu", "memory_gib", "gpus")
}
_TASK_TYPES = {c: pl.Float64 for c in TASK_HOUR_COLUMNS} | {
    "hour": pl.Datetime("us", "UTC"),
    **{c: pl.String for c in ("region", "instance_id", "task_id", "cluster", "worker")},
}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _task(instance: dict, task: str, worker: str, **amounts) -> dict:
    row = {
        "hour": DAY,
        "region": instance["region"],
        "instance_id": instance["instance_id"],
        "task_id": task,
        "cluster": "f-cpu",
        "worker": worker,
        "vcpu_reserved": 1.0,
        "vcpu_used": None,
        "gb_reserved": 2.0,
        "gb_used": None,
        "split_cost": 0.5,
        "unused_cost": 0.5,
    }
    return row | amounts


KNOWN = {"instance_id": "i-0", "region": "us-west-2", "instance_type": "m5.xlarge",
         "fleet": "f-cpu", "on_cur": True}  # fmt: skip
UNKNOWN = {"instance_id": "i-1", "region": "us-west-2", "instance_type": "x9.large",
           "fleet": "f-cpu", "on_cur": False}  # fmt: skip
USAGE = {"hour": DAY, "region": "us-west-2", "product": "p1", "worker": "cpu-a", "model": "m1",
         "language": "en", "audio_hours": 0.0, "requests": 0.0, "tokens": 0.0}  # fmt: skip
# Found by this test once, kept as fixed examples:
# - CUR split dollars so small that FOCUS ÷ CUR overflows: shares must be taken first;
# - an instance of unknown capacity whose tasks reserve nothing: no priced capacity at all;
# - a usage driver so small that cost × driver underflows before it is divided.
EXAMPLES = [
    ([KNOWN], [(0, KNOWN, 1.0)],
     [_task(KNOWN, "t1", "cpu-a", split_cost=0.0, unused_cost=5e-324)], [], "empirical"),
    ([UNKNOWN], [(0, UNKNOWN, 1.0)],
     [_task(UNKNOWN, "t1", "cpu-a", vcpu_reserved=0.0, gb_reserved=0.0, split_cost=None)], [],
     "empirical"),
    ([KNOWN], [(0, KNOWN, 1.0)], [_task(KNOWN, "t1", "cpu-a")],
     [USAGE | {"audio_hours": 5e-324}, USAGE | {"product": "p2", "language": None,
                                                "audio_hours": 5e-324}], "aws_fixed"),
]  # fmt: skip


@example(EXAMPLES[0])
@example(EXAMPLES[1])
@example(EXAMPLES[2])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_compute_stages_conserve_money(fleet):
    instances, charges, tasks, usage, weighting = fleet
    charge_frame, instance_frame, task_frame = _frames(instances, charges, tasks)
    weights = gpu.gpu_weights(INSTANCE_TYPES, weighting, "m5")
    reference = WORKERS.lazy()

    pool = join.compute_pool(charge_frame.lazy(), task_frame.lazy(), reference).collect()
    task_costs = join.price_tasks(
        charge_frame.lazy(),
        task_frame.lazy(),
        instance_frame.lazy(),
        reference,
        INSTANCE_TYPES.lazy(),
        weights.lazy(),
    ).task_costs
    classes = ["in_use_cost", "idle_cost", "dark_cost"]

    # Per instance-hour: in use + idle + dark = C, exactly the compute pool's instance-hours.
    out = task_costs.group_by("hour", "instance_id").agg(pl.sum_horizontal(classes).sum())
    both = pool.join(out, on=["hour", "instance_id"], how="full", coalesce=True)
    assert both.height == pool.height
    for c_in, c_out in both.select("instance_cost", "in_use_cost").iter_rows():
        assert c_in is not None and c_out is not None
        assert _close(c_in, c_out), (c_in, c_out)
    assert task_costs.select(pl.min_horizontal(classes).min()).item() is None or (
        task_costs.select(pl.min_horizontal(classes).min()).item() >= 0.0
    )
    assert task_costs.select(pl.any_horizontal(pl.col(classes).is_null()).any()).item() in (
        False,
        None,
    )

    # Capacity classes: per hour, region and fleet, and per day; never negative.
    worker_costs = capacity.worker_costs(task_costs.lazy(), task_costs.lazy(), reference).collect()
    keys = ["hour", "region", "fleet"]
    pool_by_fleet = pool.group_by(keys).agg(pl.col("instance_cost").sum())
    worker_by_fleet = worker_costs.group_by(keys).agg(pl.col("cost_usd").sum())
    joined = pool_by_fleet.join(worker_by_fleet, on=keys, how="full", coalesce=True)
    for c_in, c_out in joined.select("instance_cost", "cost_usd").iter_rows():
        assert _close(c_in or 0.0, c_out or 0.0), (c_in, c_out)
    assert _close(float(pool["instance_cost"].sum()), float(worker_costs["cost_usd"].sum()))
    assert worker_costs.height == 0 or worker_costs["cost_usd"].min() >= 0.0
    assert worker_costs["worker"].null_count() == 0

    # Layer 1: per hour and region, and per day.
    usage_frame = pl.DataFrame(
        usage,
        schema={
            "hour": pl.Datetime("us", "UTC"),
            **{c: pl.String for c in ("region", "product", "worker", "model", "language")},
            **{c: pl.Float64 for c in ("audio_hours", "requests", "tokens")},
        },
    )
    products = workers.product_costs(
        worker_costs.lazy(),
        usage_frame.lazy(),
        usage_frame.lazy(),
        reference,
        CONFIGS.lazy(),
    ).collect()
    assert _close(float(worker_costs["cost_usd"].sum()), float(products["cost_usd"].sum()))
    by_hour = ["hour", "region"]
    layer_in = worker_costs.group_by(by_hour).agg(pl.col("cost_usd").sum().alias("usd_in"))
    layer_out = products.group_by(by_hour).agg(pl.col("cost_usd").sum().alias("usd_out"))
    for usd_in, usd_out in (
        layer_in.join(layer_out, on=by_hour, how="full", coalesce=True)
        .select("usd_in", "usd_out")
        .iter_rows()
    ):
        assert _close(usd_in or 0.0, usd_out or 0.0), (usd_in, usd_out)
    assert products.height == 0 or products["cost_usd"].min() >= 0.0
    assert products["product"].null_count() == 0 and products["model"].null_count() == 0
