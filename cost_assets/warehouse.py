"""The warehouse: one Parquet file per asset and partition, local or on S3.

Layout: ``<root>/<asset key path>/<partition>.parquet`` (unpartitioned tables:
``<root>/<asset key path>/<name>.parquet``). A write replaces the file in one step: locally
the table is written to a temporary file in the same folder and renamed over the old one; on
S3 a single PUT replaces the object. A failed write leaves the last good file in place, and
two writers of the same partition leave one complete file, never a mix.
"""

import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl


class Warehouse:
    """Reads and writes the warehouse's Parquet files."""

    def __init__(self, root: str, s3_client: Any = None) -> None:
        self.root = root.rstrip("/")
        self._s3 = s3_client
        if self.is_s3:
            bucket_and_prefix = self.root[len("s3://") :]
            self.bucket, _, self.prefix = bucket_and_prefix.partition("/")

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def _s3_client(self) -> Any:
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            self._s3 = boto3.client(
                "s3", config=Config(retries={"mode": "adaptive", "max_attempts": 8})
            )
        return self._s3

    def path(self, table: str, name: str) -> str:
        """The file of ``name`` (a partition key) in ``table``."""
        return f"{self.root}/{table}/{name}.parquet"

    def _key(self, table: str, name: str) -> str:
        return "/".join(p for p in (self.prefix, table, f"{name}.parquet") if p)

    def write(self, table: str, name: str, frame: pl.DataFrame) -> str:
        """Replace the file of ``name`` in ``table`` with ``frame``, atomically."""
        if self.is_s3:
            buffer = io.BytesIO()
            frame.write_parquet(buffer, compression="zstd")
            self._s3_client().put_object(
                Bucket=self.bucket, Key=self._key(table, name), Body=buffer.getvalue()
            )
            return self.path(table, name)

        target = Path(self.path(table, name))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                frame.write_parquet(out, compression="zstd")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return str(target)

    def exists(self, table: str, name: str) -> bool:
        if self.is_s3:
            from botocore.exceptions import ClientError

            try:
                self._s3_client().head_object(Bucket=self.bucket, Key=self._key(table, name))
            except ClientError:
                return False
            return True
        return Path(self.path(table, name)).exists()

    def read(self, table: str, name: str, columns: list[str] | None = None) -> pl.DataFrame:
        """The stored table (only ``columns``, when named); FileNotFoundError names the
        missing file and how to make it."""
        if not self.exists(table, name):
            raise FileNotFoundError(
                f"{self.path(table, name)} does not exist: materialize {table} for {name} first"
            )
        if self.is_s3:
            body = self._s3_client().get_object(Bucket=self.bucket, Key=self._key(table, name))
            return pl.read_parquet(io.BytesIO(body["Body"].read()), columns=columns)
        return pl.read_parquet(self.path(table, name), columns=columns)

    def read_many(
        self, table: str, names: Iterable[str], columns: list[str] | None = None
    ) -> tuple[pl.DataFrame | None, list[str]]:
        """The concatenation of the stored partitions among ``names`` (only ``columns``, when
        named), and the names found."""
        found = [n for n in names if self.exists(table, n)]
        if not found:
            return None, []
        frames = [self.read(table, n, columns) for n in found]
        return pl.concat(frames, how="vertical_relaxed"), found
