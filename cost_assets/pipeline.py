"""One day of the whole computation without Dagster: the stages chained in memory.

The assets and ``compute_day`` call the same stage functions below (the raw and compute
stages) and the same methodology functions (the allocation stages), so the only difference
between a Dagster run and ``compute_day`` is orchestration: no warehouse writes or reads, no
checks, no metadata. It exists to measure that difference (``benchmarks/run.py``) and to
profile the methodology on its own.

Trailing windows (7 days of task costs and usage in layer 1, 28 days of usage in layer 3, 30
days of facts in the rates) are the day alone here: ``compute_day`` keeps nothing between
days, so its dollars per stage equal a Dagster run's only for the first day of a warehouse.
Each stage still conserves money, and the day's total is the same.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import polars as pl

from cost_assets.methodology import capacity, gpu, join, languages, ledger, rollups, shared, workers
from cost_assets.methodology import charges as charge_rules
from cost_assets.methodology import tasks as task_rules
from cost_assets.sources.exports import (
    WHOLE_DAY,
    Delivery,
    Hours,
    hour_bounds,
    read_export_for_day,
)
from cost_assets.sources.reference import load_reference
from cost_assets.sources.schemas import EXPORT_COLUMNS, EXPORT_COLUMNS_USED, empty_frame
from cost_assets.sources.storage import SourceStore, open_store
from cost_assets.sources.usage import read_usage

USAGE_COLUMNS = [
    "hour",
    "region",
    "product",
    "worker",
    "model",
    "language",
    "audio_hours",
    "requests",
    "tokens",
    "kind",
]


# Raw stages --------------------------------------------------------------------------------


def _rows_where(frame: pl.DataFrame | None, predicate: pl.Expr) -> pl.DataFrame | None:
    """The rows of ``frame`` where ``predicate`` holds: ``frame`` itself when all do, as when
    the read already kept only the day's rows, so that a big day is not copied."""
    if frame is None:
        return None
    # Lazy, not eager: an eager select or filter copies every column of a wide frame.
    keep = frame.lazy().select(predicate.fill_null(False)).collect().to_series()
    return frame if keep.all() else frame.lazy().filter(keep).collect()


def focus_rows_for_day(focus: pl.DataFrame | None, day: date) -> pl.DataFrame | None:
    """The export rows whose charge period touches ``day``: what the day is computed from."""
    return _rows_where(focus, charge_rules.overlaps_day(day))


def cur_rows_for_day(
    cur: pl.DataFrame | None, day: date, hours: Hours = WHOLE_DAY
) -> pl.DataFrame | None:
    """The CUR rows whose usage starts on ``day`` (in ``hours`` of it)."""
    start, end = hour_bounds(day, hours)
    usage_start = pl.col("line_item_usage_start_date")
    return _rows_where(cur, (usage_start >= start) & (usage_start < end))


def hourly_charges(focus: pl.DataFrame | None, day: date, settings: dict) -> pl.DataFrame:
    """The focus_charges table of ``day`` from the day's FOCUS export rows (None: no export)."""
    if focus is None:
        # No delivery: the same rules on no rows, so every column keeps its real type.
        focus = empty_frame(EXPORT_COLUMNS["focus"], EXPORT_COLUMNS_USED["focus"])
    return charge_rules.hourly_charges(
        focus.lazy(), day, settings["product_tag_key"], settings["fleet_tag_key"]
    ).collect()


