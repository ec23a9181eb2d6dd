"""Fingerprints of the export rows that feed one day, to tell which days a re-delivery changed.

A fingerprint is independent of row order and of how rows are spread over chunk files, so a
re-delivery that only reshuffles files leaves every day's fingerprint unchanged, while one
changed cost, tag or row changes the fingerprint of exactly the days that row touches.
"""

import hashlib

import polars as pl


def fingerprint(rows: pl.DataFrame) -> str:
    """SHA-256 over the sorted row hashes of ``rows`` (map columns included)."""
    if rows.height == 0:
        return hashlib.sha256(b"").hexdigest()
    stable = rows.select(sorted(rows.columns)).with_columns(
        # Row hashes of nested columns go through their JSON text, which is stable.
        [
            pl.col(c)
            .cast(pl.List(pl.Struct({"key": pl.String, "value": pl.String})))
            .list.eval(pl.element().struct.json_encode())
            .list.join("\x1f")
            for c, dtype in rows.schema.items()
            if isinstance(dtype, pl.List)
        ]
    )
    hashes = stable.hash_rows(seed=0).sort()
    text = hashes.cast(pl.String).str.join("\n").item()
    return hashlib.sha256(text.encode()).hexdigest()
