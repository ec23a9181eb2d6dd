"""Write FOCUS and CUR frames as AWS Data Exports deliver them: chunks, manifests, quirks.

The frames given here are *logical*: a few columns of the rows a test or the generator cares
about. ``focus_frame`` and ``cur_frame`` fill every other column of the export with null or a
sensible constant and cast each to the export's type; the writers lay the result out as a
delivery under a sources root (SPEC 2.1), in overwrite or create-new-version mode, as Snappy
Parquet with real map columns or as gzip CSV with maps as JSON text.

Map columns may be given as ``List(Struct({"key", "value"}))`` (how the readers normalise
them) or as a ``Struct`` whose fields are the keys (what ``pl.DataFrame`` makes from dicts;
null fields are dropped).
"""

import gzip
import io
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cost_assets.sample.schemas import (
    CUR_SCHEMA,
    FOCUS_1_0_SCHEMA,
    FOCUS_1_2_SCHEMA,
    MAP_COLUMNS,
    athena_type,
)

ACCOUNT_ID = "111122223333"
ACCOUNT_NAME = "speech-prod"
PAYER_NAME = "cost-assets-demo"
FOCUS_EXPORT = "cost-assets-focus"
CUR_EXPORT = "cost-assets-cur"

Mode = Literal["overwrite", "create_new"]
Format = Literal["parquet", "csv"]

# FOCUS ServiceName and ServiceCategory/Subcategory per x_ServiceCode.
SERVICES: dict[str, tuple[str, str, str]] = {
    "AmazonEC2": ("Amazon Elastic Compute Cloud", "Compute", "Virtual Machines"),
    "AmazonECS": ("Amazon Elastic Container Service", "Compute", "Containers"),
    "ComputeSavingsPlans": ("Savings Plans for AWS Compute usage", "Compute", "Other (Compute)"),
    "AWSELB": ("Elastic Load Balancing", "Networking", "Load Balancing"),
    "AmazonApiGateway": ("Amazon API Gateway", "Web", "API Management"),
    "AmazonECR": ("Amazon EC2 Container Registry (ECR)", "Compute", "Containers"),
    "AmazonCloudWatch": ("AmazonCloudWatch", "Management and Governance", "Observability"),
    "AWSCloudTrail": ("AWS CloudTrail", "Management and Governance", "Logging"),
    "AWSSupportBusiness": ("AWS Support (Business)", "Other", "Support"),
    "AmazonS3": ("Amazon Simple Storage Service", "Storage", "Object Storage"),
    "AmazonDynamoDB": ("Amazon DynamoDB", "Databases", "NoSQL Databases"),
    "AmazonBedrock": ("Amazon Bedrock", "AI and Machine Learning", "Generative AI"),
}

REGION_NAMES: dict[str, str] = {
    "us-west-2": "US West (Oregon)",
    "us-east-1": "US East (N. Virginia)",
    "eu-west-1": "Europe (Ireland)",
}


