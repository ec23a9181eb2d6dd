"""The sample company, end to end: one simulated fleet, and every source derived from it.

``build_sample`` returns the frames; ``generate_sample`` also writes them as a sources root
(SPEC 2.1): both billing periods of the FOCUS and CUR exports with their manifests (the
first FOCUS period with a stale zero-row chunk, as overwrite deliveries leave), the usage
telemetry per day, and the reference files.
"""

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from cost_assets.sample import billing
from cost_assets.sample.exports import (
    ACCOUNT_ID,
    write_cur_export,
    write_focus_export,
    write_usage,
)
from cost_assets.sample.fleet import instance_hours, simulate, task_hours
from cost_assets.sample.reference import write_reference

SAMPLE_START = date(2026, 10, 25)
_FOCUS_ORDER = [
    "ChargePeriodStart",
    "x_ServiceCode",
    "RegionId",
    "ResourceId",
    "SkuMeter",
    "ChargeCategory",
    "CommitmentDiscountStatus",
    "EffectiveCost",
]


@dataclass
class Sample:
    """The sample company's sources as frames, plus the fleet frames they came from.

    ``focus`` and ``cur`` are logical rows (the writers fill the other export columns);
    ``instance_hours`` and ``task_hours`` are the simulated fleet; ``charges`` the priced
    instance-hour parts (one per FOCUS instance row); ``splits`` each task-hour's SCAD split;
    ``commitment`` the Savings Plan's hourly used and unused commitment.
    """

    start: date
    days: int
    scale: int
    periods: list[str]
    focus: pl.DataFrame
    cur: pl.DataFrame
    speech: pl.DataFrame
    llm: pl.DataFrame
    instance_hours: pl.DataFrame
    task_hours: pl.DataFrame
    charges: pl.DataFrame
    splits: pl.DataFrame
    commitment: pl.DataFrame


def build_sample(
    start: date = SAMPLE_START, days: int = 14, scale: int = 1, seed: int = 7
) -> Sample:
    """Simulate the fleet and derive the bill, the split rows and the telemetry from it."""
    fleet = simulate(start, days, scale, seed)
    instances = instance_hours(fleet)
    tasks = task_hours(fleet)
    hours = pl.DataFrame({"hour_index": range(fleet.hours)}).with_columns(
        (
            pl.lit(fleet.start).dt.cast_time_unit("us") + pl.duration(hours=pl.col("hour_index"))
        ).alias("hour")
    )

    charges = billing.instance_charges(instances, scale)
    commitment = billing.commitment_hours(charges, hours, scale)
    speech, llm = billing.usage(tasks)

    focus = pl.concat(
        [
            billing.focus_instance_rows(charges),
            billing.focus_instance_side_rows(instances),
            billing.focus_commitment_rows(commitment),
            billing.focus_shared_rows(hours, scale),
            billing.focus_bedrock_rows(llm),
            billing.focus_periodic_rows(start, days, scale),
        ],
        how="diagonal_relaxed",
    ).with_columns(
        pl.coalesce("BillingPeriodStart", pl.col("ChargePeriodStart").dt.truncate("1mo")),
        pl.coalesce("BilledCost", "EffectiveCost"),
        pl.col("ChargeCategory").fill_null("Usage"),
    )
    focus = (
        pl.concat([focus, billing.focus_tax_rows(focus)], how="diagonal_relaxed")
        .sort(_FOCUS_ORDER, nulls_last=True, maintain_order=True)
        .with_columns(pl.col("BillingPeriodStart").dt.strftime("%Y-%m").alias("billing_period"))
    )

    splits = billing.task_splits(tasks, instances, charges)
    cur = (
        pl.concat(
            [
                billing.cur_instance_rows(charges),
                billing.cur_commitment_rows(commitment),
                billing.cur_split_rows(splits),
            ],
            how="diagonal_relaxed",
        )
        .sort(
            "line_item_usage_start_date",
            "line_item_product_code",
            "line_item_resource_id",
            "line_item_usage_type",
            "line_item_line_item_type",
            maintain_order=True,
        )
        .with_columns(
            pl.col("line_item_usage_start_date").dt.strftime("%Y-%m").alias("billing_period")
        )
    )
    periods = sorted(set(focus["billing_period"]) | set(cur["billing_period"]))
    return Sample(
        start,
        days,
        scale,
        periods,
        focus,
        cur,
        speech,
        llm,
        instances,
        tasks,
        charges,
        splits,
        commitment,
    )


# Notes for the charts and the variance tables: the sample's launch and migration.
SAMPLE_ANNOTATIONS = pl.DataFrame(
    {
        "date": ["2026-11-01", "2026-11-02"],
        "worker": [None, "asr-batch"],
        "model": ["asr-fast-v4", None],
        "note": ["asr-fast-v4 GA: traffic moves from v3 to v4", "Japanese launched on asr-batch"],
    },
    schema={"date": pl.String, "worker": pl.String, "model": pl.String, "note": pl.String},
)


def _period_end(period: str) -> date:
    first = date.fromisoformat(f"{period}-01")
    return (first + timedelta(days=32)).replace(day=1)


def write_sample(sample: Sample, out_dir: Path | str) -> list[Path]:
    """Write a built sample as a sources root; returns every file written."""
    root = Path(out_dir)
    for folder in ("focus", "cur", "usage", "reference"):
        shutil.rmtree(root / folder, ignore_errors=True)
    written: list[Path] = []
    last_day = sample.start + timedelta(days=sample.days - 1)
    for period in sample.periods:
        focus = sample.focus.filter(pl.col("billing_period") == period)
        cur = sample.cur.filter(pl.col("billing_period") == period)
        # AWS issues a period's invoice early in the next month: until then InvoiceId is empty.
        if _period_end(period) < last_day:
            invoice = f"{ACCOUNT_ID}-{period.replace('-', '')}-0001"
            focus = focus.with_columns(pl.lit(invoice).alias("InvoiceId"))
            cur = cur.with_columns(pl.lit(invoice).alias("bill_invoice_id"))
        stale = 1 if period == sample.periods[0] else 0
        written += write_focus_export(root, period, focus, stale_chunks=stale)
        written += write_cur_export(root, period, cur)
    for offset in range(sample.days):
        day = sample.start + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        in_day = (pl.col("hour") >= start) & (pl.col("hour") < start + timedelta(days=1))
        written.append(write_usage(root, "speech", day, sample.speech.filter(in_day)))
        written.append(write_usage(root, "llm", day, sample.llm.filter(in_day)))
    written += write_reference(root)
    annotations = root / "reference" / "annotations.csv"
    SAMPLE_ANNOTATIONS.write_csv(annotations)
    written.append(annotations)
    return written


def generate_sample(
    out_dir: Path | str,
    start: date = SAMPLE_START,
    days: int = 14,
    scale: int = 1,
    seed: int = 7,
) -> Sample:
    """Build the sample company and write it as a sources root under ``out_dir``.

    Only ``focus/``, ``cur/``, ``usage/`` and ``reference/`` under ``out_dir`` are replaced.
    """
    sample = build_sample(start, days, scale, seed)
    write_sample(sample, out_dir)
    return sample
