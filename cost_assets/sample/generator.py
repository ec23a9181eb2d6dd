"""The sample company, end to end: one simulated fleet, and every source derived from it.

``build_sample`` returns the frames; ``generate_sample`` also writes them as a sources root
(SPEC 2.1): both billing periods of the FOCUS and CUR exports with their manifests (the
first FOCUS period with a stale zero-row chunk, as overwrite deliveries leave), the usage
telemetry per day, and the reference files.

``generate_sample_by_day`` writes the same rows without holding them: the fleet is simulated
once, then each UTC day is billed in pieces of a few hours and written as its own chunk file
of each period's delivery (rows in time order, row groups of at most ``ROW_GROUP_ROWS``).
Rows of a whole period (monthly support, the late correction, tax) follow in a last chunk.
Only the chunk layout differs from ``generate_sample``; it is what large scales need.
"""

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from cost_assets.sample import billing
from cost_assets.sample.exports import (
    ACCOUNT_ID,
    cur_delivery,
    focus_delivery,
    write_cur_export,
    write_focus_export,
    write_usage,
)
from cost_assets.sample.fleet import Fleet, instance_hours, simulate, task_hours
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
class _Window:
    """The bill of some consecutive hours of the fleet (FOCUS without its Tax rows).

    ``focus`` and ``cur`` are logical rows (the writers fill the other export columns);
    ``instance_hours`` and ``task_hours`` are the simulated fleet; ``charges`` the priced
    instance-hour parts (one per FOCUS instance row); ``splits`` each task-hour's SCAD split;
    ``commitment`` the Savings Plan's hourly used and unused commitment.
    """

    focus: pl.DataFrame
    cur: pl.DataFrame
    speech: pl.DataFrame
    llm: pl.DataFrame
    instance_hours: pl.DataFrame
    task_hours: pl.DataFrame
    charges: pl.DataFrame
    splits: pl.DataFrame
    commitment: pl.DataFrame


@dataclass
class Sample(_Window):
    """The sample company's sources as frames (its whole bill, Tax rows included), plus the
    fleet frames they came from, and what was simulated: from ``start``, ``days`` days at
    ``scale``, billed in ``periods``."""

    start: date
    days: int
    scale: int
    periods: list[str]


def _bill(
    fleet: Fleet,
    scale: int,
    first_hour: int,
    end_hour: int,
    periodic: pl.DataFrame,
    artefacts: bool,
) -> _Window:
    """Derive the bill, the split rows and the telemetry of the hours ``[first_hour,
    end_hour)``; every hourly row depends only on its own hour, so any split of the hours
    into windows gives the same rows. ``periodic`` are the longer-than-hourly FOCUS rows to
    include; ``artefacts`` adds CUR's parentless split rows (to the very first hour only).
    """
    instances = instance_hours(fleet, first_hour, end_hour)
    tasks = task_hours(fleet, first_hour, end_hour)
    hours = pl.DataFrame({"hour_index": range(first_hour, end_hour)}).with_columns(
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
            periodic,
        ],
        how="diagonal_relaxed",
    ).with_columns(
        pl.coalesce("BillingPeriodStart", pl.col("ChargePeriodStart").dt.truncate("1mo")),
        pl.coalesce("BilledCost", "EffectiveCost"),
        pl.col("ChargeCategory").fill_null("Usage"),
    )

    splits = billing.task_splits(tasks, instances, charges)
    cur = pl.concat(
        [
            billing.cur_instance_rows(charges),
            billing.cur_commitment_rows(commitment),
            billing.cur_split_rows(splits, add_artefacts=artefacts),
        ],
        how="diagonal_relaxed",
    ).sort(
        "line_item_usage_start_date",
        "line_item_product_code",
        "line_item_resource_id",
        "line_item_usage_type",
        "line_item_line_item_type",
        maintain_order=True,
    )
    return _Window(focus, cur, speech, llm, instances, tasks, charges, splits, commitment)


def _sort_focus(focus: pl.DataFrame) -> pl.DataFrame:
    order = [c for c in _FOCUS_ORDER if c in focus.columns]
    return focus.sort(order, nulls_last=True, maintain_order=True)