def period_bounds(billing_period: str) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of a billing period 'YYYY-MM', in UTC."""
    year, month = (int(p) for p in billing_period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _iso_ms(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


# ---------------------------------------------------------------------------------------------
# Filling and casting logical frames
# ---------------------------------------------------------------------------------------------


def _polars_type(data_type: pa.DataType) -> pl.DataType:
    if pa.types.is_map(data_type):
        value = pl.Float64 if pa.types.is_floating(data_type.item_type) else pl.String
        return pl.List(pl.Struct({"key": pl.String, "value": value}))
    if pa.types.is_timestamp(data_type):
        return pl.Datetime("ms", data_type.tz)
    if pa.types.is_floating(data_type):
        return pl.Float64
    return pl.String


def _as_map(frame: pl.DataFrame, name: str, target: pl.DataType) -> pl.Expr:
    dtype = frame.schema[name]
    if isinstance(dtype, pl.Struct):
        entries = [
            pl.struct(
                pl.lit(field.name).alias("key"),
                pl.col(name).struct.field(field.name).alias("value"),
            )
            for field in dtype.fields
        ]
        if not entries:
            return pl.lit(None, dtype=target).alias(name)
        return (
            pl.concat_list(entries)
            .list.eval(pl.element().filter(pl.element().struct.field("value").is_not_null()))
            .cast(target)
            .alias(name)
        )
    return pl.col(name).cast(target)


def _cast(frame: pl.DataFrame, schema: pa.Schema) -> pl.DataFrame:
    """Every column of ``schema`` in its order and Polars type; missing ones null."""
    exprs = []
    for field in schema:
        target = _polars_type(field.type)
        name = field.name
        if name not in frame.columns or frame.schema[name] == pl.Null:
            exprs.append(pl.lit(None, dtype=target).alias(name))
        elif field.name in MAP_COLUMNS:
            exprs.append(_as_map(frame, name, target))
        elif isinstance(target, pl.Datetime):
            col = pl.col(name)
            if getattr(frame.schema[name], "time_zone", None) is None:
                col = col.dt.replace_time_zone("UTC")
            else:
                col = col.dt.convert_time_zone("UTC")
            if target.time_zone is None:
                col = col.dt.replace_time_zone(None)
            exprs.append(col.dt.cast_time_unit("ms").alias(name))
        else:
            exprs.append(pl.col(name).cast(target).alias(name))
    return frame.select(exprs)


def _coalesce(frame: pl.DataFrame, name: str, *fallbacks: pl.Expr) -> pl.Expr:
    own = [pl.col(name)] if name in frame.columns and frame.schema[name] != pl.Null else []
    return pl.coalesce([*own, *fallbacks]).alias(name)


def focus_frame(
    df: pl.DataFrame, billing_period: str | None = None, version: str = "1.2"
) -> pl.DataFrame:
    """A FOCUS export table from logical rows: all 60 (1.2) or 48 (1.0) columns, in order.

    Not given: ``ChargePeriodEnd`` is an hour after ``ChargePeriodStart``; the billing period is
    ``billing_period`` (else the month of the charge period); ``BilledCost``, ``ListCost``,
    ``ContractedCost`` equal ``EffectiveCost``; provider, account, currency and service names
    take the sample company's constants. Map columns stay ``List(Struct(key, value))``.
    """
    base = df.with_columns(
        pl.col(c).cast(pl.Float64) for c in ("EffectiveCost", "BilledCost") if c in df.columns
    )
    start = pl.col("ChargePeriodStart")
    if base.schema["ChargePeriodStart"].time_zone is None:  # type: ignore[union-attr]
        base = base.with_columns(start.dt.replace_time_zone("UTC"))
    else:
        base = base.with_columns(start.dt.convert_time_zone("UTC"))
    if billing_period is not None:
        period_start, period_end = period_bounds(billing_period)
        period_start_expr = pl.lit(period_start).dt.cast_time_unit("us")
        period_end_expr = pl.lit(period_end).dt.cast_time_unit("us")
    else:
        period_start_expr = start.dt.truncate("1mo")
        period_end_expr = start.dt.truncate("1mo").dt.offset_by("1mo")
    service = (
        pl.col("x_ServiceCode") if "x_ServiceCode" in base.columns else pl.lit(None, pl.String)
    )
    effective = _coalesce(
        base,
        "EffectiveCost",
        pl.col("BilledCost") if "BilledCost" in base.columns else pl.lit(None),
        pl.lit(0.0),
    )
    base = base.with_columns(effective)
    region = pl.col("RegionId") if "RegionId" in base.columns else pl.lit(None, dtype=pl.String)
    filled = base.with_columns(
        _coalesce(base, "ChargePeriodEnd", start.dt.offset_by("1h")),
        _coalesce(base, "BillingPeriodStart", period_start_expr),
        _coalesce(base, "BillingPeriodEnd", period_end_expr),
        _coalesce(base, "BilledCost", pl.col("EffectiveCost")),
        _coalesce(base, "ListCost", pl.col("EffectiveCost")),
        _coalesce(base, "ContractedCost", pl.col("EffectiveCost")),
        _coalesce(base, "PricingCurrencyEffectiveCost", pl.col("EffectiveCost")),
        _coalesce(base, "BillingAccountId", pl.lit(ACCOUNT_ID)),
        _coalesce(base, "BillingAccountName", pl.lit(PAYER_NAME)),
        _coalesce(base, "BillingAccountType", pl.lit("Billing Account")),
        _coalesce(base, "BillingCurrency", pl.lit("USD")),
        _coalesce(base, "PricingCurrency", pl.lit("USD")),
        _coalesce(base, "ChargeCategory", pl.lit("Usage")),
        _coalesce(base, "ChargeFrequency", pl.lit("Usage-Based")),
        _coalesce(base, "InvoiceIssuerName", pl.lit("AWS")),
        _coalesce(base, "ProviderName", pl.lit("AWS")),
        _coalesce(base, "PublisherName", pl.lit("AWS")),
        _coalesce(base, "SubAccountId", pl.lit(ACCOUNT_ID)),
        _coalesce(base, "SubAccountName", pl.lit(ACCOUNT_NAME)),
        _coalesce(base, "SubAccountType", pl.lit("Linked Account")),
        _coalesce(base, "RegionName", region.replace_strict(REGION_NAMES, default=None)),
        _coalesce(
            base,
            "ServiceName",
            service.replace_strict({k: v[0] for k, v in SERVICES.items()}, default=service),
        ),
        _coalesce(
            base,
            "ServiceCategory",
            service.replace_strict({k: v[1] for k, v in SERVICES.items()}, default="Other"),
        ),
        _coalesce(
            base,
            "ServiceSubcategory",
            service.replace_strict({k: v[2] for k, v in SERVICES.items()}, default="Other (Other)"),
        ),
    )
    if version == "1.2":
        return _cast(filled, FOCUS_1_2_SCHEMA)
    if version != "1.0":
        raise ValueError(f"unknown FOCUS version {version!r}")
    if "SkuMeter" in filled.columns and "x_UsageType" not in filled.columns:
        filled = filled.with_columns(pl.col("SkuMeter").alias("x_UsageType"))
    return _cast(filled, FOCUS_1_0_SCHEMA)


def cur_frame(
    df: pl.DataFrame, billing_period: str | None = None, first_row: int = 0
) -> pl.DataFrame:
    """A CUR 2.0 table from logical rows: every column of ``CUR_SCHEMA``, in order.

    Not given: usage end an hour after usage start, the billing period from ``billing_period``
    (else the month of usage start), ``identity_time_interval`` from the usage dates, a
    ``identity_line_item_id`` from the row position (counted from ``first_row``, for rows
    that continue a delivery), account and currency constants.
    """
    start = pl.col("line_item_usage_start_date")
    base = df
    if isinstance(base.schema["line_item_usage_start_date"], pl.Datetime):
        if base.schema["line_item_usage_start_date"].time_zone is not None:  # type: ignore[union-attr]
            base = base.with_columns(start.dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    base = base.with_columns(_coalesce(base, "line_item_usage_end_date", start.dt.offset_by("1h")))
    end = pl.col("line_item_usage_end_date")
    if isinstance(base.schema["line_item_usage_end_date"], pl.Datetime):
        if base.schema["line_item_usage_end_date"].time_zone is not None:  # type: ignore[union-attr]
            base = base.with_columns(end.dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    if billing_period is not None:
        period_start, period_end = period_bounds(billing_period)
        p_start = pl.lit(period_start.replace(tzinfo=None)).dt.cast_time_unit("us")
        p_end = pl.lit(period_end.replace(tzinfo=None)).dt.cast_time_unit("us")
        prefix = billing_period
    else:
        p_start = start.dt.truncate("1mo")
        p_end = start.dt.truncate("1mo").dt.offset_by("1mo")
        prefix = "cur"
    interval = pl.format(
        "{}/{}",
        start.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    filled = base.with_columns(
        _coalesce(base, "bill_billing_period_start_date", p_start),
        _coalesce(base, "bill_billing_period_end_date", p_end),
        _coalesce(base, "identity_time_interval", interval),
        _coalesce(
            base,
            "identity_line_item_id",
            pl.format(
                "{}-{}",
                pl.lit(prefix),
                pl.int_range(first_row, first_row + pl.len()).cast(pl.String),
            ),
        ),
        _coalesce(base, "bill_bill_type", pl.lit("Anniversary")),
        _coalesce(base, "bill_billing_entity", pl.lit("AWS")),
        _coalesce(base, "bill_invoicing_entity", pl.lit("Amazon Web Services, Inc.")),
        _coalesce(base, "bill_payer_account_id", pl.lit(ACCOUNT_ID)),
        _coalesce(base, "bill_payer_account_name", pl.lit(PAYER_NAME)),
        _coalesce(base, "line_item_usage_account_id", pl.lit(ACCOUNT_ID)),
        _coalesce(base, "line_item_usage_account_name", pl.lit(ACCOUNT_NAME)),
        _coalesce(base, "line_item_currency_code", pl.lit("USD")),
        _coalesce(base, "line_item_legal_entity", pl.lit("Amazon Web Services, Inc.")),
        _coalesce(base, "line_item_line_item_type", pl.lit("Usage")),
        _coalesce(base, "pricing_currency", pl.lit("USD")),
    )
    return _cast(filled, CUR_SCHEMA)


# ---------------------------------------------------------------------------------------------
# Arrow, Parquet and CSV
# ---------------------------------------------------------------------------------------------


def _map_array(column: pa.ChunkedArray, data_type: pa.MapType) -> pa.Array:
    lists = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    lists = lists.cast(pa.list_(pa.struct([("key", pa.string()), ("value", data_type.item_type)])))
    offsets = lists.offsets
    if len(offsets):
        offsets = pc.subtract(offsets, offsets[0])
    entries = lists.flatten()
    mask = lists.is_null() if lists.null_count else None
    return pa.MapArray.from_arrays(
        offsets, entries.field("key"), entries.field("value"), type=data_type, mask=mask
    )


def to_arrow(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """A filled export frame as an Arrow table with the export's exact types (real maps)."""
    table = frame.to_arrow()
    arrays = []
    for field in schema:
        column = table.column(field.name)
        if pa.types.is_map(field.type):
            arrays.append(_map_array(column, field.type))
        else:
            arrays.append(column.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _maps_as_json(frame: pl.DataFrame) -> pl.DataFrame:
    """Map columns as JSON object text, timestamps as ISO text: how CSV exports carry them."""
    exprs = []
    for name, dtype in frame.schema.items():
        if name in MAP_COLUMNS:
            # One JSON member per entry: '{"key":"k","value":v}' -> '"k":v', then braces.
            member = (
                pl.element()
                .struct.json_encode()
                .str.replace(r'^\{"key":(".*?"),"value":(.*)\}$', "$1:$2")
            )
            joined = pl.col(name).list.eval(member).list.join(",")
            exprs.append(pl.concat_str([pl.lit("{"), joined, pl.lit("}")]).alias(name))
        elif isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%.3fZ" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S%.3f"
            exprs.append(pl.col(name).dt.strftime(fmt))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def _write_chunk(path: Path, frame: pl.DataFrame, schema: pa.Schema, fmt: Format) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(to_arrow(frame, schema), path, compression="snappy")
        return
    text = io.BytesIO()
    _maps_as_json(frame).write_csv(text)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.getvalue())


