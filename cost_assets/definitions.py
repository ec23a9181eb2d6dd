"""The Dagster definitions of cost-assets: assets, checks, jobs and resources.

Three jobs: ``daily_unit_costs`` runs every daily asset of one UTC day (and the reference
data), ``monthly_cogs`` the monthly tables of a month from its stored days, ``report`` the
charts and the HTML report. From the command line:
``dg launch --job daily_unit_costs --partition 2026-10-27``,
``dg launch --job monthly_cogs --partition 2026-10-01`` and ``dg launch --job report``.
(``dg launch --assets '*'`` is refused: one run cannot take daily and monthly partitions.)
"""

import dagster as dg

from cost_assets.assets import (
    allocation,
    annotations,
    compute,
    marts,
    raw,
    report,
    trajectories,
    variance,
)
from cost_assets.automation import build_automation
from cost_assets.checks import CHECKS
from cost_assets.marts_checks import MART_CHECKS
from cost_assets.partitions import daily_partitions, monthly_partitions
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
    marts.worker_costs_daily,
    marts.unit_cost_rates,
    marts.finance_monthly_cogs,
    annotations.annotations,
    variance.unit_cost_variance_daily,
    variance.unit_cost_variance_monthly,
    trajectories.worker_trajectories,
    report.cost_report,
]

MONTHLY_ASSETS = dg.AssetSelection.assets(
    marts.finance_monthly_cogs, variance.unit_cost_variance_monthly
)
# The report reads every stored day: it runs once after the days, not in each day's run.
REPORT_ASSETS = dg.AssetSelection.assets(report.cost_report)

daily_job = dg.define_asset_job(
    "daily_unit_costs",
    selection=dg.AssetSelection.all() - MONTHLY_ASSETS - REPORT_ASSETS,
    partitions_def=daily_partitions,
    description="Every stage of one UTC day, from the exports to unit_costs_hourly and the "
    "daily consumer tables.",
)

monthly_job = dg.define_asset_job(
    "monthly_cogs",
    selection=MONTHLY_ASSETS,
    partitions_def=monthly_partitions,
    description="Finance's monthly COGS from the stored days of the month, and the month's "
    "unit-cost variance against the month before.",
)

report_job = dg.define_asset_job(
    "report",
    selection=REPORT_ASSETS,
    description="The charts and the static HTML report (<warehouse>/report/index.html) of the "
    "stored days.",
)

schedules, sensors = build_automation(daily_job, monthly_job)

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS + MART_CHECKS + variance.VARIANCE_CHECKS + trajectories.TRAJECTORY_CHECKS,
    jobs=[daily_job, monthly_job, report_job],
    schedules=schedules,
    sensors=sensors,
    resources={"storage": storage_from_environment()},
)
