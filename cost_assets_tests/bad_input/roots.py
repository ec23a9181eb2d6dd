"""Tiny sources roots cut from the sample, and running the raw assets (or the graph) on them.

A tiny root holds the first `HOURS` hours of `DAY` from the sample company: its FOCUS and CUR
rows as one-chunk deliveries written by the sample writers, its usage and its reference
files. Each test breaks one thing in it and watches what the pipeline does.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from cost_assets.assets import raw
from cost_assets.cli import QUIET
from cost_assets.sample.exports import write_cur_export, write_focus_export, write_usage
from cost_assets_tests.harness import storage

SAMPLE = Path(__file__).resolve().parents[2] / "sample_exports"
DAY = "2026-10-26"
PERIOD = "2026-10"
HOURS = 2
START = datetime(2026, 10, 26, tzinfo=UTC)
FOCUS_DATA = "focus/cost-assets-focus/data/BILLING_PERIOD={period}"
CUR_DATA = "cur/cost-assets-cur/data/BILLING_PERIOD={period}"
FOCUS_MANIFEST = (
    "focus/cost-assets-focus/metadata/BILLING_PERIOD={period}/cost-assets-focus-Manifest.json"
)

RAW_ASSETS = ["reference_data", "focus_charges", "cur_task_hours", "cur_instances", "usage_hourly"]


def _entries(frame: pl.DataFrame) -> pl.DataFrame:
    """Map columns as key/value lists, the form the sample writers take."""
    return frame.with_columns(
        pl.col(name).map.entries() for name, dtype in frame.schema.items() if dtype == pl.Map
    )


@cache
def sample_rows(kind: str) -> pl.DataFrame:
    """The sample's rows of the tiny window: FOCUS, CUR, or speech / llm usage."""
    end = START + timedelta(hours=HOURS)
    if kind in ("focus", "cur"):
        folder = (FOCUS_DATA if kind == "focus" else CUR_DATA).format(period=PERIOD)
        frame = pl.read_parquet(SAMPLE / folder / f"cost-assets-{kind}-00001.snappy.parquet")
        column = "ChargePeriodStart" if kind == "focus" else "line_item_usage_start_date"
        start = START if kind == "focus" else START.replace(tzinfo=None)
        stop = end if kind == "focus" else end.replace(tzinfo=None)
        frame = frame.filter((pl.col(column) >= start) & (pl.col(column) < stop))
        if kind == "focus":  # one-hour charges only, so that the tiny day is exactly them
            frame = frame.filter(
                pl.col("ChargePeriodEnd") - pl.col("ChargePeriodStart") <= timedelta(hours=1)
            )
        return _entries(frame)
    frame = pl.read_parquet(SAMPLE / f"usage/{kind}/date={DAY}/part-0.parquet")
    return frame.filter(pl.col("hour") < end)


def write_tiny_root(
    root: Path,
    focus: pl.DataFrame | None = None,
    cur: pl.DataFrame | None = None,
    speech: pl.DataFrame | None = None,
    **writer: Any,
) -> Path:
    """A sources root with the tiny window's data; any frame given replaces the sample's."""
    shutil.copytree(SAMPLE / "reference", root / "reference")
    write_focus_export(root, PERIOD, sample_rows("focus") if focus is None else focus, **writer)
    write_cur_export(root, PERIOD, sample_rows("cur") if cur is None else cur, **writer)
    write_usage(root, "speech", DAY, sample_rows("speech") if speech is None else speech)
    write_usage(root, "llm", DAY, sample_rows("llm"))
    return root


def focus_chunk(root: Path, period: str = PERIOD) -> Path:
    return root / FOCUS_DATA.format(period=period) / "cost-assets-focus-00001.snappy.parquet"


def cur_chunk(root: Path, period: str = PERIOD) -> Path:
    return root / CUR_DATA.format(period=period) / "cost-assets-cur-00001.snappy.parquet"


def run_raw(
    sources: str | Path,
    warehouse: Path,
    day: str = DAY,
    assets: list[str] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize reference_data and the raw assets named (by default all of them) for one
    day, never raising."""
    selection = list(dict.fromkeys(["reference_data", *(assets or RAW_ASSETS)]))
    if {"cur_task_hours", "cur_instances"} & set(selection):  # one multi-asset
        selection += ["cur_task_hours", "cur_instances"]
    return dg.materialize(
        [raw.reference_data, raw.focus_charges, raw.cur_rows, raw.usage_hourly],
        partition_key=None if selection == ["reference_data"] else day,
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={"storage": storage(sources, warehouse)},
        raise_on_error=False,
        run_config=QUIET,
        selection=list(dict.fromkeys(selection)),  # the multi-asset's keys may repeat
    )


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """The metadata values of one asset's materialization in a run."""
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        if materialization.asset_key == dg.AssetKey(asset):
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialized")


def failure(result: dg.ExecuteInProcessResult, step: str) -> tuple[str, dict[str, Any]]:
    """The message and the metadata (file, column, rows) of the one failed step."""
    failures = result.get_step_failure_events()
    assert [f.step_key for f in failures] == [step], [f.step_key for f in failures]
    data = failures[0].event_specific_data
    described = {k: v.value for k, v in (data.user_failure_data.metadata or {}).items()}
    return data.error.message, described
