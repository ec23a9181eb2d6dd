"""The Dagster definitions of cost-assets: assets, checks, jobs and resources."""

import dagster as dg

from cost_assets.assets import allocation, compute, raw
from cost_assets.automation import build_automation
from cost_assets.checks import CHECKS
from cost_assets.partitions import daily_partitions
from cost_assets.resources import storage_from_environment

ASSETS = [
    raw.reference_data,
    raw.focus_charges,
    raw.cur_rows,
    raw.usage_hourly,
    compute.task_costs,
    compute.worker_costs,
    compute.product_compute_costs,
    allocation.product_shared_costs,
    allocation.language_costs,
    allocation.unit_costs_hourly,
]

daily_job = dg.define_asset_job(
    "daily_unit_costs",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Every stage of one UTC day, from the exports to unit_costs_hourly.",
)

schedules, sensors = build_automation(daily_job)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[daily_job],
    schedules=schedules,
    sensors=sensors,
    resources={"storage": storage_from_environment()},
)
