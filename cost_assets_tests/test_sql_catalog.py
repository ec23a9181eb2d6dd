"""The DuckDB views are built from quoted identifiers and quoted paths, never pasted values."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

from cost_assets.sql_catalog import quote_identifier, view_statement, write_catalog


def test_identifiers_and_paths_cannot_break_out_of_the_statement(tmp_path):
    hostile = tmp_path / "o'brien; drop table x; --"
    folder = hostile / "unit_costs_hourly"
    folder.mkdir(parents=True)
    pl.DataFrame({"cost_usd": [1.5, 2.5]}).write_parquet(folder / "2026-10-27.parquet")

    catalog = write_catalog(str(hostile))
    with duckdb.connect(catalog, read_only=True) as connection:
        total = connection.execute("SELECT sum(cost_usd) FROM unit_costs_hourly").fetchone()[0]
        one_day = connection.execute(
            "SELECT count(*) FROM unit_costs_hourly WHERE cost_usd > ?", [2.0]
        ).fetchone()[0]
    assert total == 4.0
    assert one_day == 1
    assert quote_identifier('a"b') == '"a""b"'


def test_a_warehouse_path_with_glob_characters_is_refused(tmp_path):
    with pytest.raises(ValueError, match="glob characters"):
        view_statement("unit_costs_hourly", Path(tmp_path / "w*" / "unit_costs_hourly"))
