"""Defects found in review, each pinned by the test that failed on it before the fix.

Pure-function tests use tiny Polars frames; the scenario tests write a tiny sources root with
the compute scenario builder and run the real daily Dagster job.
"""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cost_assets.methodology import capacity, gpu, join, languages, variance
from cost_assets.methodology.charges import CHARGE_COLUMNS
from cost_assets.methodology.tasks import INSTANCE_COLUMNS, TASK_HOUR_COLUMNS
from cost_assets.sample.exports import ACCOUNT_ID
from cost_assets_tests.harness import check_results, materialize_days, table
from cost_assets_tests.scenarios.compute.builder import DAY, Scenario

HOUR = datetime(2026, 11, 2, 3, tzinfo=UTC)
REGION = "us-west-2"
USAGE_SCHEMA = {
    "hour": pl.Datetime("us", "UTC"),
    "region": pl.String,
    "product": pl.String,
    "worker": pl.String,
    "model": pl.String,
    "language": pl.String,
    "audio_hours": pl.Float64,
    "requests": pl.Float64,
    "tokens": pl.Float64,
}
WORKERS = pl.DataFrame(
    {
        "worker": ["asr", "log-agent"],
        "cluster": ["speech", "speech"],
        "fleet": ["speech", "speech"],
        "is_daemon": [False, True],
        "gpus_per_task": [0.0, 0.0],
        "unit": ["audio_hours", "requests"],
    }
)
INSTANCE_TYPES = pl.DataFrame(
    {
        "instance_type": ["m5.xlarge"],
        "vcpu": [4.0],
        "memory_gib": [16.0],
        "gpus": [0.0],
        "on_demand_usd_per_hour": [0.192],
    }
)


def _task_cost_row(**values) -> dict:
    row = {
        "hour": HOUR,
        "region": REGION,
        "fleet": "speech",
        "instance_id": "i-1",
        "instance_type": "m5.xlarge",
        "task_id": "t1",
        "worker": "asr",
        "is_daemon": False,
        "split_path": "cur_split",
        "instance_cost": 1.0,
        "scale_factor": 1.0,
        "in_use_cost": 0.0,
        "idle_cost": 0.0,
        "dark_cost": 0.0,
    }
    return row | values


def _task_costs(rows: list[dict]) -> pl.DataFrame:
    schema = {c: pl.Float64 for c in join.TASK_COST_COLUMNS} | {
        "hour": pl.Datetime("us", "UTC"),
        "is_daemon": pl.Boolean,
        **{
            c: pl.String
            for c in ("region", "fleet", "instance_id", "instance_type", "task_id")
            + ("worker", "split_path")
        },
    }
    return pl.DataFrame(rows, schema=schema)


# 1. capacity.worker_costs drops every dollar of a task with no worker name ------------------


def test_worker_costs_keeps_the_dollars_of_a_task_without_a_worker():
    """A task-hour whose worker is null (no service tag, no cluster tag and an old-format task
    ARN without the cluster) is priced by the join, then silently left out of worker_costs:
    capacity._in_use_by_worker filters ``worker is not null`` and nothing else places it."""
    frame = _task_costs(
        [_task_cost_row(task_id="arn:aws:ecs:us-west-2:1:task/abc", worker=None,
                        in_use_cost=0.8, idle_cost=0.2)]
    )  # fmt: skip
    out = capacity.worker_costs(frame.lazy(), frame.lazy(), WORKERS.lazy()).collect()
    assert out["cost_usd"].sum() == pytest.approx(1.0)


# 2. languages.language_costs drops rows with a null model and a null language --------------


def test_layer3_keeps_cost_with_a_null_model():
    """Usage rows may carry a null model (only NaN/negative numbers are rejected), so layer 1
    can place cost on (product, model=null, language=null). In layer 3 the ``unspoken``
    predicate is null for such a row, so it is neither ``not_spoken`` nor ``unknown``: the
    dollar vanishes."""
    costs = pl.DataFrame(
        {
            "hour": [HOUR, HOUR],
            "region": [REGION, REGION],
            "product": ["live", "live"],
            "model": [None, "fast"],
            "language": [None, None],
            "cost_class": ["in_use", "in_use"],
            "cost_usd": [1.0, 2.0],
        },
        schema_overrides={"model": pl.String, "language": pl.String},
    )
    usage = pl.DataFrame(schema=USAGE_SCHEMA)
    configs = pl.DataFrame(
        {"worker": ["asr"], "product": ["live"], "model": ["fast"], "language": ["en"]}
    )
    calendar = pl.DataFrame({"product": ["live"], "model": ["fast"], "unit": ["audio_hours"]})
    out = languages.language_costs(
        costs.lazy(), usage.lazy(), configs.lazy(), calendar.lazy()
    ).collect()
    assert out["cost_usd"].sum() == pytest.approx(3.0)


