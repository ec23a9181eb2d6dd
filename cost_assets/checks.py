"""Conservation checks: every stage's dollars out equal its dollars in, to the cent and below.

Each check re-reads the stage's stored partition and its inputs' stored partitions, so it
judges what was written, not what the asset believed it wrote. All are blocking: a failure
stops the stages downstream for that day only. The fact table is also tied back to the raw
FOCUS export by a formula that never touches the hourly tables.
"""

from collections.abc import Callable

import dagster as dg
import polars as pl

from cost_assets.assets.common import load_reference, partition_day
from cost_assets.assets.raw import focus_day_total
from cost_assets.methodology import join, ledger
from cost_assets.partitions import daily_partitions
from cost_assets.resources import CostAssetsStorage
from cost_assets.warehouse import Warehouse

ABSOLUTE_TOLERANCE_USD = 1e-6
RELATIVE_TOLERANCE = 1e-12


def _total(tables: Warehouse, table: str, day: str, expression: pl.Expr) -> float:
    frame = tables.read(table, day)
    return float(frame.select(expression.sum()).item()) if frame.height else 0.0


def _cost(tables: Warehouse, table: str, day: str) -> float:
    return _total(tables, table, day, pl.col("cost_usd"))


def _task_costs(tables: Warehouse, day: str) -> float:
    return _total(
        tables, "task_costs", day, pl.sum_horizontal("in_use_cost", "idle_cost", "dark_cost")
    )


def conservation_result(usd_in: float, usd_out: float, **extra: float) -> dg.AssetCheckResult:
    """Pass when the totals agree within a micro-dollar (relative for very large days)."""
    tolerance = max(ABSOLUTE_TOLERANCE_USD, RELATIVE_TOLERANCE * abs(usd_in))
    delta = usd_out - usd_in
    return dg.AssetCheckResult(
        passed=bool(abs(delta) <= tolerance),
        metadata={
            "dollars_in": usd_in,
            "dollars_out": usd_out,
            "delta": delta,
            "tolerance": tolerance,
            **extra,
        },
        description=None
        if abs(delta) <= tolerance
        else f"{abs(delta):.6f} USD {'created' if delta > 0 else 'lost'} by this stage",
    )


