"""Raw inputs of one day: FOCUS charges, CUR tasks and instances, usage, and reference data."""

from datetime import date

import dagster as dg
import polars as pl

from cost_assets.assets.common import (
    REFERENCE,
    bad_input_fails_the_day,
    by_column,
    dollars,
    log_stage,
    partition_day,
    table_metadata,
)
from cost_assets.methodology import charges as charge_rules
from cost_assets.partitions import daily_partitions
from cost_assets.pipeline import (
    USAGE_COLUMNS,
    combine_usage,
    cur_day_slices,
    cur_day_tables,
    focus_rows_for_day,
    hourly_charges,
)
from cost_assets.resources import CostAssetsStorage
from cost_assets.sources import oddities
from cost_assets.sources.exports import (
    LATER_PERIODS_READ,
    Delivery,
    billing_periods_for,
    read_export_for_day,
)
from cost_assets.sources.fingerprint import digest, fingerprint, row_hashes
from cost_assets.sources.reference import load_reference as load_reference_files
from cost_assets.sources.storage import SourceStore
from cost_assets.sources.usage import read_usage

# The column that names each export row's file while a raw asset counts oddities.
SOURCE_FILE = "__source_file__"

RAW_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL)

# Re-exported for the automation module and the tests.
__all__ = [
    "LATER_PERIODS_READ",
    "USAGE_COLUMNS",
    "billing_periods_for",
    "combine_usage",
    "focus_rows_for_day",
    "read_export_for_day",
]


def file_oddities(
    read: pl.DataFrame | None,
    rows: pl.DataFrame | None,
    deliveries: list[Delivery],
    cost_column: str | None = None,
    hashes: pl.Series | None = None,
) -> dict:
    """Empty files among those ``read`` and rows of the day repeated across the files of a
    delivery, for metadata (both frames carry ``SOURCE_FILE``; ``hashes`` are the day's row
    hashes without it, when already computed)."""
    if read is None or rows is None:
        return {"empty_files_read": [], "duplicate_rows_across_files": 0}
    duplicates = oddities.duplicates_across_files(rows, SOURCE_FILE, cost_column, hashes)
    counted = {
        "empty_files_read": _empty_files(deliveries),
        "duplicate_rows_across_files": duplicates["rows"],
    }
    if duplicates["rows"]:
        counted["duplicate_row_files"] = duplicates["files"]
        if cost_column is not None:
            counted["duplicate_rows_effective_cost"] = duplicates["cost"]
    return counted


class _SliceOddities:
    """What ``file_oddities`` and the fingerprint say of a day read slice by slice: each
    slice's rows are hashed and their duplicates counted as they pass (a duplicate row has
    the same usage start, so both copies are in one slice)."""

    def __init__(self, hashes: list[pl.Series] | None = None) -> None:
        self.hashes: list[pl.Series] = hashes or []
        self.duplicates = {"rows": 0, "files": set()}

    def inspect(self, rows: pl.DataFrame | None) -> None:
        if rows is None or not rows.height:
            return
        hashes = _row_hashes(rows)
        self.hashes.append(hashes)
        found = oddities.duplicates_across_files(rows, SOURCE_FILE, None, hashes)
        self.duplicates["rows"] += found["rows"]
        self.duplicates["files"] |= set(found["files"])

    def counted(self, deliveries: list[Delivery]) -> dict:
        counted = {
            "empty_files_read": _empty_files(deliveries),
            "duplicate_rows_across_files": self.duplicates["rows"],
        }
        if self.duplicates["rows"]:
            counted["duplicate_row_files"] = sorted(self.duplicates["files"])[: oddities.EXAMPLES]
        return counted

    def fingerprint(self) -> str:
        return digest(pl.concat(self.hashes) if self.hashes else pl.Series(dtype=pl.UInt64))


def _empty_files(deliveries: list[Delivery]) -> list[str]:
    """The files of the deliveries read that held no rows (see ``oddities.empty_files``)."""
    keys = [f.key for d in deliveries for f in d.files]
    file_rows = {k: n for d in deliveries for k, n in d.file_rows.items()}
    return oddities.empty_files(file_rows, keys)


def day_fingerprint(store: SourceStore, kind: str, day: date) -> str:
    """The fingerprint of the export rows ``day`` reads now, as its raw asset records it
    (CUR a slice of hours at a time, as the asset reads it)."""
    if kind == "focus":
        return input_fingerprint(focus_rows_for_day(read_export_for_day(store, kind, day)[0], day))
    slices = cur_day_slices(store, day)
    return _SliceOddities(
        [row_hashes(r) for r, _ in slices if r is not None and r.height]
    ).fingerprint()