def build_sample(
    start: date = SAMPLE_START, days: int = 14, scale: int = 1, seed: int = 7
) -> Sample:
    """Simulate the fleet and derive the bill, the split rows and the telemetry from it."""
    fleet = simulate(start, days, scale, seed)
    periodic = billing.focus_periodic_rows(start, days, scale)
    bill = _bill(fleet, scale, 0, fleet.hours, periodic, artefacts=True)
    focus = _sort_focus(
        pl.concat([bill.focus, billing.focus_tax_rows(bill.focus)], how="diagonal_relaxed")
    ).with_columns(pl.col("BillingPeriodStart").dt.strftime("%Y-%m").alias("billing_period"))
    cur = bill.cur.with_columns(
        pl.col("line_item_usage_start_date").dt.strftime("%Y-%m").alias("billing_period")
    )
    periods = sorted(set(focus["billing_period"]) | set(cur["billing_period"]))
    window = {**vars(bill), "focus": focus, "cur": cur}
    return Sample(**window, start=start, days=days, scale=scale, periods=periods)


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


def _invoice(period: str, last_day: date) -> str | None:
    """AWS issues a period's invoice early in the next month: until then InvoiceId is empty."""
    if _period_end(period) < last_day:
        return f"{ACCOUNT_ID}-{period.replace('-', '')}-0001"
    return None


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
        invoice = _invoice(period, last_day)
        if invoice is not None:
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


# The streamed build: a piece of a day aims at about this many CUR rows; the CUR rows of an
# hour are about 140 per scale unit (3,300 a day).
PIECE_CUR_ROWS = 1_000_000
_CUR_ROWS_PER_SCALE_HOUR = 140
ROW_GROUP_ROWS = 500_000


def piece_hours(scale: int) -> int:
    """Hours billed at once by ``generate_sample_by_day``: a divisor of 24 that keeps a
    piece near ``PIECE_CUR_ROWS`` CUR rows (24 up to scale 300, 2 at scale 3000)."""
    fit = PIECE_CUR_ROWS // (_CUR_ROWS_PER_SCALE_HOUR * scale)
    return max(h for h in (1, 2, 3, 4, 6, 8, 12, 24) if h <= max(fit, 1))


@dataclass
class SampleSummary:
    """What ``generate_sample_by_day`` wrote: rows per UTC day and in total.

    ``per_day`` has one row per day: ``date``, ``focus_rows`` and ``cur_rows`` (the day's
    chunk files), ``speech_rows``, ``llm_rows``; ``focus_rows`` and ``cur_rows`` are the
    totals, with the FOCUS rows of whole periods (support, correction, tax).
    """

    start: date
    days: int
    scale: int
    periods: list[str]
    per_day: pl.DataFrame
    focus_rows: int
    cur_rows: int
    speech_rows: int
    llm_rows: int


def _with_invoice(frame: pl.DataFrame, column: str, invoice: str | None) -> pl.DataFrame:
    return frame if invoice is None else frame.with_columns(pl.lit(invoice).alias(column))