# 3. Layer 3 prefers another model's language mix to the model's own catalogued languages ---


def test_layer3_model_without_history_uses_its_catalogued_languages():
    """SPEC 3.7: '... ∝ audio hours by (language, region, model) over a trailing window ...
    With no history: evenly over the model's catalogued languages; else the language und.'
    languages.py inserts product-line levels before the catalog, so a model catalogued only
    for English, with no history, is costed to Japanese because another model of its
    product line served Japanese audio."""
    costs = pl.DataFrame(
        {
            "hour": [HOUR],
            "region": [REGION],
            "product": ["batch"],
            "model": ["large"],
            "language": [None],
            "cost_class": ["in_use"],
            "cost_usd": [1.0],
        },
        schema_overrides={"language": pl.String},
    )
    trailing = pl.DataFrame(
        [(HOUR, REGION, "batch", "asr", "small", "ja", 10.0, 0.0, 0.0)],
        schema=USAGE_SCHEMA,
        orient="row",
    )
    configs = pl.DataFrame(
        {"worker": ["asr", "asr"], "product": ["batch", "batch"],
         "model": ["large", "small"], "language": ["en", "ja"]}
    )  # fmt: skip
    calendar = pl.DataFrame(
        {"product": ["batch", "batch"], "model": ["large", "small"], "unit": ["audio_hours"] * 2}
    )
    out = languages.language_costs(
        costs.lazy(), trailing.lazy(), configs.lazy(), calendar.lazy()
    ).collect()
    assert dict(out.select("language", "cost_usd").iter_rows()) == {"en": pytest.approx(1.0)}


# 5. A task with zero split costs beside tasks with split costs gets nothing -----------------


def _join_frames(tasks: list[dict]):
    charges = pl.DataFrame(
        {
            "hour": [HOUR],
            "charge_category": ["Usage"],
            "service_code": ["AmazonEC2"],
            "sku_meter": ["USW2-BoxUsage:m5.xlarge"],
            "resource_id": ["i-1"],
            "region": [REGION],
            "tag_fleet": ["speech"],
            "effective_cost": [1.0],
        }
    )
    charges = charges.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in CHARGE_COLUMNS if c not in charges.columns
    ).select(CHARGE_COLUMNS)
    instances = pl.DataFrame(
        [("i-1", REGION, "m5.xlarge", 4.0, 16.0, 0.0, "speech")],
        schema=dict.fromkeys(INSTANCE_COLUMNS, pl.String)
        | {"vcpu": pl.Float64, "memory_gib": pl.Float64, "gpus": pl.Float64},
        orient="row",
    )
    base = {
        "hour": HOUR,
        "region": REGION,
        "instance_id": "i-1",
        "cluster": "speech",
        "worker": "asr",
        "vcpu_used": None,
        "gb_used": None,
    }
    schema = {c: pl.Float64 for c in TASK_HOUR_COLUMNS} | {
        "hour": pl.Datetime("us", "UTC"),
        **{c: pl.String for c in ("region", "instance_id", "task_id", "cluster", "worker")},
    }
    frame = pl.DataFrame([base | t for t in tasks], schema=schema).select(TASK_HOUR_COLUMNS)
    return charges, frame, instances


def test_task_with_zero_split_cost_but_usage_is_recomputed():
    """SPEC 3.1.4: 'Where split costs are null or zero but usage is present, recompute them
    from usage with the SCAD method.' join's split recomputes only when a split cost is
    null or the instance-hour's CUR total is zero; a task whose split and unused costs are
    0 while it reserves half the instance gets $0 of the instance-hour."""
    charges, tasks, instances = _join_frames(
        [
            {"task_id": "t1", "vcpu_reserved": 2.0, "gb_reserved": 8.0,
             "split_cost": 0.5, "unused_cost": 0.0},
            {"task_id": "t2", "vcpu_reserved": 2.0, "gb_reserved": 8.0,
             "split_cost": 0.0, "unused_cost": 0.0},
        ]
    )  # fmt: skip
    weights = gpu.gpu_weights(INSTANCE_TYPES, "aws_fixed", "m5")
    out = join.price_tasks(
        charges.lazy(),
        tasks.lazy(),
        instances.lazy(),
        WORKERS.lazy(),
        INSTANCE_TYPES.lazy(),
        weights.lazy(),
    ).task_costs
    per_task = dict(
        out.select("task_id", pl.sum_horizontal("in_use_cost", "idle_cost")).iter_rows()
    )
    # Two identical reservations filling the instance: SCAD gives each half of C.
    assert per_task == {"t1": pytest.approx(0.5), "t2": pytest.approx(0.5)}


