"""Where the sources and the warehouse live: local folders by default, S3 in production."""

from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from cost_assets.sources.storage import SourceStore, open_store
from cost_assets.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = str(REPO_ROOT / "sample_exports")
DEFAULT_WAREHOUSE = str(REPO_ROOT / "warehouse")


class CostAssetsStorage(dg.ConfigurableResource):
    """The sources root (AWS exports, usage, reference data) and the warehouse root.

    Either may be a local folder or an ``s3://bucket/prefix`` URL; S3 is reached through the
    ``s3`` resource, which honours the standard AWS variables (``AWS_PROFILE``,
    ``AWS_REGION``, ``AWS_ENDPOINT_URL_S3``, …).
    """

    sources: str = DEFAULT_SOURCES
    warehouse: str = DEFAULT_WAREHOUSE
    s3: S3Resource

    def _client(self, root: str):
        return self.s3.get_client() if root.startswith("s3://") else None

    def source_store(self) -> SourceStore:
        return open_store(self.sources, s3_client=self._client(self.sources))

    def tables(self) -> Warehouse:
        return Warehouse(self.warehouse, s3_client=self._client(self.warehouse))


def storage_from_environment() -> CostAssetsStorage:
    """The storage resource configured by COST_ASSETS_SOURCES and COST_ASSETS_WAREHOUSE."""
    import os

    s3 = S3Resource(max_attempts=8, region_name=os.environ.get("AWS_REGION"))
    return CostAssetsStorage(
        sources=os.environ.get("COST_ASSETS_SOURCES", DEFAULT_SOURCES),
        warehouse=os.environ.get("COST_ASSETS_WAREHOUSE", DEFAULT_WAREHOUSE),
        s3=s3,
    )
