"""Fingerprints of the export rows that feed one day, to tell which days a re-delivery changed.

A fingerprint is independent of row order and of how rows are spread over chunk files, so a
re-delivery that only reshuffles files leaves every day's fingerprint unchanged, while one
changed cost, tag or row changes the fingerprint of exactly the days that row touches.
"""

import hashlib

import polars as pl

_ENTRY, _FIELD, _NULL = "\x1f", "\x1e", "\x00"


def _map_text(column: str) -> pl.Expr:
    """A map column as text, entry by entry in order; null stays null, empty is ''."""
    entry = pl.element().struct.field("key").fill_null(_NULL) + pl.lit(_FIELD)
    entry = entry + pl.element().struct.field("value").cast(pl.String).fill_null(_NULL)
    return pl.col(column).list.eval(entry).list.join(_ENTRY)


def row_hashes(rows: pl.DataFrame) -> pl.Series:
    """One 64-bit hash per row over every column, in column-name order (map columns through
    their text, which hashes the same in every run)."""
    stable = rows.select(sorted(rows.columns)).with_columns(
        [_map_text(c) for c, dtype in rows.schema.items() if isinstance(dtype, pl.List)]
    )
    return stable.hash_rows(seed=0)


def digest(hashes: pl.Series) -> str:
    """SHA-256 over row hashes in sorted order: the same for the same rows in any order, and
    for rows hashed in parts (slices of a day) and put together."""
    return hashlib.sha256(hashes.sort().to_numpy().tobytes()).hexdigest()


def fingerprint(rows: pl.DataFrame, hashes: pl.Series | None = None) -> str:
    """The ``digest`` of the row hashes of ``rows`` (``hashes``, when already computed)."""
    if rows.height == 0:
        return hashlib.sha256(b"").hexdigest()
    return digest(row_hashes(rows) if hashes is None else hashes)
