"""Layer 2 golden scenario: one day of the tiny company through the real Dagster assets.

Compute (layer 1), worked once for every case below, us-west-2:
- hour 0: i-asr $1 ∝ audio hours live 6, batch 2, notes 2 → live 0.6, batch 0.2, notes/fast
  0.2; i-llm $3 ∝ tokens → notes/sum 3.0. Task-hours: asr's one task ∝ audio → live 0.6,
  batch 0.2, notes 0.2; llm's task → notes 1.
- hour 1: i-asr $1 ∝ audio live 3, batch 1 → 0.75, 0.25; i-llm $3, no tokens that hour →
  the worker's usage of the day → notes/sum 3.0.
Requests, hour 0, us-west-2 (× intensity weight): live 100×1, batch 10×2, notes 20×1,
assistant 30×2 = 200; hour 1: none. A hybrid line (notes) reaches its models ∝ their compute
cost: hour 0 fast 0.2 : sum 3.0, i.e. 1/16 and 15/16.
"""

import polars as pl
import pytest

from cost_assets_tests.harness import check_results, materialize_days, table
from cost_assets_tests.scenarios.shared.company import (
    LLAMA,
    charge,
    compute_charges,
    hour,
    llm,
    speech,
    task_rows,
    write_company,
)

DAY = "2026-11-10"
H0, H1 = hour(DAY, 0), hour(DAY, 1)
SP = f"arn:aws:savingsplans::{'111122223333'}:savingsplan/sp-1"
BEDROCK = "arn:aws:bedrock:us-west-2::foundation-model/" + LLAMA
PROFILE = "arn:aws:bedrock:us-west-2:111122223333:inference-profile/us." + LLAMA

SHARED = [
    charge(H0, "AmazonS3", 10.0, tags={"product": "batch"}),  # tag
    charge(H0, "AWSELB", 12.0),  # requests
    charge(H1, "AWSELB", 4.0),  # requests in an hour with no request: widens
    charge(H0, "AmazonECR", 6.0),  # containers
    charge(H0, "AWSCloudTrail", 9.0),  # fixed, regional
    charge(H0, "AWSSupportBusiness", 6.0, region=None),  # fixed, global
    charge(H1, "AmazonS3", 8.0),  # fallback (S3 is not listed)
    charge(H0, "ComputeSavingsPlans", 3.2, region=None, resource=SP, status="Unused"),
    charge(H0, "AmazonBedrock", 1.5, resource=BEDROCK),  # LLM tokens, not listed
    charge(H1, "AmazonBedrock", 0.5, resource=PROFILE),  # no tokens that hour: widens
    charge(H0, "AmazonEC2", 5.0, region=None, category="Tax"),  # excluded
    charge(H1, "AmazonEC2", 2.0, sku="USW2-BoxUsage:m5.large", resource="i-ci"),  # non-fleet
    charge(H1, "AmazonDynamoDB", 2.0, region="us-east-1"),  # fallback, widens to the day
    charge(H0, "AmazonS3", 1.8, region="eu-west-1"),  # no usage in the region at all
]
SPEECH = [
    speech(DAY, 0, "live", "fast", "en", 6, 100),
    speech(DAY, 0, "batch", "large", "en", 2, 10),
    speech(DAY, 0, "notes", "fast", "en", 2, 0),
    speech(DAY, 1, "live", "fast", "es", 3, 0),
    speech(DAY, 1, "batch", "large", "en", 1, 0),
    {**speech(DAY, 0, "live", "fast", "en", 4, 50), "region": "us-east-1"},
]
LLM = [
    llm(DAY, 0, "notes", "llm", "sum", 1000, 20),
    llm(DAY, 0, "assistant", "router", LLAMA, 3000, 30),
]


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    sources = write_company(
        tmp_path_factory.mktemp("sources"),
        focus=compute_charges([H0, H1]) + SHARED,
        cur=task_rows([H0, H1]),
        speech_usage={DAY: SPEECH},
        llm_usage={DAY: LLM},
    )
    warehouse = tmp_path_factory.mktemp("warehouse")
    (result,) = materialize_days(sources, warehouse, [DAY])
    return warehouse, result


def placed(warehouse, service: str, start, region: str | None = "us-west-2") -> pl.DataFrame:
    """The shared rows of one FOCUS charge, found by service, hour and (source) region."""
    shared = table(warehouse, "product_shared_costs", DAY)
    rows = shared.filter((pl.col("service_code") == service) & (pl.col("hour") == start))
    return rows if region is None else rows.filter(pl.col("region") == region)


def by(frame: pl.DataFrame, *keys: str) -> dict:
    totals = frame.group_by(keys).agg(pl.col("cost_usd").sum())
    return {
        (row[:-1] if len(keys) > 1 else row[0]): pytest.approx(row[-1], abs=1e-9)
        for row in totals.iter_rows()
    }


def test_every_check_passes(day):
    _, result = day
    assert result.success
    failed = [name for name, e in check_results(result).items() if not e.passed]
    assert failed == []


def test_tagged_row_goes_whole_to_its_product_line(day):
    rows = placed(day[0], "AmazonS3", H0).filter(pl.col("tier") == "tag")
    assert by(rows, "product", "model", "step") == {("batch", "large", "tag"): 10.0}


def test_request_driven_row_follows_requests_times_intensity_weight(day):
    rows = placed(day[0], "AWSELB", H0)
    assert set(rows["tier"]) == {"requests"} and set(rows["step"]) == {"hour_region"}
    assert by(rows, "product", "model") == {
        ("live", "fast"): 6.0,
        ("batch", "large"): 1.2,
        ("notes", "fast"): 1.2 / 16,
        ("notes", "sum"): 1.2 * 15 / 16,
        ("assistant", LLAMA): 3.6,
    }


