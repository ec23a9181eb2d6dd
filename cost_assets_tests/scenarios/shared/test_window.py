"""Layer 3, the ledger and the consumer tables: three days of the tiny company, two stored.

Days (hour 0 only, us-west-2): 2026-10-25 is the first partition (its language window reaches
back before any history), 2026-10-26 has usage in the sources but is never materialized,
2026-10-27 is when Japanese launches. Every day a $6 S3 charge tagged ``live`` reaches
live/fast without a language. live/fast is GA on 2026-10-27: R&D before, COGS from then on.

Compute per day: i-asr $1 ∝ audio hours (live 3, notes 1 on the 25th; live en 3 + ja 2, notes
1 on the 27th); i-llm $3 → notes/sum, an LLM model: language ``und``.
"""

from datetime import date

import duckdb
import polars as pl
import pytest

from cost_assets.definitions import defs
from cost_assets.sql_catalog import VIEW_TABLES, views
from cost_assets_tests.harness import check_results, materialize_days, storage, table
from cost_assets_tests.scenarios.shared.company import (
    charge,
    compute_charges,
    hour,
    llm,
    speech,
    task_rows,
    write_company,
)

FIRST, SKIPPED, LAUNCH = "2026-10-25", "2026-10-26", "2026-10-27"
MONTH = "2026-10-01"


def _usage(day: str, live_en: float, live_ja: float = 0.0) -> list[dict]:
    rows = [
        speech(day, 0, "live", "fast", "en", live_en, 0),
        speech(day, 0, "notes", "fast", "en", 1, 0),
    ]
    if live_ja:
        rows.append(speech(day, 0, "live", "fast", "ja", live_ja, 0))
    return rows


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    hours = [hour(d, 0) for d in (FIRST, SKIPPED, LAUNCH)]
    sources = write_company(
        tmp_path_factory.mktemp("sources"),
        focus=compute_charges(hours)
        + [charge(h, "AmazonS3", 6.0, tags={"product": "live"}) for h in hours],
        cur=task_rows(hours),
        speech_usage={
            FIRST: _usage(FIRST, 3),
            SKIPPED: _usage(SKIPPED, 100),
            LAUNCH: _usage(LAUNCH, 3, live_ja=2),
        },
        llm_usage={
            d: [llm(d, 0, "notes", "llm", "sum", 5000, 0)] for d in (FIRST, SKIPPED, LAUNCH)
        },
        ga={("live", "fast"): LAUNCH},
    )
    warehouse = tmp_path_factory.mktemp("warehouse")
    days = materialize_days(sources, warehouse, [FIRST, LAUNCH])
    month = defs.resolve_job_def("monthly_cogs").execute_in_process(
        partition_key=MONTH, resources={"storage": storage(sources, warehouse)}
    )
    return warehouse, days, month


def _sum(frame: pl.DataFrame, *keys: str) -> dict:
    totals = frame.group_by(keys).agg(pl.col("cost_usd").sum())
    return {row[:-1]: pytest.approx(row[-1], abs=1e-9) for row in totals.iter_rows()}


def test_every_run_and_check_passes(company):
    _, days, month = company
    for result in [*days, month]:
        assert result.success
        assert [n for n, e in check_results(result).items() if not e.passed] == []


def test_first_day_splits_by_its_own_history_only(company):
    warehouse, days, _ = company
    facts = table(warehouse, "unit_costs_hourly", FIRST)
    shared = facts.filter(pl.col("cost_class") == "shared_service")
    assert _sum(shared, "product", "model", "language") == {("live", "fast", "en"): 6.0}
    meta = days[0].asset_materializations_for_node("language_costs")[0].metadata
    assert meta["window_days_found"].value == 1


def test_language_launched_inside_the_window_takes_its_share(company):
    warehouse, days, _ = company
    facts = table(warehouse, "unit_costs_hourly", LAUNCH)
    shared = facts.filter(pl.col("cost_class") == "shared_service")
    # Window of fast in us-west-2: en 4 (25th) + 4 (27th), ja 2; the 26th is not stored.
    assert _sum(shared, "product", "model", "language") == {
        ("live", "fast", "en"): 6.0 * 8 / 10,
        ("live", "fast", "ja"): 6.0 * 2 / 10,
    }
    meta = days[1].asset_materializations_for_node("language_costs")[0].metadata
    assert meta["window_days_found"].value == 2
    assert SKIPPED in meta["window_days_missing"].value


def test_llm_cost_has_no_spoken_language(company):
    warehouse, _, _ = company
    facts = table(warehouse, "unit_costs_hourly", LAUNCH)
    assert set(facts.filter(pl.col("model") == "sum")["language"]) == {"und"}


