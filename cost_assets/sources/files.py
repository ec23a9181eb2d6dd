"""Reading the bytes of one tabular file (Parquet, CSV or gzip CSV) from a sources root."""

from __future__ import annotations

import gzip
import io
from typing import Literal

import polars as pl
import pyarrow.parquet as pq

from cost_assets.errors import InputError
from cost_assets.sources.storage import SourceStore

FileFormat = Literal["parquet", "csv"]


def read_file_bytes(store: SourceStore, key: str) -> bytes:
    """The file's content, gunzipped when it is gzip (AWS's `.csv.gz`)."""
    data = store.read_bytes(key)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise InputError("corrupt gzip file", file=store.uri(key)) from None
    return data


def file_columns(data: bytes, uri: str) -> tuple[FileFormat, list[str]]:
    """The format of a file's (gunzipped) bytes, told by its magic number, and its columns."""
    try:
        if data[:4] == b"PAR1":
            return "parquet", pq.ParquetFile(io.BytesIO(data)).schema_arrow.names
        return "csv", pl.read_csv(io.BytesIO(data), n_rows=0, infer_schema=False).columns
    except Exception as exc:  # pyarrow and polars raise many types for a corrupt file
        raise InputError(f"cannot read file header ({type(exc).__name__})", file=uri) from None


def read_columns(data: bytes, fmt: FileFormat, columns: list[str], uri: str) -> pl.DataFrame:
    """Only the named columns of a file; CSV cells are read as text, Parquet keeps its types."""
    try:
        if fmt == "parquet":
            return pl.read_parquet(io.BytesIO(data), columns=columns, hive_partitioning=False)
        return pl.read_csv(io.BytesIO(data), columns=columns, infer_schema=False)
    except Exception as exc:  # pyarrow and polars raise many types for a corrupt file
        raise InputError(f"cannot read {fmt} file ({type(exc).__name__})", file=uri) from None
