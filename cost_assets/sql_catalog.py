"""The embedded DuckDB file that BI tools open: one SQL view per final table.

``<warehouse>/cost_assets.duckdb`` holds views only, no data: each view reads every Parquet
partition of its table (``read_parquet('<warehouse>/<table>/*.parquet')``), so the file stays
small and a query always sees the partitions stored at that moment. A DuckDB client, or any
BI tool with a DuckDB driver, opens the file read-only and queries ``unit_costs_hourly``,
``finance_monthly_cogs``, ``worker_costs_daily`` and ``unit_cost_rates`` directly.

The file is rebuilt whole into a temporary file beside it and renamed over it, so two runs
writing it at once leave one complete catalog, and a reader holding the old file keeps it.
"""

import os
import tempfile
from pathlib import Path

import duckdb

CATALOG_FILE = "cost_assets.duckdb"
VIEW_TABLES = ("unit_costs_hourly", "finance_monthly_cogs", "worker_costs_daily", "unit_cost_rates")
_GLOB_CHARACTERS = set("*?[]{}")


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes, embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A SQL string literal in single quotes, embedded quotes doubled.

    DuckDB cannot bind parameters inside a view definition, so the one value a view needs (the
    glob of its table's files, a path this project builds) is quoted here instead.
    """
    return "'" + text.replace("'", "''") + "'"


def view_statement(view: str, folder: Path) -> str:
    """``CREATE OR REPLACE VIEW`` over every Parquet file of one table's folder."""
    if _GLOB_CHARACTERS & set(str(folder)):
        raise ValueError(f"the warehouse path {folder} holds glob characters: DuckDB would expand")
    files = quote_literal(str(folder / "*.parquet"))
    return (
        f"CREATE OR REPLACE VIEW {quote_identifier(view)} AS "
        f"SELECT * FROM read_parquet({files}, union_by_name = true)"
    )


def write_catalog(warehouse_root: str) -> str | None:
    """Rebuild the DuckDB file of views for the tables the warehouse holds; its path.

    Tables with no partition yet get no view (DuckDB cannot bind a view over no file).
    """
    if warehouse_root.startswith("s3://"):
        # TODO: an s3:// warehouse needs the catalog written to a local or shared path, and
        # its readers need DuckDB's httpfs extension and an S3 secret (INSTALL httpfs; LOAD
        # httpfs; CREATE SECRET (TYPE s3, PROVIDER credential_chain)); not built or tested yet.
        return None
    root = Path(warehouse_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    target = root / CATALOG_FILE
    handle, temporary = tempfile.mkstemp(dir=root, prefix=f".{CATALOG_FILE}.", suffix=".tmp")
    os.close(handle)
    os.unlink(temporary)  # DuckDB creates the database file itself
    try:
        with duckdb.connect(temporary) as connection:
            for table in VIEW_TABLES:
                folder = root / table
                if any(folder.glob("*.parquet")):
                    connection.execute(view_statement(table, folder))
            connection.execute("CHECKPOINT")
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
        Path(temporary + ".wal").unlink(missing_ok=True)
    return str(target)


def views(catalog: str) -> list[str]:
    """The views a catalog file defines, read-only."""
    with duckdb.connect(catalog, read_only=True) as connection:
        rows = connection.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
        ).fetchall()
    return [name for (name,) in rows]