class ChunkWriter:
    """One chunk file of a delivery, written piece by piece (each piece already filled).

    Parquet pieces become row groups of at most ``row_group_rows`` rows, evenly split; CSV
    pieces are appended under one header.
    """

    def __init__(
        self, path: Path, schema: pa.Schema, fmt: Format, row_group_rows: int | None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = schema
        self.rows = 0
        self._row_group_rows = row_group_rows
        self._parquet: pq.ParquetWriter | None = None
        self._raw: BinaryIO | None = None
        self._gzip: gzip.GzipFile | None = None
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(path, schema, compression="snappy")
        else:
            self._raw = open(path, "wb")  # closed by close()
            self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)

    def write(self, frame: pl.DataFrame) -> None:
        if self._parquet is not None:
            size = self._row_group_rows
            if size and frame.height > size:
                # Even row groups: 500,001 rows make two of 250,001, not 500,000 and one.
                groups = -(-frame.height // size)
                size = -(-frame.height // groups)
            self._parquet.write_table(to_arrow(frame, self.schema), row_group_size=size)
        elif self._gzip is not None:
            text = io.BytesIO()
            _maps_as_json(frame).write_csv(text, include_header=self.rows == 0)
            self._gzip.write(text.getvalue())
        self.rows += frame.height

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._gzip is not None and self._raw is not None:
            self._gzip.close()
            self._raw.close()


class Delivery:
    """One billing period's delivery of an export, written one chunk file at a time.

    ``write`` and ``chunk`` take logical rows (filled with ``fill``); ``close`` writes the
    stale zero-row chunks and then the manifest listing every chunk written, as AWS does
    once a delivery's data files are in place. Chunk numbers count from 00001 in the order
    written; CUR line item ids continue from one chunk to the next.
    """

    def __init__(
        self,
        root: Path | str,
        folder: str,
        export_name: str,
        billing_period: str,
        schema: pa.Schema,
        fill: Callable[[pl.DataFrame, int], pl.DataFrame],
        *,
        mode: Mode = "overwrite",
        fmt: Format = "parquet",
        execution_id: str | None = None,
        delivered_at: datetime | None = None,
        period_column: str,
        row_group_rows: int | None = None,
    ) -> None:
        if mode not in ("overwrite", "create_new"):
            raise ValueError(f"unknown mode {mode!r}")
        if fmt not in ("parquet", "csv"):
            raise ValueError(f"unknown format {fmt!r}")
        if mode == "create_new" and delivered_at is None:
            # The execution folder is named after the delivery time: it must be known first.
            raise ValueError("a create_new delivery needs delivered_at before its first chunk")
        self.root = Path(root)
        self.export_name = export_name
        self.billing_period = billing_period
        self.schema = schema
        self.fill = fill
        self.mode = mode
        self.fmt = fmt
        self.execution_id = execution_id
        self.delivered_at = delivered_at
        self.period_column = period_column
        self.row_group_rows = row_group_rows
        self.rows = 0
        self.keys: list[Path] = []
        self._latest: datetime | None = None
        self._empty: pl.DataFrame | None = None
        self._suffix = ".snappy.parquet" if fmt == "parquet" else ".csv.gz"
        partition = f"BILLING_PERIOD={billing_period}"
        self._data_dir = Path(folder) / export_name / "data" / partition
        self._meta_dir = Path(folder) / export_name / "metadata" / partition
        self._execution: str | None = None
        if mode == "create_new":
            self._execution = f"{_iso_ms(delivered_at)}-{self._execution_id()}"  # type: ignore[arg-type]
            self._data_dir = self._data_dir / self._execution

    def _execution_id(self) -> str:
        if self.execution_id is None:
            moment = _iso_ms(self._delivered_at())
            name = f"{self.export_name}/{self.billing_period}/{moment}"
            self.execution_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        return self.execution_id

    def _delivered_at(self) -> datetime:
        # Unless told, six hours after the latest charge the delivery holds.
        if self.delivered_at is None:
            self.delivered_at = (
                self._latest.replace(tzinfo=UTC) + timedelta(hours=6)
                if self._latest is not None
                else period_bounds(self.billing_period)[0]
            )
        return self.delivered_at

    def _next_key(self) -> Path:
        number = len(self.keys) + 1
        return self._data_dir / f"{self.export_name}-{number:05d}{self._suffix}"

    def _seen(self, frame: pl.DataFrame) -> None:
        if self._empty is None:
            self._empty = frame.clear()
        latest = frame.get_column(self.period_column).max() if frame.height else None
        if isinstance(latest, datetime) and (self._latest is None or latest > self._latest):
            self._latest = latest
        self.rows += frame.height

    def write_filled(self, frame: pl.DataFrame) -> Path:
        """Write one chunk file of rows already filled to the export's columns."""
        key = self._next_key()
        _write_chunk(self.root / key, frame, self.schema, self.fmt)
        self._seen(frame)
        self.keys.append(key)
        return self.root / key

    def write(self, df: pl.DataFrame) -> Path:
        """Write one chunk file of logical rows."""
        return self.write_filled(self.fill(df, self.rows))

    @contextmanager
    def chunk(self) -> Iterator[Callable[[pl.DataFrame], None]]:
        """One chunk file, written from the pieces of logical rows given to the callable."""
        key = self._next_key()
        writer = ChunkWriter(self.root / key, self.schema, self.fmt, self.row_group_rows)
        self.keys.append(key)

        def write_piece(df: pl.DataFrame) -> None:
            frame = self.fill(df, self.rows)
            writer.write(frame)
            self._seen(frame)

        try:
            yield write_piece
        finally:
            writer.close()

    def close(self, *, manifest: bool = True, stale_chunks: int = 0) -> list[Path]:
        """Write the stale chunks and the manifest; the chunk files then the manifest(s)."""
        if not self.keys:
            self.write_filled(self._empty_frame())
        # Overwrite mode: chunks of an earlier, longer delivery are overwritten with no rows.
        listed = len(self.keys)
        for number in range(listed + 1, listed + 1 + stale_chunks):
            stale = self._data_dir / f"{self.export_name}-{number:05d}{self._suffix}"
            _write_chunk(self.root / stale, self._empty_frame(), self.schema, self.fmt)

        written = [self.root / k for k in self.keys]
        if not manifest:
            return written
        period_start, period_end = period_bounds(self.billing_period)
        document = {
            "executionId": self._execution_id(),
            "billingPeriod": {"start": _iso_ms(period_start), "end": _iso_ms(period_end)},
            "reportKeys": [k.as_posix() for k in self.keys],
            "columns": [{"name": f.name, "type": athena_type(f.type)} for f in self.schema],
            "compression": "PARQUET" if self.fmt == "parquet" else "GZIP",
            "format": "PARQUET" if self.fmt == "parquet" else "TEXT_OR_CSV",
            "exportName": self.export_name,
        }
        text = json.dumps(document, indent=2) + "\n"
        manifest_name = f"{self.export_name}-Manifest.json"
        directories = [self._meta_dir]
        if self._execution is not None:
            directories.append(self._meta_dir / self._execution)
        for directory in directories:
            (self.root / directory).mkdir(parents=True, exist_ok=True)
            (self.root / directory / manifest_name).write_text(text)
            written.append(self.root / directory / manifest_name)
        return written

    def _empty_frame(self) -> pl.DataFrame:
        if self._empty is None:
            self._empty = pl.DataFrame(schema={f.name: _polars_type(f.type) for f in self.schema})
        return self._empty


def focus_delivery(
    root: Path | str,
    billing_period: str,
    *,
    mode: Mode = "overwrite",
    fmt: Format = "parquet",
    execution_id: str | None = None,
    version: Literal["1.2", "1.0"] = "1.2",
    export_name: str = FOCUS_EXPORT,
    delivered_at: datetime | None = None,
    row_group_rows: int | None = None,
) -> Delivery:
    """A FOCUS delivery of one billing period, to write chunk by chunk (see ``Delivery``)."""
    return Delivery(
        root,
        "focus",
        export_name,
        billing_period,
        FOCUS_1_2_SCHEMA if version == "1.2" else FOCUS_1_0_SCHEMA,
        lambda df, _: focus_frame(df, billing_period, version),
        mode=mode,
        fmt=fmt,
        execution_id=execution_id,
        delivered_at=delivered_at,
        period_column="ChargePeriodEnd",
        row_group_rows=row_group_rows,
    )


def cur_delivery(
    root: Path | str,
    billing_period: str,
    *,
    mode: Mode = "overwrite",
    fmt: Format = "parquet",
    execution_id: str | None = None,
    export_name: str = CUR_EXPORT,
    delivered_at: datetime | None = None,
    row_group_rows: int | None = None,
) -> Delivery:
    """A CUR 2.0 delivery of one billing period, to write chunk by chunk (see ``Delivery``)."""
    return Delivery(
        root,
        "cur",
        export_name,
        billing_period,
        CUR_SCHEMA,
        lambda df, first_row: cur_frame(df, billing_period, first_row),
        mode=mode,
        fmt=fmt,
        execution_id=execution_id,
        delivered_at=delivered_at,
        period_column="line_item_usage_end_date",
        row_group_rows=row_group_rows,
    )


def _write_delivery(
    root: Path | str,
    folder: str,
    export_name: str,
    billing_period: str,
    frame: pl.DataFrame,
    schema: pa.Schema,
    *,
    mode: Mode,
    fmt: Format,
    execution_id: str | None,
    manifest: bool,
    stale_chunks: int,
    rows_per_chunk: int | None,
    delivered_at: datetime | None,
    period_column: str,
) -> list[Path]:
    if delivered_at is None and frame.height:
        latest = frame.get_column(period_column).max()
        if isinstance(latest, datetime):
            delivered_at = latest.replace(tzinfo=UTC) + timedelta(hours=6)
    if delivered_at is None:
        delivered_at = period_bounds(billing_period)[0]
    delivery = Delivery(
        root,
        folder,
        export_name,
        billing_period,
        schema,
        lambda df, _: df,
        mode=mode,
        fmt=fmt,
        execution_id=execution_id,
        delivered_at=delivered_at,
        period_column=period_column,
    )
    size = rows_per_chunk or max(frame.height, 1)
    for chunk in [frame.slice(i, size) for i in range(0, frame.height, size)] or [frame.clear()]:
        delivery.write_filled(chunk)
    return delivery.close(manifest=manifest, stale_chunks=stale_chunks)


def write_focus_export(
    root: Path | str,
    billing_period: str,
    df: pl.DataFrame,
    *,
    mode: Mode = "overwrite",
    fmt: Format = "parquet",
    execution_id: str | None = None,
    version: Literal["1.2", "1.0"] = "1.2",
    manifest: bool = True,
    stale_chunks: int = 0,
    rows_per_chunk: int | None = None,
    export_name: str = FOCUS_EXPORT,
    delivered_at: datetime | None = None,
) -> list[Path]:
    """Deliver one billing period of FOCUS rows under ``root/focus/<export_name>/``.

    ``df`` holds logical rows (see ``focus_frame``). Returns the data files the manifest lists
    followed by the manifest(s) written. ``stale_chunks`` adds zero-row chunk files after the
    listed ones, as an overwrite delivery that needed fewer chunks than the last one leaves.
    """
    frame = focus_frame(df, billing_period, version)
    schema = FOCUS_1_2_SCHEMA if version == "1.2" else FOCUS_1_0_SCHEMA
    return _write_delivery(
        root,
        "focus",
        export_name,
        billing_period,
        frame,
        schema,
        mode=mode,
        fmt=fmt,
        execution_id=execution_id,
        manifest=manifest,
        stale_chunks=stale_chunks,
        rows_per_chunk=rows_per_chunk,
        delivered_at=delivered_at,
        period_column="ChargePeriodEnd",
    )


def write_cur_export(
    root: Path | str,
    billing_period: str,
    df: pl.DataFrame,
    *,
    mode: Mode = "overwrite",
    fmt: Format = "parquet",
    execution_id: str | None = None,
    manifest: bool = True,
    stale_chunks: int = 0,
    rows_per_chunk: int | None = None,
    export_name: str = CUR_EXPORT,
    delivered_at: datetime | None = None,
) -> list[Path]:
    """Deliver one billing period of CUR 2.0 rows under ``root/cur/<export_name>/``.

    ``df`` holds logical rows (see ``cur_frame``); the rest is as ``write_focus_export``.
    """
    frame = cur_frame(df, billing_period)
    return _write_delivery(
        root,
        "cur",
        export_name,
        billing_period,
        frame,
        CUR_SCHEMA,
        mode=mode,
        fmt=fmt,
        execution_id=execution_id,
        manifest=manifest,
        stale_chunks=stale_chunks,
        rows_per_chunk=rows_per_chunk,
        delivered_at=delivered_at,
        period_column="line_item_usage_end_date",
    )


SPEECH_USAGE_COLUMNS: dict[str, pl.DataType] = {
    "hour": pl.Datetime("us", "UTC"),
    "region": pl.String,
    "product": pl.String,
    "worker": pl.String,
    "model": pl.String,
    "language": pl.String,
    "audio_hours": pl.Float64,
    "requests": pl.Int64,
}
LLM_USAGE_COLUMNS: dict[str, pl.DataType] = {
    "hour": pl.Datetime("us", "UTC"),
    "region": pl.String,
    "product": pl.String,
    "worker": pl.String,
    "llm_model": pl.String,
    "input_tokens": pl.Int64,
    "output_tokens": pl.Int64,
    "requests": pl.Int64,
}


def write_usage(
    root: Path | str, kind: Literal["speech", "llm"], day: date | str, df: pl.DataFrame
) -> Path:
    """Write one UTC day of usage telemetry to ``root/usage/<kind>/date=<day>/part-0.parquet``.

    The SPEC 2.4 columns come first in their types (``hour`` as a UTC timestamp, a naive one
    taken as UTC); extra columns are kept after them.
    """
    columns = {"speech": SPEECH_USAGE_COLUMNS, "llm": LLM_USAGE_COLUMNS}[kind]
    frame = df
    if "hour" in frame.columns and getattr(frame.schema["hour"], "time_zone", 1) is None:
        frame = frame.with_columns(pl.col("hour").dt.replace_time_zone("UTC"))
    exprs = [
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in columns.items()
    ]
    frame = frame.select(exprs + [pl.col(c) for c in frame.columns if c not in columns])
    path = Path(root) / "usage" / kind / f"date={day}" / "part-0.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def read_manifest(path: Path | str) -> dict:
    """A manifest written by these writers, as a dict (for tests)."""
    return json.loads(Path(path).read_text())


def manifest_files(root: Path | str, manifest: dict) -> list[Path]:
    """The data files a manifest lists, as paths under ``root``."""
    return [Path(root) / key for key in manifest["reportKeys"]]


def chunk_paths(paths: Sequence[Path]) -> list[Path]:
    """The data files among the paths a writer returned (manifests left out)."""
    return [p for p in paths if not p.name.endswith("Manifest.json")]