def generate_sample_by_day(
    out_dir: Path | str,
    start: date = SAMPLE_START,
    days: int = 14,
    scale: int = 1,
    seed: int = 7,
    hours_per_piece: int | None = None,
) -> SampleSummary:
    """Write the sample company as ``generate_sample`` does, one UTC day at a time.

    The FOCUS and CUR rows, the usage files and the reference files are those of
    ``generate_sample`` with the same arguments; each period's delivery is split into one
    chunk per day (billed ``hours_per_piece`` hours at a time, by default ``piece_hours``)
    and a last FOCUS chunk of the period's own rows, so memory does not grow with the days.
    """
    step = hours_per_piece or piece_hours(scale)
    if step < 1 or 24 % step:
        raise ValueError(f"hours_per_piece must divide 24, not {step}")
    root = Path(out_dir)
    for folder in ("focus", "cur", "usage", "reference"):
        shutil.rmtree(root / folder, ignore_errors=True)
    fleet = simulate(start, days, scale, seed)
    dates = [start + timedelta(days=offset) for offset in range(days)]
    periods = sorted({day.strftime("%Y-%m") for day in dates})
    invoices = {period: _invoice(period, dates[-1]) for period in periods}

    # Rows longer than an hour: a day's own (CloudTrail, credit) go with that day; the
    # monthly ones and the correction billed in a later period close the period's delivery.
    periodic = billing.focus_periodic_rows(start, days, scale).with_columns(
        pl.coalesce("BillingPeriodStart", pl.col("ChargePeriodStart").dt.truncate("1mo")),
        pl.col("EffectiveCost").alias("BilledCost"),
        pl.col("ChargeCategory").fill_null("Usage"),
    )
    of_a_day = (pl.col("ChargePeriodEnd") - pl.col("ChargePeriodStart") <= timedelta(days=1)) & (
        pl.col("BillingPeriodStart") == pl.col("ChargePeriodStart").dt.truncate("1mo")
    )
    daily = periodic.filter(of_a_day)
    closing = periodic.filter(~of_a_day)
    taxable = [
        billing.taxable_billed(closing)
        .group_by("BillingPeriodStart", "x_ServiceCode")
        .agg("BilledCost")
    ]

    focus_out = {p: focus_delivery(root, p, row_group_rows=ROW_GROUP_ROWS) for p in periods}
    cur_out = {p: cur_delivery(root, p, row_group_rows=ROW_GROUP_ROWS) for p in periods}
    counts = []
    for offset, day in enumerate(dates):
        period = day.strftime("%Y-%m")
        focus_before, cur_before = focus_out[period].rows, cur_out[period].rows
        speech, llm = [], []
        with focus_out[period].chunk() as write_focus, cur_out[period].chunk() as write_cur:
            for first_hour in range(offset * 24, (offset + 1) * 24, step):
                piece_start = fleet.start + timedelta(hours=first_hour)
                in_piece = pl.col("ChargePeriodStart").is_between(
                    piece_start, piece_start + timedelta(hours=step), closed="left"
                )
                bill = _bill(
                    fleet,
                    scale,
                    first_hour,
                    first_hour + step,
                    daily.filter(in_piece),
                    artefacts=first_hour == 0,
                )
                focus = _sort_focus(bill.focus)
                # Tax needs the whole period: keep only each taxable row's billed cost.
                taxable.append(
                    billing.taxable_billed(focus)
                    .group_by("BillingPeriodStart", "x_ServiceCode")
                    .agg("BilledCost")
                )
                write_focus(_with_invoice(focus, "InvoiceId", invoices[period]))
                write_cur(_with_invoice(bill.cur, "bill_invoice_id", invoices[period]))
                speech.append(bill.speech)
                llm.append(bill.llm)
                del bill, focus
        day_speech, day_llm = pl.concat(speech).rechunk(), pl.concat(llm).rechunk()
        write_usage(root, "speech", day, day_speech)
        write_usage(root, "llm", day, day_llm)
        counts.append(
            (
                day,
                focus_out[period].rows - focus_before,
                cur_out[period].rows - cur_before,
                day_speech.height,
                day_llm.height,
            )
        )

    tax = billing.tax_rows(pl.concat(taxable).explode("BilledCost"))
    for number, period in enumerate(periods):
        rows = pl.concat([closing, tax], how="diagonal_relaxed").filter(
            pl.col("BillingPeriodStart").dt.strftime("%Y-%m") == period
        )
        rows = _sort_focus(rows)
        focus_out[period].write(_with_invoice(rows, "InvoiceId", invoices[period]))
        focus_out[period].close(stale_chunks=1 if number == 0 else 0)
        cur_out[period].close()
    write_reference(root)
    SAMPLE_ANNOTATIONS.write_csv(root / "reference" / "annotations.csv")

    per_day = pl.DataFrame(
        counts,
        schema={
            "date": pl.Date,
            "focus_rows": pl.Int64,
            "cur_rows": pl.Int64,
            "speech_rows": pl.Int64,
            "llm_rows": pl.Int64,
        },
        orient="row",
    )
    return SampleSummary(
        start,
        days,
        scale,
        periods,
        per_day,
        sum(out.rows for out in focus_out.values()),
        sum(out.rows for out in cur_out.values()),
        int(per_day["speech_rows"].sum()),
        int(per_day["llm_rows"].sum()),
    )