# 6. The variance check's dollar half is an identity: it cannot fail -------------------------


def test_variance_dollar_check_detects_dollars_missing_from_a_period():
    """unit_cost_variance_*/parts_sum_to_total compares delta_cost_usd with the sum of the
    dollar parts, but in_use_efficiency_usd is defined as ΔC_in_use − traffic, so the parts
    sum to ΔC for any input: the check never looks at the facts and passes even when the
    current period lost a dollar. (Here: the current day's facts lack a $1 shared_service
    row; variance.largest_residuals still reports 0.)"""
    keys = {"product": "live", "model": "fast", "region": REGION}
    usage = pl.DataFrame(
        [(HOUR, REGION, "live", "asr", "fast", "en", 2.0, 0.0, 0.0)],
        schema=USAGE_SCHEMA,
        orient="row",
    )
    calendar = pl.DataFrame(
        {"product": ["live"], "model": ["fast"], "unit": ["audio_hours"],
         "ga_date": [datetime(2026, 1, 1).date()]}
    )  # fmt: skip
    full = pl.DataFrame(
        [keys | {"cost_class": "in_use", "cost_usd": 3.0},
         keys | {"cost_class": "shared_service", "cost_usd": 1.0}]
    )  # fmt: skip
    base = variance.period_costs(full.lazy(), usage.lazy(), calendar.lazy())
    current_missing_a_dollar = variance.period_costs(
        full.head(1).lazy(), usage.lazy(), calendar.lazy()
    )
    frame = variance.decompose(base, current_missing_a_dollar, HOUR.date(), HOUR.date()).collect()
    # The facts of the current period hold $4, the variance table $3: the check must flag it.
    assert frame["cost_usd"].sum() == pytest.approx(3.0)
    assert variance.largest_residuals(frame)["dollars"] < 0.005  # the identity alone: blind
    assert variance.facts_residual(frame, base_usd=4.0, current_usd=4.0) == pytest.approx(1.0)


# 7-9. Through the real Dagster job -----------------------------------------------------------


def _run(scenario: Scenario, root: Path, days: list[str], rewrite=None):
    sources = scenario.write(root / "sources")
    if rewrite is not None:
        rewrite(sources)
    results = materialize_days(sources, root / "warehouse", days, raise_on_error=False)
    failed = [
        f"{day}:{name}"
        for day, result in zip(days, results, strict=True)
        for name, evaluation in check_results(result).items()
        if not evaluation.passed
    ]
    return results, failed


def _fleet_hour(scenario: Scenario, day: str = DAY) -> Scenario:
    """One $1 instance-hour of the speech-cpu fleet with one diarizer task and its usage."""
    scenario.instance("i-a", 3, 1.0, fleet="speech-cpu", capacity=(4, 16, 0), day=day)
    scenario.task("i-a", 3, f"t{day}", "diarizer", cluster="speech-cpu", vcpu=(2.0, None),
                  gb=(8.0, None), split=(0.5, 0.1), unused=(0.3, 0.1), day=day)  # fmt: skip
    scenario.speech_usage(3, "diarizer", "transcribe-batch", "diarize-v1", None, 1.0, day=day)
    return scenario


def test_old_format_task_arn_without_tags_keeps_the_day_running(tmp_path):
    """A CUR task row with an old-format ARN (no cluster in it) and no ECS tags gets a null
    worker in tasks.task_hours (cluster and service both null); its $1 is priced by the join
    and then dropped by capacity.worker_costs, so conserves_task_costs fails and the whole day
    is blocked. SPEC 6: odd-but-legal data is handled, never dropped."""
    scenario = _fleet_hour(Scenario())
    for row in scenario.cur:
        if row["line_item_operation"] == "ECSTask-EC2":
            row["line_item_resource_id"] = f"arn:aws:ecs:us-west-2:{ACCOUNT_ID}:task/0123abcd"
            row["resource_tags"] = {"user_team": "speech"}
    (result,), failed = _run(scenario, tmp_path, [DAY])
    assert failed == []
    assert result.success
    facts = table(tmp_path / "warehouse", "unit_costs_hourly", DAY)
    assert facts["cost_usd"].sum() == pytest.approx(1.0)


