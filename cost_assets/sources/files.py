"""Reading the bytes of one tabular file (Parquet, CSV or gzip CSV) from a sources root."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow.parquet as pq

from cost_assets.errors import InputError
from cost_assets.sources.storage import LocalStore, SourceStore

FileFormat = Literal["parquet", "csv"]
# A file's content, or the local path of a Parquet file (read in place, without a copy).
Source = bytes | Path


def read_file_bytes(store: SourceStore, key: str) -> bytes:
    """The file's content, gunzipped when it is gzip (AWS's `.csv.gz`)."""
    data = store.read_bytes(key)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise InputError("corrupt gzip file", file=store.uri(key)) from None
    return data


def read_file_source(store: SourceStore, key: str) -> Source:
    """A local Parquet file's path (Parquet reads only the columns it needs from it), else the
    file's content as ``read_file_bytes`` gives it."""
    if isinstance(store, LocalStore):
        path = store.path / key.strip("/")
        try:
            with path.open("rb") as handle:
                if handle.read(4) == b"PAR1":
                    return path
        except OSError:
            pass  # read_file_bytes names the problem
    return read_file_bytes(store, key)


def readable(data: Source) -> Path | io.BytesIO:
    return data if isinstance(data, Path) else io.BytesIO(data)


def file_columns(data: Source, uri: str) -> tuple[FileFormat, list[str]]:
    """The format of a file's (gunzipped) bytes, told by its magic number, and its columns."""
    try:
        if isinstance(data, Path) or data[:4] == b"PAR1":
            return "parquet", pq.ParquetFile(readable(data)).schema_arrow.names
        return "csv", pl.read_csv(io.BytesIO(data), n_rows=0, infer_schema=False).columns
    except Exception as exc:  # pyarrow and polars raise many types for a corrupt file
        raise InputError(f"cannot read file header ({type(exc).__name__})", file=uri) from None


def read_columns(
    data: Source,
    fmt: FileFormat,
    columns: list[str],
    uri: str,
    rows: pl.Expr | None = None,
) -> pl.DataFrame:
    """Only the named columns of a file; CSV cells are read as text, Parquet keeps its types.

    ``rows``, a predicate on those columns, keeps only the rows it selects from a Parquet
    file, and lets the reader skip the row groups whose statistics exclude them all.
    """
    try:
        if fmt == "parquet":
            scan = pl.scan_parquet(readable(data), hive_partitioning=False).select(columns)
            return (scan if rows is None else scan.filter(rows)).collect()
        return pl.read_csv(readable(data), columns=columns, infer_schema=False)
    except Exception as exc:  # pyarrow and polars raise many types for a corrupt file
        raise InputError(f"cannot read {fmt} file ({type(exc).__name__})", file=uri) from None


def parquet_rows(data: Source) -> int:
    """A Parquet file's row count, from its footer."""
    return pq.ParquetFile(readable(data)).metadata.num_rows
