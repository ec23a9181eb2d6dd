"""What every stage asset shares: the day, the reference tables, windows and metadata."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl

from cost_assets.errors import InputError
from cost_assets.warehouse import Warehouse

REFERENCE = "reference_data"
REFERENCE_TABLES = (
    "workers",
    "worker_configs",
    "product_calendar",
    "product_lines",
    "shared_services",
    "instance_types",
    "settings",
)


def partition_day(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    key = (
        context.partition_key
        if isinstance(context, dg.AssetExecutionContext)
        else context.op_execution_context.partition_key
    )
    return date.fromisoformat(key)


def trailing_days(day: date, days: int) -> list[str]:
    """The partition keys of the window of ``days`` days ending on ``day``, oldest first."""
    return [(day - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


def load_reference(tables: Warehouse) -> dict[str, Any]:
    """The reference tables as stored by the reference_data asset, and the settings dict."""
    frames: dict[str, Any] = {
        name: tables.read(REFERENCE, name).lazy() for name in REFERENCE_TABLES[:-1]
    }
    frames["settings"] = tables.read(REFERENCE, "settings").row(0, named=True)
    return frames


def dollars(frame: pl.DataFrame, column: str = "cost_usd") -> float:
    return float(frame.get_column(column).sum()) if frame.height else 0.0


def by_column(frame: pl.DataFrame, column: str, value: str = "cost_usd") -> dict[str, float]:
    """Dollars per value of ``column``, largest first, rounded to the cent for reading."""
    if not frame.height:
        return {}
    totals = frame.group_by(column).agg(pl.col(value).sum()).sort(value, descending=True)
    return {str(k): round(float(v), 2) for k, v in totals.iter_rows()}


def table_metadata(frame: pl.DataFrame, path: str) -> dict[str, Any]:
    return {
        "dagster/row_count": frame.height,
        "path": dg.MetadataValue.path(path),
    }


def stage_metadata(frame: pl.DataFrame, path: str, usd_in: float, usd_out: float) -> dict:
    """What every money stage reports: its rows, where they are, dollars in and dollars out."""
    return {**table_metadata(frame, path), "dollars_in": usd_in, "dollars_out": usd_out}


def log_stage(
    context: dg.AssetExecutionContext, rows_in: int, rows_out: int, usd_in: float, usd_out: float
) -> None:
    context.log.info(
        f"{context.asset_key.to_user_string()} {context.partition_key}: rows in {rows_in}, "
        f"rows out {rows_out}, dollars in {usd_in:,.6f}, dollars out {usd_out:,.6f}"
    )


@contextmanager
def bad_input_fails_the_day() -> Iterator[None]:
    """Turn an InputError into a Dagster failure that names the input and is not retried.

    Retries are for S3 throttling and outages; a malformed file stays malformed.
    """
    try:
        yield
    except InputError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={
                "file": exc.file or "",
                "column": exc.column or "",
                "rows": dg.MetadataValue.json(exc.rows or []),
            },
            allow_retries=False,
        ) from exc
