"""Reference files Finance got wrong, and usage from a worker nobody catalogued."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cost_assets_tests.bad_input.roots import (
    DAY,
    failure,
    metadata,
    run_raw,
    sample_rows,
    write_tiny_root,
)
from cost_assets_tests.harness import table


def _append_line(path: Path, line: str) -> int:
    """Append a CSV line; returns its 1-based data row number."""
    text = path.read_text()
    text = text if text.endswith("\n") else text + "\n"
    path.write_text(text + line + "\n")
    return len(text.splitlines())  # header + existing rows = the new row's data number


def _first_row(path: Path) -> list[str]:
    return path.read_text().splitlines()[1].split(",")


def _duplicate_worker(reference: Path) -> tuple[str, str, int]:
    path = reference / "workers.csv"
    return "workers.csv", "worker", _append_line(path, ",".join(_first_row(path)))


def _unknown_tier(reference: Path) -> tuple[str, str, int]:
    path = reference / "shared_services.csv"
    return "shared_services.csv", "tier", _append_line(path, "AmazonNewThing,vibes")


def _product_not_in_product_lines(reference: Path) -> tuple[str, str, int]:
    path = reference / "worker_configs.csv"
    worker = _first_row(path)[0]
    line = f"{worker},no-such-product,some-model,en"
    return "worker_configs.csv", "product", _append_line(path, line)


@pytest.mark.parametrize(
    "breakage", [_duplicate_worker, _unknown_tier, _product_not_in_product_lines]
)
def test_bad_reference_fails_naming_file_column_row_and_keeps_the_stored_tables(tmp_path, breakage):
    root = write_tiny_root(tmp_path / "src")
    warehouse = tmp_path / "wh"
    assert run_raw(root, warehouse, assets=["reference_data"]).success
    stored = {p: p.read_bytes() for p in (warehouse / "reference_data").glob("*.parquet")}

    file, column, row = breakage(root / "reference")
    result = run_raw(root, warehouse, assets=["reference_data"])

    message, described = failure(result, "reference_data")
    assert described["file"] == str(root / "reference" / file)
    assert described["column"] == column and row in described["rows"]
    assert file in message
    assert {p: p.read_bytes() for p in stored} == stored


def test_usage_for_an_unknown_worker_is_kept_and_counted(tmp_path):
    speech = sample_rows("speech")
    ghost = speech.head(3).with_columns(
        pl.lit("asr-ghost").alias("worker"), pl.lit(2.0).alias("audio_hours")
    )
    root = write_tiny_root(tmp_path / "src", speech=pl.concat([speech, ghost]))
    result = run_raw(root, tmp_path / "wh", assets=["usage_hourly"])

    assert result.success
    counted = metadata(result, "usage_hourly")["usage_unknown_worker"]
    assert counted["rows"] == 3 and counted["workers"] == ["asr-ghost"]
    assert counted["audio_hours"] == pytest.approx(6.0)
    usage = table(tmp_path / "wh", "usage_hourly", DAY)
    assert usage.filter(pl.col("worker") == "asr-ghost")["audio_hours"].sum() == 6.0


def test_tasks_of_an_unknown_worker_are_kept_and_counted(tmp_path):
    cur = sample_rows("cur")
    tags = cur.schema["resource_tags"]
    renamed = cur.with_columns(
        pl.when(pl.col("line_item_operation") == "ECSTask-EC2")
        .then(
            pl.col("resource_tags").list.eval(
                pl.when(pl.element().struct.field("key") == "aws_ecs_service_name")
                .then(
                    pl.struct(
                        pl.lit("aws_ecs_service_name").alias("key"),
                        pl.lit("ghost-svc").alias("value"),
                    )
                )
                .otherwise(pl.element())
            )
        )
        .otherwise(pl.col("resource_tags"))
        .cast(tags)
    )
    root = write_tiny_root(tmp_path / "src", cur=renamed)
    result = run_raw(root, tmp_path / "wh", assets=["cur_task_hours"])

    assert result.success
    described = metadata(result, "cur_task_hours")
    assert described["task_hours_unknown_worker"]["workers"] == ["ghost-svc"]
    assert described["task_hours_unknown_worker"]["rows"] == described["dagster/row_count"]
