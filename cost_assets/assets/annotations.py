"""The annotations of the charts and the variance: dated notes on migrations and launches."""

import dagster as dg
import polars as pl

from cost_assets.assets.common import bad_input_fails_the_day, table_metadata
from cost_assets.assets.raw import reference_data
from cost_assets.resources import CostAssetsStorage
from cost_assets.sources.reference import ANNOTATIONS_FILE, NO_ANNOTATIONS
from cost_assets.sources.reference import load_reference as load_reference_files
from cost_assets.warehouse import Warehouse

ANNOTATIONS = "annotations"


# After reference_data: annotations are checked against its catalog, and a bad catalog fails
# there, once.
@dg.asset(group_name="raw", kinds={"polars", "parquet"}, deps=[reference_data])
def annotations(context: dg.AssetExecutionContext, storage: CostAssetsStorage):
    """Notes kept by Engineering and Finance in ``reference/annotations.csv`` (optional): one
    row per date and worker or model (both empty: the whole company), such as a migration or
    a model launch. They carry no money; the charts and the variance tables show them."""
    store = storage.source_store()
    with bad_input_fails_the_day():
        frame = load_reference_files(store).annotations
    path = storage.tables().write(ANNOTATIONS, ANNOTATIONS, frame)
    found = store.exists(f"reference/{ANNOTATIONS_FILE}")
    context.log.info(f"annotations: {frame.height} notes ({'file' if found else 'no file'})")
    return dg.MaterializeResult(
        metadata={**table_metadata(frame, path), "file_found": found},
    )


def read_annotations(tables: Warehouse) -> pl.DataFrame:
    """The stored annotations, or none when the asset was never materialized."""
    if not tables.exists(ANNOTATIONS, ANNOTATIONS):
        return NO_ANNOTATIONS
    return tables.read(ANNOTATIONS, ANNOTATIONS)
