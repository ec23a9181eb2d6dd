"""Reference data kept by Finance and Engineering under `<root>/reference/`, validated on load.

Errors name the file, the column and the 1-based data rows (row 1 is the first line after the
header), so that a spreadsheet user can find the cell to fix.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, fields
from typing import Any

import polars as pl
import yaml

from cost_assets.errors import InputError
from cost_assets.sources.normalize import FIRST_ROWS, to_number
from cost_assets.sources.storage import SourceStore

REFERENCE_FOLDER = "reference"

TIERS = ("requests", "containers", "fixed", "fallback", "llm_tokens", "tag")
WORKER_UNITS = ("audio_hours", "requests", "tokens")
PRODUCT_UNITS = ("audio_hours", "tokens")
GPU_WEIGHTINGS = ("empirical", "aws_fixed")
ANNOTATIONS_FILE = "annotations.csv"
NO_ANNOTATIONS = pl.DataFrame(
    schema={"date": pl.Date, "worker": pl.String, "model": pl.String, "note": pl.String}
)
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


@dataclass(frozen=True)
class Settings:
    """Pipeline settings from `settings.yaml`; every key has a default."""

    product_tag_key: str = "product"
    fleet_tag_key: str = "fleet"
    gpu_weighting: str = "empirical"
    gpu_reference_family: str = "m5"
    excluded_charge_categories: tuple[str, ...] = ("Tax",)
    usage_window_days: int = 7
    language_window_days: int = 28
    # Worker trajectories: a worker is flagged when its cost per unit grew by more than
    # cost_growth_threshold (0.10 = 10 %) between the ends of the trailing window.
    trajectory_window_days: int = 7
    cost_growth_threshold: float = 0.10

    def as_dict(self) -> dict[str, Any]:
        """Plain values (lists, not tuples), for metadata and one-row tables."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in fields(self)
        }