def test_model_is_r_and_d_before_ga_and_cogs_from_it(company):
    warehouse, _, _ = company
    before = table(warehouse, "unit_costs_hourly", FIRST)
    after = table(warehouse, "unit_costs_hourly", LAUNCH)
    assert _sum(before, "product", "model", "ledger") == {
        ("live", "fast", "r_and_d"): 0.75 + 6.0,
        ("notes", "fast", "cogs"): 0.25,
        ("notes", "sum", "cogs"): 3.0,
    }
    assert _sum(after, "product", "model", "ledger") == {
        ("live", "fast", "cogs"): 5 / 6 + 6.0,
        ("notes", "fast", "cogs"): 1 / 6,
        ("notes", "sum", "cogs"): 3.0,
    }


def test_month_equals_its_days_and_keeps_hybrid_units_apart(company):
    warehouse, _, month = company
    monthly = table(warehouse, "finance_monthly_cogs", MONTH)
    got = {
        (r["product"], r["model"], r["ledger"]): (r["cost_usd"], r["unit"], r["units"])
        for r in monthly.iter_rows(named=True)
    }
    assert got == {
        ("live", "fast", "r_and_d"): (pytest.approx(6.75), "audio_hours", 3.0),
        ("live", "fast", "cogs"): (pytest.approx(6 + 5 / 6), "audio_hours", 5.0),
        ("notes", "fast", "cogs"): (pytest.approx(0.25 + 1 / 6), "audio_hours", 2.0),
        ("notes", "sum", "cogs"): (pytest.approx(6.0), "tokens", 10000.0),
    }
    live_rnd = monthly.filter((pl.col("model") == "fast") & (pl.col("ledger") == "r_and_d"))
    assert live_rnd["shared_service_usd"].item() == pytest.approx(6.0)
    assert live_rnd["in_use_usd"].item() + live_rnd["idle_reserved_usd"].item() == pytest.approx(
        0.75
    )
    assert live_rnd["usd_per_unit"].item() == pytest.approx(2.25)
    assert set(monthly["month"]) == {date(2026, 10, 1)}

    days = pl.concat([table(warehouse, "unit_costs_hourly", d) for d in (FIRST, LAUNCH)])
    assert monthly["cost_usd"].sum() == pytest.approx(days["cost_usd"].sum(), abs=1e-9)
    check = check_results(month)["finance_monthly_cogs/equals_sum_of_days"]
    assert check.passed and check.metadata["days_found"].value == 2
    meta = month.asset_materializations_for_node("finance_monthly_cogs")[0].metadata
    assert SKIPPED in meta["days_missing"].value


def test_rates_are_sums_over_sums_by_model_region_and_ledger(company):
    warehouse, _, _ = company
    rates = table(warehouse, "unit_cost_rates", LAUNCH)
    got = {
        (r["model"], r["ledger"]): (r["usd_per_audio_hour"], r["usd_per_million_tokens"])
        for r in rates.iter_rows(named=True)
    }
    # fast, COGS: live 6 + 5/6 and notes 1/4 + 1/6 over 5 + 2 audio hours. The mean of the two
    # days' ratios (0.25 and 7/6) would be 0.708.
    assert got == {
        ("fast", "r_and_d"): (pytest.approx(6.75 / 3), None),
        ("fast", "cogs"): (pytest.approx(7.25 / 7), None),
        ("sum", "cogs"): (None, pytest.approx(6.0 / 10000 * 1e6)),
    }
    assert set(rates["region"]) == {"us-west-2"}
    assert rates["window_start"].unique().to_list() == [date(2026, 9, 28)]


def test_worker_costs_daily_for_engineering(company):
    warehouse, _, _ = company
    workers = table(warehouse, "worker_costs_daily", LAUNCH)
    got = {r["worker"]: r for r in workers.iter_rows(named=True)}
    assert got["asr"]["cost_usd"] == pytest.approx(1.0)
    assert got["asr"]["in_use_usd"] == pytest.approx(0.8)
    assert got["asr"]["idle_reserved_usd"] == pytest.approx(0.2)
    assert got["asr"]["audio_hours"] == pytest.approx(6.0)
    assert got["asr"]["task_hours"] == 1.0
    assert got["llm"]["unit"] == "tokens" and got["llm"]["units"] == 5000.0
    assert got["llm"]["usd_per_unit"] == pytest.approx(3.0 / 5000)


def test_duckdb_views_answer_sql(company):
    warehouse, _, _ = company
    catalog = str(warehouse / "cost_assets.duckdb")
    assert views(catalog) == sorted(VIEW_TABLES)
    with duckdb.connect(catalog, read_only=True) as connection:
        month_total = connection.execute(
            'SELECT sum("cost_usd") FROM "finance_monthly_cogs" WHERE "month" = ?',
            [date(2026, 10, 1)],
        ).fetchone()[0]
        facts_total = connection.execute(
            'SELECT sum("cost_usd") FROM "unit_costs_hourly" WHERE "product" = ?', ["live"]
        ).fetchone()[0]
    assert month_total == pytest.approx(20.0)
    assert facts_total == pytest.approx(6.75 + 6 + 5 / 6)