def _null_charge_period(column: str, cost: float):
    def rewrite(sources: Path) -> None:
        for path in sorted((sources / "focus").rglob("*.parquet")):
            chunk = pq.read_table(path)
            costs = chunk.column("EffectiveCost").to_pylist()
            values = [
                None if c == cost else v
                for v, c in zip(chunk.column(column).to_pylist(), costs, strict=True)
            ]
            index = chunk.column_names.index(column)
            array = pa.array(values, chunk.schema.field(column).type)
            pq.write_table(chunk.set_column(index, column, array), path, compression="snappy")

    return rewrite


@pytest.mark.parametrize("column", ["ChargePeriodStart", "ChargePeriodEnd"])
def test_focus_row_with_null_charge_period_fails_the_day(tmp_path, column):
    """A $5 FOCUS row whose ChargePeriodStart or ChargePeriodEnd is null passes the reader
    (exports._check_charge_periods fill_null(False)s the comparison), is filtered out by
    charges.overlaps_day (null) in focus_charges AND by the same predicate in
    apportioned_cost, so reconciles_to_focus_export and reconciles_to_bill both pass while
    the $5 is in no table and no metadata. SPEC 3: no dollar is dropped; SPEC 6: malformed
    input is a clear error naming file, column and row."""
    scenario = _fleet_hour(Scenario())
    scenario.charge(5, 5.0, RegionId=REGION, x_ServiceCode="AWSDataTransfer", ResourceId="i-a",
                    SkuMeter="USW2-DataTransfer-Out-Bytes")  # fmt: skip
    (result,), failed = _run(scenario, tmp_path, [DAY], _null_charge_period(column, 5.0))
    # The day fails at the reader, naming the column, instead of losing the $5.
    assert not result.success
    (failure,) = result.get_step_failure_events()
    message = failure.event_specific_data.error.message
    assert "charge period is empty" in message and column in message


def test_charge_period_crossing_its_billing_period_fails_the_day(tmp_path):
    """A $24 charge delivered in the 2026-10 billing period for 2026-10-31 12:00 to
    2026-11-01 12:00 (accepted by the reader). 2026-10-31 takes its 12 hours ($12);
    2026-11-01 reads only the 2026-11..2027-01 deliveries (exports.billing_periods_for), so
    the other $12 is in no partition, and both days' reconciliation checks pass because
    focus_day_total reads the same deliveries."""
    days = ["2026-10-31", "2026-11-01"]
    scenario = _fleet_hour(_fleet_hour(Scenario(), days[0]), days[1])
    scenario.charge(12, 24.0, day="2026-10-31", RegionId=REGION, x_ServiceCode="AWSCloudTrail",
                    ChargePeriodEnd=datetime(2026, 11, 1, 12, tzinfo=UTC))  # fmt: skip
    results, failed = _run(scenario, tmp_path, days)
    # A day reads its own and later periods' deliveries, never earlier ones, so such a row
    # would lose its later part: the reader refuses it, naming the column, and the day whose
    # delivery holds it fails loudly. (2026-11-01 does not read October's delivery.)
    assert not results[0].success
    (failure,) = results[0].get_step_failure_events()
    message = failure.event_specific_data.error.message
    assert "runs past the end of its billing period" in message
    assert "ChargePeriodEnd" in message


def test_day_with_focus_but_no_cur_export_runs(tmp_path):
    """pipeline.cur_tables builds the empty cur_task_hours / cur_instances of a day with no
    CUR delivery with every column typed String, so task_costs fails with polars' '`sum`
    operation not supported for dtype `str`' instead of sending the day's dollars to the
    shared pool (or failing with an error that names the missing export). Here: a $3 shared
    charge and no CUR rows at all."""
    scenario = Scenario()
    scenario.charge(5, 3.0, RegionId=REGION, x_ServiceCode="AWSCloudTrail")
    scenario.speech_usage(5, "diarizer", "transcribe-batch", "diarize-v1", None, 1.0)
    (result,), failed = _run(scenario, tmp_path, [DAY])
    assert result.success and failed == []
    facts = table(tmp_path / "warehouse", "unit_costs_hourly", DAY)
    assert facts["cost_usd"].sum() == pytest.approx(3.0)
