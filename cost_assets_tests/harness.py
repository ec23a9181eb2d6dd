"""Run the real Dagster graph on a sources root: the way every scenario test materializes."""

from collections.abc import Iterable
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from cost_assets.cli import QUIET
from cost_assets.definitions import defs
from cost_assets.resources import CostAssetsStorage
from cost_assets.warehouse import Warehouse


def storage(sources: str | Path, warehouse: str | Path) -> CostAssetsStorage:
    return CostAssetsStorage(sources=str(sources), warehouse=str(warehouse), s3=S3Resource())


def materialize_days(
    sources: str | Path,
    warehouse: str | Path,
    days: Iterable[str],
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
) -> list[dg.ExecuteInProcessResult]:
    """Materialize every asset and check for each day, oldest first, in this process."""
    job = defs.resolve_job_def("daily_unit_costs")
    instance = instance or dg.DagsterInstance.ephemeral()
    resources = {"storage": storage(sources, warehouse)}
    results = []
    for day in days:
        result = job.execute_in_process(
            partition_key=day,
            instance=instance,
            resources=resources,
            raise_on_error=raise_on_error,
            run_config=QUIET,
        )
        results.append(result)
    return results


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """Check evaluations of a run keyed ``asset/check``."""
    return {
        f"{e.asset_key.to_user_string()}/{e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def table(warehouse: str | Path, asset: str, day: str) -> pl.DataFrame:
    return Warehouse(str(warehouse)).read(asset, day)