@dataclass(frozen=True)
class Reference:
    """The reference tables, typed and validated.

    - workers: one row per worker (ECS service): cluster, fleet, is_daemon, gpus_per_task, unit.
    - worker_configs: the (product, model, language) each worker serves; language null = any.
    - product_calendar: per (product, model): unit, ga_date (cogs from then on), retired_date.
    - product_lines: per product: intensity_weight (requests tier) and fixed_split.
    - shared_services: per FOCUS x_ServiceCode: the tier that spreads its cost.
    - instance_types: per EC2 instance type: vcpu, memory_gib, gpus, on_demand_usd_per_hour.
    - annotations (optional file): dated notes on a worker, a model, or (both empty) on
      everything: migrations, launches, commitments, shown on the charts and the variance.
    """

    workers: pl.DataFrame
    worker_configs: pl.DataFrame
    product_calendar: pl.DataFrame
    product_lines: pl.DataFrame
    shared_services: pl.DataFrame
    instance_types: pl.DataFrame
    annotations: pl.DataFrame = field(default_factory=lambda: NO_ANNOTATIONS)
    settings: Settings = field(default_factory=Settings)
    versions: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Row counts and file versions, for Dagster metadata."""
        described: dict[str, Any] = {
            f"{f.name}_rows": getattr(self, f.name).height
            for f in fields(self)
            if isinstance(getattr(self, f.name), pl.DataFrame)
        }
        described["file_versions"] = dict(self.versions)
        described["settings"] = self.settings.as_dict()
        return described


class _Table:
    """One reference CSV being validated: all cells as text, blanks as null."""

    def __init__(self, store: SourceStore, name: str, columns: list[str]) -> None:
        self.key = f"{REFERENCE_FOLDER}/{name}"
        self.file = store.uri(self.key)
        if not store.exists(self.key):
            raise InputError("reference file is missing", file=self.file)
        try:
            frame = pl.read_csv(io.BytesIO(store.read_bytes(self.key)), infer_schema=False)
        except Exception as exc:  # polars raises several types for malformed CSV
            raise InputError(f"cannot read CSV ({type(exc).__name__})", file=self.file) from None
        for column in columns:
            if column not in frame.columns:
                raise InputError("required column is missing", self.file, column)
        text = pl.col(pl.String).str.strip_chars()
        self.frame = frame.with_columns(pl.when(text != "").then(text).name.keep())

    def fail(self, message: str, column: str, mask: pl.Series | pl.Expr) -> None:
        """Raise when `mask` is true on any row, naming the first such rows."""
        mask = self.frame.select(mask).to_series() if isinstance(mask, pl.Expr) else mask
        mask = mask.fill_null(False)
        if mask.any():
            rows = (mask.arg_true() + 1).head(FIRST_ROWS).to_list()
            raise InputError(message, self.file, column, rows)

    def required(self, *columns: str) -> None:
        for column in columns:
            self.fail("value is empty", column, pl.col(column).is_null())

    def unique(self, *columns: str) -> None:
        key = list(columns)
        self.fail(f"duplicate {', '.join(key)}", key[0], pl.struct(key).is_duplicated())

    def one_of(self, column: str, allowed: tuple[str, ...]) -> None:
        message = f"value must be one of {', '.join(allowed)}"
        self.fail(message, column, pl.col(column).is_null() | ~pl.col(column).is_in(allowed))

    def boolean(self, column: str) -> None:
        text = pl.col(column).str.to_lowercase()
        invalid = text.is_null() | ~text.is_in(_TRUE + _FALSE)
        self.fail("value must be true or false", column, invalid)
        self.frame = self.frame.with_columns(text.is_in(_TRUE).alias(column))

    def number(self, column: str, minimum: float | None = 0.0) -> None:
        values = to_number(self.frame.get_column(column), self.file)
        self.fail("value is empty", column, values.is_null())
        if minimum is not None:
            self.fail(f"value must be >= {minimum:g}", column, values < minimum)
        self.frame = self.frame.with_columns(values)

    def date(self, column: str, nullable: bool = False) -> None:
        values = self.frame.get_column(column)
        parsed = values.str.to_date("%Y-%m-%d", strict=False)
        self.fail(
            "value must be a date YYYY-MM-DD", column, values.is_not_null() & parsed.is_null()
        )
        if not nullable:
            self.required(column)
        self.frame = self.frame.with_columns(parsed)

    def known(self, column: str, other: pl.Series, other_file: str) -> None:
        missing = pl.col(column).is_not_null() & ~pl.col(column).is_in(other.implode())
        self.fail(f"value is not listed in {other_file}", column, missing)


def _workers(store: SourceStore) -> _Table:
    table = _Table(
        store, "workers.csv", ["worker", "cluster", "fleet", "is_daemon", "gpus_per_task", "unit"]
    )
    table.required("worker", "cluster", "fleet")
    table.unique("worker")
    table.boolean("is_daemon")
    table.number("gpus_per_task")
    table.one_of("unit", WORKER_UNITS)
    return table


def _product_lines(store: SourceStore) -> _Table:
    table = _Table(store, "product_lines.csv", ["product", "intensity_weight", "fixed_split"])
    table.required("product")
    table.unique("product")
    table.number("intensity_weight")
    table.boolean("fixed_split")
    return table


def _worker_configs(store: SourceStore, workers: _Table, products: _Table) -> _Table:
    table = _Table(store, "worker_configs.csv", ["worker", "product", "model", "language"])
    table.required("worker", "product", "model")
    table.known("worker", workers.frame.get_column("worker"), "workers.csv")
    table.known("product", products.frame.get_column("product"), "product_lines.csv")
    table.unique("worker", "product", "model", "language")
    return table


def _product_calendar(store: SourceStore) -> _Table:
    columns = ["product", "model", "unit", "ga_date", "retired_date"]
    table = _Table(store, "product_calendar.csv", columns)
    table.required("product", "model")
    table.unique("product", "model")
    table.one_of("unit", PRODUCT_UNITS)
    table.date("ga_date")
    table.date("retired_date", nullable=True)
    return table


def _shared_services(store: SourceStore) -> _Table:
    table = _Table(store, "shared_services.csv", ["service_code", "tier"])
    table.required("service_code")
    table.unique("service_code")
    table.one_of("tier", TIERS)
    return table


def _instance_types(store: SourceStore) -> _Table:
    columns = ["instance_type", "vcpu", "memory_gib", "gpus", "on_demand_usd_per_hour"]
    table = _Table(store, "instance_types.csv", columns)
    table.required("instance_type")
    table.unique("instance_type")
    for column in columns[1:]:
        table.number(column)
    return table


def _settings(store: SourceStore) -> Settings:
    key = f"{REFERENCE_FOLDER}/settings.yaml"
    file = store.uri(key)
    if not store.exists(key):
        return Settings()
    try:
        raw = yaml.safe_load(store.read_bytes(key)) or {}
    except yaml.YAMLError:
        raise InputError("settings are not valid YAML", file=file) from None
    if not isinstance(raw, dict):
        raise InputError("settings must be a mapping of key: value", file=file)

    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name not in raw or raw[f.name] is None:
            continue
        value = raw[f.name]
        default = getattr(defaults, f.name)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError("value must be a list of strings", file, f.name)
            value = tuple(value)
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InputError("value must be a number >= 0", file, f.name)
            value = float(value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError("value must be a whole number >= 1", file, f.name)
        elif not isinstance(value, str) or not value:
            raise InputError("value must be a non-empty string", file, f.name)
        values[f.name] = value
    settings = Settings(**values)
    if settings.gpu_weighting not in GPU_WEIGHTINGS:
        message = f"value must be one of {', '.join(GPU_WEIGHTINGS)}"
        raise InputError(message, file, "gpu_weighting")
    return settings


def _annotations(store: SourceStore, workers: _Table, models: pl.Series) -> pl.DataFrame:
    """The optional annotations: one dated note per row on a worker, a model or everything."""
    if not store.exists(f"{REFERENCE_FOLDER}/{ANNOTATIONS_FILE}"):
        return NO_ANNOTATIONS
    table = _Table(store, ANNOTATIONS_FILE, ["date", "worker", "model", "note"])
    table.required("note")
    table.date("date")
    table.known("worker", workers.frame.get_column("worker"), "workers.csv")
    table.known("model", models, "product_calendar.csv or worker_configs.csv")
    return table.frame.select(NO_ANNOTATIONS.columns).cast(NO_ANNOTATIONS.schema).sort("date")


def load_reference(store: SourceStore) -> Reference:
    """Read and validate every reference file; the first problem found is an InputError."""
    workers = _workers(store)
    product_lines = _product_lines(store)
    worker_configs = _worker_configs(store, workers, product_lines)
    product_calendar = _product_calendar(store)
    shared_services = _shared_services(store)
    instance_types = _instance_types(store)
    settings = _settings(store)
    models = pl.concat(
        [worker_configs.frame.get_column("model"), product_calendar.frame.get_column("model")]
    )
    annotations = _annotations(store, workers, models)

    tables = [workers, worker_configs, product_calendar, product_lines]
    tables += [shared_services, instance_types]
    versions = {}
    optional = [f"{REFERENCE_FOLDER}/{n}" for n in ("settings.yaml", ANNOTATIONS_FILE)]
    for key in [t.key for t in tables] + optional:
        info = store.info(key)
        if info is not None:
            versions[key.rsplit("/", 1)[-1]] = info.version
    return Reference(
        workers=workers.frame,
        worker_configs=worker_configs.frame,
        product_calendar=product_calendar.frame,
        product_lines=product_lines.frame,
        shared_services=shared_services.frame,
        instance_types=instance_types.frame,
        annotations=annotations,
        settings=settings,
        versions=versions,
    )