def _without_source(rows: pl.DataFrame | None) -> pl.DataFrame | None:
    return None if rows is None else rows.lazy().drop(SOURCE_FILE).collect()


def input_fingerprint(rows: pl.DataFrame | None, hashes: pl.Series | None = None) -> str:
    return fingerprint(rows if rows is not None else pl.DataFrame(), hashes)


def _row_hashes(rows: pl.DataFrame | None) -> pl.Series | None:
    """The day's row hashes, shared by the fingerprint and the duplicate count."""
    return None if rows is None else row_hashes(_without_source(rows))


# What the reconciliation formula reads: BillingPeriodStart too, so that the same rows are
# rejected as when the day's charges are read.
DAY_TOTAL_COLUMNS = [
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "EffectiveCost",
]


def focus_day_total(store: SourceStore, day: date, excluded: list[str]) -> dict[str, float]:
    """The FOCUS EffectiveCost apportioned to ``day``, straight from the export files.

    This is computed without the hourly table, so that the final check ties the fact table
    back to the bill independently of every stage in between.
    """
    focus, _ = read_export_for_day(store, "focus", day, columns=DAY_TOTAL_COLUMNS)
    if focus is None:
        return {"apportioned": 0.0, "excluded": 0.0}
    day_cost = focus.select(
        charge_rules.apportioned_cost(day).alias("cost"),
        pl.col("ChargeCategory").is_in(excluded).alias("excluded"),
    )
    return {
        "apportioned": float(day_cost["cost"].sum()),
        "excluded": float(day_cost.filter(pl.col("excluded"))["cost"].sum()),
    }


@dg.asset(
    group_name="raw",
    kinds={"polars", "parquet"},
    description="Reference data kept by Finance and Engineering, validated: worker catalog, "
    "worker configurations, launch calendar, product lines, shared-service tiers, instance "
    "types and settings.",
)
def reference_data(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    with bad_input_fails_the_day():
        reference = load_reference_files(storage.source_store())
    tables = storage.tables()
    for name in (
        "workers",
        "worker_configs",
        "product_calendar",
        "product_lines",
        "shared_services",
        "instance_types",
    ):
        tables.write(REFERENCE, name, getattr(reference, name))
    settings = reference.settings
    tables.write(REFERENCE, "settings", pl.DataFrame([settings.as_dict()]))
    return dg.MaterializeResult(metadata={**reference.describe(), "settings": settings.as_dict()})


def _settings(storage: CostAssetsStorage) -> dict:
    return storage.tables().read(REFERENCE, "settings").row(0, named=True)


@dg.asset(
    partitions_def=daily_partitions,
    group_name="raw",
    kinds={"polars", "parquet"},
    deps=[reference_data],
    retry_policy=RAW_RETRY,
)
def focus_charges(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """FOCUS charges of the day, one row per charge and hour, with the hour's effective cost.

    Multi-hour charges (daily fees, monthly support, tax) are spread evenly over their hours;
    corrections delivered in a later billing period land on the day they name.
    """
    day = partition_day(context)
    settings = _settings(storage)
    with bad_input_fails_the_day():
        read, deliveries = read_export_for_day(
            storage.source_store(), "focus", day, source_column=SOURCE_FILE
        )
    with_source = focus_rows_for_day(read, day)
    hashes = _row_hashes(with_source)
    counted = file_oddities(read, with_source, deliveries, "EffectiveCost", hashes)
    focus = _without_source(with_source)
    if focus is not None:
        counted["outside_billing_period"] = oddities.outside_billing_period(focus)
        reach = oddities.out_of_reach(read, day, LATER_PERIODS_READ)
        counted["out_of_reach"] = reach
        if reach["rows"]:
            context.log.warning(
                f"focus {context.partition_key}: {reach['rows']} rows of this billing period "
                f"(effective cost {reach['effective_cost']:,.6f}) are dated more than "
                f"{LATER_PERIODS_READ} billing periods back: no day partition reads them"
            )
    frame = hourly_charges(focus, day, settings)
    path = storage.tables().write("focus_charges", context.partition_key, frame)
    usd = dollars(frame, "effective_cost")
    log_stage(context, 0 if focus is None else focus.height, frame.height, usd, usd)
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, path),
            "dollars": usd,
            "dollars_by_charge_category": by_column(frame, "charge_category", "effective_cost"),
            "dollars_by_region": by_column(frame, "region", "effective_cost"),
            "deliveries": [d.describe() for d in deliveries],
            "input_fingerprint": input_fingerprint(focus, hashes),
            "export_rows_of_day": 0 if focus is None else focus.height,
            "corrections": 0
            if not frame.height
            else int((frame["charge_class"] == "Correction").sum()),
            **counted,
        }
    )


