"""The definitions load, and the graph is what the README says it is."""

import dagster as dg

from cost_assets.definitions import defs

STAGES = [
    "reference_data",
    "focus_charges",
    "cur_task_hours",
    "cur_instances",
    "usage_hourly",
    "task_costs",
    "worker_costs",
    "product_compute_costs",
    "product_shared_costs",
    "language_costs",
    "unit_costs_hourly",
    "worker_costs_daily",
    "unit_cost_rates",
    "finance_monthly_cogs",
    "annotations",
    "unit_cost_variance_daily",
    "unit_cost_variance_monthly",
    "worker_trajectories",
    "cost_report",
]
MONTHLY = {"finance_monthly_cogs", "unit_cost_variance_monthly"}


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys == set(STAGES)
    assert defs.resolve_job_def("daily_unit_costs") is not None


def test_daily_job_holds_the_daily_assets_and_the_monthly_job_the_month():
    daily = defs.resolve_job_def("daily_unit_costs").asset_layer.selected_asset_keys
    monthly = defs.resolve_job_def("monthly_cogs").asset_layer.selected_asset_keys
    report = defs.resolve_job_def("report").asset_layer.selected_asset_keys
    assert {k.to_user_string() for k in daily} == set(STAGES) - MONTHLY - {"cost_report"}
    assert {k.to_user_string() for k in monthly} == MONTHLY
    assert {k.to_user_string() for k in report} == {"cost_report"}


def test_every_money_stage_has_a_blocking_conservation_check():
    graph = defs.resolve_asset_graph()
    blocking = {
        key.asset_key.to_user_string()
        for key in graph.asset_check_keys
        if graph.get_check_spec(key).blocking
    }
    money = set(STAGES) - {
        "reference_data",
        "cur_task_hours",
        "cur_instances",
        "usage_hourly",
        "annotations",
        "cost_report",
    }
    assert money <= blocking