def conservation_check(
    asset: str,
    name: str,
    description: str,
    dollars: Callable[[CostAssetsStorage, str], tuple[float, float]],
    additional_deps: list[str] | None = None,
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=name,
        blocking=True,
        partitions_def=daily_partitions,
        description=description,
        additional_deps=additional_deps or [],
    )
    def _check(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
        day = context.op_execution_context.partition_key
        usd_in, usd_out = dollars(storage, day)
        return conservation_result(usd_in, usd_out)

    return _check


def _focus_charges(storage: CostAssetsStorage, day: str) -> tuple[float, float]:
    tables = storage.tables()
    settings = load_reference(tables)["settings"]
    raw = focus_day_total(
        storage.source_store(),
        partition_day_from(day),
        list(settings["excluded_charge_categories"]),
    )
    return raw["apportioned"], _total(tables, "focus_charges", day, pl.col("effective_cost"))


def _compute_pool(storage: CostAssetsStorage, day: str) -> tuple[float, float]:
    tables = storage.tables()
    reference = load_reference(tables)
    pool = join.compute_pool(
        tables.read("focus_charges", day).lazy(),
        tables.read("cur_task_hours", day).lazy(),
        reference["workers"],
    ).collect()
    return float(pool["instance_cost"].sum()), _task_costs(tables, day)


def _shared_pool(storage: CostAssetsStorage, day: str) -> tuple[float, float]:
    tables = storage.tables()
    settings = load_reference(tables)["settings"]
    charges = tables.read("focus_charges", day)
    excluded = charges.filter(
        pl.col("charge_category").is_in(list(settings["excluded_charge_categories"]))
    )
    usd_in = (
        float(charges["effective_cost"].sum())
        - _task_costs(tables, day)
        - float(excluded["effective_cost"].sum())
    )
    return usd_in, _cost(tables, "product_shared_costs", day)


def partition_day_from(key: str):
    from datetime import date

    return date.fromisoformat(key)


focus_charges_reconciles = conservation_check(
    "focus_charges",
    "reconciles_to_focus_export",
    "The day's hourly charges sum to the FOCUS EffectiveCost apportioned to the day, computed "
    "straight from the export files.",
    _focus_charges,
)
task_costs_conserves = conservation_check(
    "task_costs",
    "conserves_compute_pool",
    "In use + idle + dark over every task and instance-hour equals the compute pool's FOCUS "
    "effective cost.",
    _compute_pool,
    additional_deps=["focus_charges", "cur_task_hours"],
)
worker_costs_conserves = conservation_check(
    "worker_costs",
    "conserves_task_costs",
    "Capacity classes per worker sum to the amortized task costs.",
    lambda s, d: (_task_costs(s.tables(), d), _cost(s.tables(), "worker_costs", d)),
    additional_deps=["task_costs"],
)
product_compute_costs_conserves = conservation_check(
    "product_compute_costs",
    "conserves_worker_costs",
    "Layer 1 places every worker dollar on a product, model and language (or unattributed).",
    lambda s, d: (
        _cost(s.tables(), "worker_costs", d),
        _cost(s.tables(), "product_compute_costs", d),
    ),
    additional_deps=["worker_costs"],
)
product_shared_costs_conserves = conservation_check(
    "product_shared_costs",
    "conserves_shared_pool",
    "Layer 2 places every shared dollar: the day's charges less the compute pool and the "
    "excluded categories.",
    _shared_pool,
    additional_deps=["focus_charges", "task_costs"],
)
language_costs_conserves = conservation_check(
    "language_costs",
    "conserves_compute_and_shared",
    "Layer 3 keeps the sum of layer 1 and layer 2.",
    lambda s, d: (
        _cost(s.tables(), "product_compute_costs", d)
        + _cost(s.tables(), "product_shared_costs", d),
        _cost(s.tables(), "language_costs", d),
    ),
    additional_deps=["product_compute_costs", "product_shared_costs"],
)


@dg.asset_check(
    asset="unit_costs_hourly",
    name="reconciles_to_bill",
    blocking=True,
    partitions_def=daily_partitions,
    additional_deps=["language_costs"],
    description="The day's total equals the FOCUS EffectiveCost apportioned to the day less "
    "the excluded categories, computed straight from the export files, and equals layer 3.",
)
def unit_costs_reconcile(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    day = context.op_execution_context.partition_key
    tables = storage.tables()
    settings = load_reference(tables)["settings"]
    raw = focus_day_total(
        storage.source_store(), partition_day(context), list(settings["excluded_charge_categories"])
    )
    bill = raw["apportioned"] - raw["excluded"]
    facts = _cost(tables, "unit_costs_hourly", day)
    layer3 = _cost(tables, "language_costs", day)
    result = conservation_result(
        bill, facts, layer3_dollars=layer3, excluded_dollars=raw["excluded"]
    )
    if result.passed and abs(layer3 - facts) > ABSOLUTE_TOLERANCE_USD:
        return conservation_result(layer3, facts, bill_dollars=bill)
    return result


@dg.asset_check(
    asset="unit_costs_hourly",
    name="models_in_launch_calendar",
    partitions_def=daily_partitions,
    description="Every model with cost is in the launch calendar (missing ones count as COGS).",
)
def models_in_calendar(context: dg.AssetCheckExecutionContext, storage: CostAssetsStorage):
    tables = storage.tables()
    reference = load_reference(tables)
    facts = tables.read("unit_costs_hourly", context.op_execution_context.partition_key)
    missing = ledger.models_missing_from_calendar(
        facts.lazy(), reference["product_calendar"]
    ).collect()
    return dg.AssetCheckResult(
        passed=missing.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"missing": dg.MetadataValue.json(missing.to_dicts())},
    )


CHECKS = [
    focus_charges_reconciles,
    task_costs_conserves,
    worker_costs_conserves,
    product_compute_costs_conserves,
    product_shared_costs_conserves,
    language_costs_conserves,
    unit_costs_reconcile,
    models_in_calendar,
]
