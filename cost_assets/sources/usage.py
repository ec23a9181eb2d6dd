"""Usage telemetry exported by the platform: one Parquet folder per UTC day.

`usage/speech`: audio hours and requests per hour × region × product × worker × model ×
language (language null for language-agnostic steps). `usage/llm`: input and output tokens and
requests per hour × region × product × worker × LLM model.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import polars as pl

from cost_assets.sources.files import file_columns, read_columns, read_file_source
from cost_assets.sources.normalize import normalize_frame
from cost_assets.sources.schemas import USAGE_COLUMNS, empty_frame
from cost_assets.sources.storage import SourceStore

UsageKind = Literal["speech", "llm"]


def usage_folder(kind: UsageKind, day: date) -> str:
    """The key of one day's folder of one usage kind."""
    return f"usage/{kind}/date={day.isoformat()}"


def read_usage(
    store: SourceStore, kind: UsageKind, day: date
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """One day of usage, normalised, and metadata naming the files read.

    A missing day folder means no usage that day: an empty frame with the right schema, and
    metadata that says so. Rows whose hour falls outside the day are kept and counted.
    """
    columns = USAGE_COLUMNS[kind]
    folder = usage_folder(kind, day)
    files = [o for o in store.list(folder) if o.key.endswith(".parquet")]
    metadata: dict[str, Any] = {
        "usage": kind,
        "day": day.isoformat(),
        "folder": store.uri(folder),
        "file_count": len(files),
        "files": [{"key": f.key, "size": f.size, "version": f.version} for f in files],
    }
    if not files:
        metadata["rows"] = 0
        metadata["note"] = "no usage files for this day: read as no usage"
        return empty_frame(columns), metadata

    frames = []
    for obj in files:
        uri = store.uri(obj.key)
        data = read_file_source(store, obj.key)
        fmt, present = file_columns(data, uri)
        wanted = [c for c in columns if c in present]
        raw = read_columns(data, fmt, wanted or present[:1], uri)
        frames.append(normalize_frame(raw.select(wanted), columns, list(columns), uri, raw.height))
    usage = pl.concat(frames, how="vertical")

    start = datetime.combine(day, time(), tzinfo=None)
    outside = usage.filter(
        ~pl.col("hour").is_between(
            pl.lit(start).dt.replace_time_zone("UTC"),
            pl.lit(start + timedelta(days=1)).dt.replace_time_zone("UTC"),
            closed="left",
        )
    ).height
    metadata["rows"] = usage.height
    metadata["rows_outside_day"] = outside
    return usage, metadata