def cur_tables(
    cur: pl.DataFrame | None, day: date, settings: dict
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The cur_task_hours and cur_instances tables of ``day`` from its CUR export rows, and
    how many empty-parent artefact rows were ignored."""
    if cur is None:
        cur = empty_frame(EXPORT_COLUMNS["cur"], EXPORT_COLUMNS_USED["cur"])
    lazy = cur.lazy()
    artefacts = task_rules.artefact_task_hours(lazy, day).collect()
    tasks, instances, artefact_rows = pl.collect_all(
        [
            task_rules.task_hours(lazy, day, artefacts),
            task_rules.instances(lazy, day, settings["fleet_tag_key"]),
            task_rules.empty_parent_artefacts(lazy, day, artefacts).select(pl.len()),
        ]
    )
    return tasks, instances, artefact_rows.item()


# A day's CUR is read and reduced a slice of hours at a time: a task-hour never spans two
# slices, and a slice, not the whole day, is what is held in memory at once. Six hours keep
# the peak low (rows also hashed through their text, for the raw asset's fingerprint, hold
# about twice their size while they are) and cost no more time than twelve.
CUR_SLICE_HOURS = 6


def cur_day_slices(
    store: SourceStore, day: date, source_column: str | None = None
) -> Iterator[tuple[pl.DataFrame | None, list[Delivery]]]:
    """The CUR rows of ``day``, ``CUR_SLICE_HOURS`` at a time, oldest first, each with the
    deliveries read (with ``source_column``, each row names its file)."""
    for first in range(0, 24, CUR_SLICE_HOURS):
        hours = (first, min(first + CUR_SLICE_HOURS, 24))
        read, deliveries = read_export_for_day(store, "cur", day, source_column, hours=hours)
        rows = cur_rows_for_day(read, day, hours)
        del read  # when the slice was narrowed, only its rows stay in memory
        yield rows, deliveries


def cur_day_tables(
    store: SourceStore,
    day: date,
    settings: dict,
    source_column: str | None = None,
    inspect: Callable[[pl.DataFrame | None], None] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, int, int, list[Delivery]]:
    """The cur_task_hours and cur_instances tables of ``day`` read slice by slice from the
    CUR deliveries; the artefact rows ignored, the export rows of the day, the deliveries.

    ``inspect`` sees each slice's rows (with ``source_column``) before they are let go. An
    instance's attributes come from its first row in the earliest slice that has one, in
    file order within it (in time order where the files are sorted by time).
    """
    tasks, instances, artefacts, rows, deliveries = [], [], 0, 0, []
    for cur, read_from in cur_day_slices(store, day, source_column):
        deliveries = read_from  # the same deliveries every slice: the last one's are kept
        if inspect is not None:
            inspect(cur)
        if cur is not None and source_column is not None:
            cur = cur.lazy().drop(source_column).collect()
        rows += 0 if cur is None else cur.height
        slice_tasks, slice_instances, slice_artefacts = cur_tables(cur, day, settings)
        del cur
        tasks.append(slice_tasks)
        instances.append(slice_instances)
        artefacts += slice_artefacts
    instance_table = pl.concat(instances).unique(
        subset=["instance_id"], keep="first", maintain_order=True
    )
    return pl.concat(tasks), instance_table, artefacts, rows, deliveries


def combine_usage(speech: pl.DataFrame, llm: pl.DataFrame) -> pl.DataFrame:
    """Speech and LLM usage in one table; LLM tokens are input plus output tokens."""
    speech_rows = speech.select(
        "hour",
        "region",
        "product",
        "worker",
        "model",
        "language",
        pl.col("audio_hours").cast(pl.Float64).fill_null(0.0),
        pl.col("requests").cast(pl.Float64).fill_null(0.0),
        pl.lit(0.0).alias("tokens"),
        pl.lit("speech").alias("kind"),
    )
    llm_rows = llm.select(
        "hour",
        "region",
        "product",
        "worker",
        pl.col("llm_model").alias("model"),
        pl.lit(None, dtype=pl.String).alias("language"),
        pl.lit(0.0).alias("audio_hours"),
        pl.col("requests").cast(pl.Float64).fill_null(0.0),
        (
            pl.col("input_tokens").cast(pl.Float64).fill_null(0.0)
            + pl.col("output_tokens").cast(pl.Float64).fill_null(0.0)
        ).alias("tokens"),
        pl.lit("llm").alias("kind"),
    )
    # Usage that names no product or model is still traffic: it counts, as unattributed.
    return (
        pl.concat([speech_rows, llm_rows], how="vertical_relaxed")
        .with_columns(pl.col("product", "model").fill_null("unattributed"))
        .select(USAGE_COLUMNS)
    )


# Compute stages ----------------------------------------------------------------------------


def task_cost_tables(
    charges: pl.LazyFrame,
    tasks: pl.LazyFrame,
    instances: pl.LazyFrame,
    reference: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The task_costs table, the compute pool it split, the orphan task-hours (no FOCUS
    instance-hour) and the GPU weights used."""
    settings = reference["settings"]
    weights = gpu.gpu_weights(
        reference["instance_types"].collect(),
        settings["gpu_weighting"],
        settings["gpu_reference_family"],
    )
    priced = join.price_tasks(
        charges,
        tasks,
        instances,
        reference["workers"],
        reference["instance_types"],
        weights.lazy(),
    )
    frame, pool, orphans = priced
    return frame, pool, orphans, weights


def pool_instance_hours(task_costs_frame: pl.DataFrame) -> pl.DataFrame:
    """The compute pool's instance-hours: every one has a task_costs row."""
    return task_costs_frame.lazy().select("hour", "instance_id").unique().collect()


def cost_columns(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("hour", "region", "product", "model", "language", "cost_class", "cost_usd")


def shared_cost_tables(
    charges: pl.DataFrame,
    task_costs: pl.DataFrame,
    pool_hours: pl.DataFrame,
    usage: pl.DataFrame,
    compute: pl.DataFrame,
    reference: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The product_shared_costs table of a day, and the excluded charges (layer 2).

    ``pool_hours`` are the compute pool's instance-hours (``pool_instance_hours``).
    """
    allocated, excluded = shared.shared_costs(
        charges.lazy(),
        pool_hours.lazy(),
        list(reference["settings"]["excluded_charge_categories"]),
        usage.lazy(),
        task_costs.lazy(),
        compute.lazy(),
        reference,
    )
    frame, excluded_rows = pl.collect_all([allocated, excluded])
    return frame, excluded_rows


def language_cost_table(
    compute: pl.DataFrame,
    shared_frame: pl.DataFrame,
    trailing_usage: pl.DataFrame,
    reference: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The language_costs table of a day (layer 3), and the costs it started from."""
    costs = pl.concat([cost_columns(compute), cost_columns(shared_frame)], how="vertical_relaxed")
    frame = languages.language_costs(
        costs.lazy(),
        trailing_usage.lazy(),
        reference["worker_configs"],
        reference["product_calendar"],
    ).collect()
    return frame, costs


# The day -----------------------------------------------------------------------------------


def reference_frames(sources: str) -> dict[str, Any]:
    """The reference tables as lazy frames and the settings dict, as the assets see them."""
    reference = load_reference(open_store(sources))
    frames: dict[str, Any] = {
        name: getattr(reference, name).lazy()
        for name in (
            "workers",
            "worker_configs",
            "product_calendar",
            "product_lines",
            "shared_services",
            "instance_types",
        )
    }
    frames["settings"] = reference.settings.as_dict()
    return frames


def compute_day(sources: str, day: date) -> int:
    """Every stage of ``day`` from the exports to the daily consumer tables, in memory.

    Returns the rows in: the day's FOCUS and CUR export rows.
    """
    store = open_store(sources)
    reference = reference_frames(sources)
    settings = reference["settings"]

    # Raw: the day's export rows, its hourly charges, task-hours, instances and usage.
    # Each export is read, reduced to its day's tables and let go before the next is read;
    # CUR, the bigger, first, so that FOCUS reuses its memory.
    tasks, instances, _, rows_in, _ = cur_day_tables(store, day, settings)
    focus = focus_rows_for_day(read_export_for_day(store, "focus", day)[0], day)
    rows_in += 0 if focus is None else focus.height
    charges = hourly_charges(focus, day, settings)
    del focus
    speech, _ = read_usage(store, "speech", day)
    llm, _ = read_usage(store, "llm", day)
    usage = combine_usage(speech, llm)

    # Compute: the join, capacity classes, layer 1 (trailing windows: the day alone).
    task_costs, pool, _, _ = task_cost_tables(
        charges.lazy(), tasks.lazy(), instances.lazy(), reference
    )
    worker_costs = capacity.worker_costs(
        task_costs.lazy(), task_costs.lazy(), reference["workers"]
    ).collect()
    compute = workers.product_costs(
        worker_costs.lazy(),
        usage.lazy(),
        usage.lazy(),
        reference["workers"],
        reference["worker_configs"],
    ).collect()

    # Allocation: layer 2, layer 3, the fact table.
    pool_hours = pool.select("hour", "instance_id")
    shared_frame, _ = shared_cost_tables(charges, task_costs, pool_hours, usage, compute, reference)
    language, _ = language_cost_table(compute, shared_frame, usage, reference)
    facts = ledger.unit_costs(language.lazy(), reference["product_calendar"]).collect()

    # Marts of the day: Engineering's worker view and Customer Success's rates.
    rollups.worker_costs_daily(
        worker_costs.lazy(), task_costs.lazy(), usage.lazy(), reference["workers"], day
    ).collect()
    rollups.unit_cost_rates(
        facts.lazy(), usage.lazy(), reference["product_calendar"], day, day
    ).collect()
    return rows_in