def test_request_driven_row_in_an_hour_without_requests_widens_and_stays_in_its_tier(day):
    rows = placed(day[0], "AWSELB", H1)
    assert set(rows["tier"]) == {"requests"}
    assert set(rows["step"]) == {"day_region"}
    # The day's requests in us-west-2 are hour 0's: 200 weighted requests.
    assert by(rows, "product") == {"live": 2.0, "batch": 0.4, "notes": 0.4, "assistant": 1.2}
    # Within notes, hour 1's compute is all the LLM's; assistant has no tokens in hour 1.
    assert by(rows, "product", "model", "model_step") == {
        ("live", "fast", "hour_region"): 2.0,
        ("batch", "large", "hour_region"): 0.4,
        ("notes", "sum", "hour_region"): 0.4,
        ("assistant", LLAMA, "day_region"): 1.2,
    }


def test_containers_row_follows_task_hours(day):
    rows = placed(day[0], "AmazonECR", H0)
    assert set(rows["tier"]) == {"containers"}
    # Task-hours live 0.6, batch 0.2, notes 0.2 + 1 = 2.
    assert by(rows, "product") == {"live": 1.8, "batch": 0.6, "notes": 3.6}


def test_fixed_row_is_even_over_active_fixed_split_lines(day):
    rows = placed(day[0], "AWSCloudTrail", H0)
    assert set(rows["tier"]) == {"fixed"}
    # assistant is active but does not take even splits.
    assert by(rows, "product") == {"live": 3.0, "batch": 3.0, "notes": 3.0}


def test_global_fixed_row_counts_each_line_once_across_regions(day):
    rows = placed(day[0], "AWSSupportBusiness", H0, region=None)
    assert set(rows["step"]) == {"hour_all_regions"}
    # live is active in two regions: one share, split evenly between them.
    assert by(rows, "product", "region") == {
        ("live", "us-west-2"): 1.0,
        ("live", "us-east-1"): 1.0,
        ("batch", "us-west-2"): 2.0,
        ("notes", "us-west-2"): 2.0,
    }


def test_fallback_row_follows_audio_hours(day):
    rows = placed(day[0], "AmazonS3", H1)
    assert set(rows["tier"]) == {"fallback"} and set(rows["step"]) == {"hour_region"}
    assert by(rows, "product", "model") == {("live", "fast"): 6.0, ("batch", "large"): 2.0}


def test_non_fleet_instance_is_a_shared_service(day):
    rows = placed(day[0], "AmazonEC2", H1)
    assert set(rows["tier"]) == {"fallback"}
    assert by(rows, "product") == {"live": 1.5, "batch": 0.5}


def test_fallback_row_without_driver_in_its_hour_widens_to_the_day(day):
    rows = placed(day[0], "AmazonDynamoDB", H1, region="us-east-1")
    assert by(rows, "product", "model", "step") == {("live", "fast", "day_region"): 2.0}


def test_row_in_a_region_without_usage_widens_to_all_regions(day):
    rows = placed(day[0], "AmazonS3", H0, region="eu-west-1")
    assert set(rows["step"]) == {"day_all_regions"}
    # Audio hours of the day: live 13, batch 3, notes 2.
    assert by(rows, "product") == {"live": 1.3, "batch": 0.3, "notes": 0.2}


def test_unused_commitment_is_its_own_class_spread_by_compute_cost(day):
    rows = placed(day[0], "ComputeSavingsPlans", H0, region=None)
    assert set(rows["cost_class"]) == {"unused_commitment"}
    # Compute in hour 0: live 0.6, batch 0.2, notes 3.2 (fast 0.2, sum 3.0).
    assert by(rows, "product", "model", "region") == {
        ("live", "fast", "us-west-2"): 0.48,
        ("batch", "large", "us-west-2"): 0.16,
        ("notes", "fast", "us-west-2"): 0.16,
        ("notes", "sum", "us-west-2"): 2.4,
    }


def test_bedrock_goes_to_the_llm_product_of_its_model(day):
    hour0 = placed(day[0], "AmazonBedrock", H0)
    hour1 = placed(day[0], "AmazonBedrock", H1)
    assert set(hour0["tier"]) == {"llm_tokens"}
    assert by(hour0, "product", "model", "step") == {("assistant", LLAMA, "hour_region"): 1.5}
    # An inference profile names the same model; no tokens in hour 1: the day's tokens.
    assert by(hour1, "product", "model", "step") == {("assistant", LLAMA, "day_region"): 0.5}


def test_tax_is_excluded_and_reported(day):
    warehouse, result = day
    shared = table(warehouse, "product_shared_costs", DAY)
    assert shared["cost_usd"].sum() == pytest.approx(66.0, abs=1e-9)
    meta = result.asset_materializations_for_node("product_shared_costs")[0].metadata
    assert meta["excluded_dollars_by_category"].value == {"Tax": 5.0}
    assert meta["non_fleet_instance_dollars"].value == pytest.approx(2.0)
    assert meta["dollars_by_tier_and_scope"].value["requests"] == {
        "day_region": 4.0,
        "hour_region": 12.0,
    }
    top = meta["top_shared_services"].value
    assert top[0] == {"service_code": "AWSELB", "tier": "requests", "usd": 16.0}
    assert len(top) == 10


def test_the_day_reconciles_to_the_bill_without_tax(day):
    warehouse, _ = day
    facts = table(warehouse, "unit_costs_hourly", DAY)
    # Compute 2 hours × $4 + shared $66; the $5 of tax excluded.
    assert facts["cost_usd"].sum() == pytest.approx(74.0, abs=1e-9)
    assert set(facts["language"]) <= {"en", "es", "ja", "und"}