@dg.multi_asset(
    partitions_def=daily_partitions,
    group_name="raw",
    specs=[
        dg.AssetSpec(
            "cur_task_hours",
            deps=[reference_data],
            kinds={"polars", "parquet"},
            description="ECS tasks of the day from CUR split cost allocation data: one "
            "row per task and hour with its instance, worker, reservation, usage and "
            "SCAD split. Shares only; the dollars come from FOCUS.",
        ),
        dg.AssetSpec(
            "cur_instances",
            deps=[reference_data],
            kinds={"polars", "parquet"},
            description="EC2 instances seen in the day's CUR rows, with capacity "
            "(vCPU, memory, GPUs) and fleet tag.",
        ),
    ],
    retry_policy=RAW_RETRY,
)
def cur_rows(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    day = partition_day(context)
    settings = _settings(storage)
    seen = _SliceOddities()
    with bad_input_fails_the_day():
        tasks, instances, artefacts, export_rows, deliveries = cur_day_tables(
            storage.source_store(), day, settings, SOURCE_FILE, seen.inspect
        )
    counted = seen.counted(deliveries)
    tables = storage.tables()
    delivery_metadata = [d.describe() for d in deliveries]
    over = oddities.over_capacity(tasks, instances)
    catalog = tables.read(REFERENCE, "workers").get_column("worker")
    in_services = tasks.filter(~pl.col("worker").str.ends_with("/standalone"))
    unknown = oddities.unknown_workers(in_services, catalog)
    task_path = tables.write("cur_task_hours", context.partition_key, tasks)
    instance_path = tables.write("cur_instances", context.partition_key, instances)
    context.log.info(
        f"cur {context.partition_key}: {export_rows} export rows, "
        f"{tasks.height} task-hours, {instances.height} instances"
    )
    yield dg.MaterializeResult(
        asset_key="cur_task_hours",
        metadata={
            **table_metadata(tasks, task_path),
            "deliveries": delivery_metadata,
            "input_fingerprint": seen.fingerprint(),
            "export_rows_of_day": export_rows,
            "empty_parent_rows_ignored": artefacts,
            "task_hours_reserving_more_than_instance": over["task_hours"],
            "instance_hours_overcommitted": over["instance_hours"],
            "task_hours_unknown_worker": unknown,
            **counted,
            "tasks": tasks["task_id"].n_unique() if tasks.height else 0,
            "workers": tasks["worker"].n_unique() if tasks.height else 0,
        },
    )
    yield dg.MaterializeResult(
        asset_key="cur_instances",
        metadata={**table_metadata(instances, instance_path), "deliveries": delivery_metadata},
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="raw",
    kinds={"polars", "parquet"},
    deps=[reference_data],
    retry_policy=RAW_RETRY,
)
def usage_hourly(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Platform usage of the day: audio hours, requests and tokens per hour, region, product,
    worker, model and language (null for language-agnostic steps and LLM tokens)."""
    day = partition_day(context)
    with bad_input_fails_the_day():
        store = storage.source_store()
        speech, speech_meta = read_usage(store, "speech", day)
        llm, llm_meta = read_usage(store, "llm", day)
    frame = combine_usage(speech, llm)
    tables = storage.tables()
    catalog = tables.read(REFERENCE, "workers").get_column("worker")
    unknown = oddities.unknown_workers(frame, catalog, ["audio_hours", "tokens", "requests"])
    path = tables.write("usage_hourly", context.partition_key, frame)
    context.log.info(
        f"usage {context.partition_key}: {speech.height} speech rows, {llm.height} llm rows"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(frame, path),
            "speech": speech_meta,
            "llm": llm_meta,
            "audio_hours": float(frame["audio_hours"].sum()),
            "tokens": float(frame["tokens"].sum()),
            "requests": float(frame["requests"].sum()),
            "usage_unknown_worker": unknown,
        }
    )
