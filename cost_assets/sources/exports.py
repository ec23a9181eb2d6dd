"""AWS Data Exports (FOCUS and CUR 2.0): which files make up a billing period's delivery, and
reading them into one normalised frame.

The layout is AWS's own, under `<root>/<kind>/<export-name>/`:
`data/BILLING_PERIOD=YYYY-MM/[<timestamp>-<execution-id>/]<export-name>-00001.snappy.parquet`
and `metadata/BILLING_PERIOD=YYYY-MM/[<timestamp>-<execution-id>/]<export-name>-Manifest.json`.
The manifest is written last and lists the current delivery's files: when there is one, exactly
those files are read (stale zero-row chunks of an overwrite delivery are left out, and only
the latest execution of a create-new-version delivery counts). Without a manifest the data
folder is listed instead, and the delivery says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import polars as pl

from cost_assets.errors import InputError
from cost_assets.sources.files import (
    Source,
    file_columns,
    parquet_rows,
    read_columns,
    read_file_source,
    readable,
)
from cost_assets.sources.normalize import FIRST_ROWS, normalize_frame, to_map
from cost_assets.sources.schemas import (
    EXPORT_COLUMNS,
    EXPORT_COLUMNS_USED,
    FOCUS_1_0_COST_CATEGORIES,
    FOCUS_1_0_USAGE_TYPE,
    MAP_DTYPE,
    empty_frame,
)
from cost_assets.sources.storage import ObjectInfo, SourceStore

ExportKind = Literal["focus", "cur"]

# Hours of a day, [first, last): a CUR day is read in slices of them.
Hours = tuple[int, int]
WHOLE_DAY: Hours = (0, 24)

_PERIOD_FOLDER = re.compile(r"^billing_period=(\d{4}-\d{2})$", re.IGNORECASE)
# Execution folders of create-new-version deliveries: AWS writes
# '2024-05-18T20:16:37.306Z-<uuid>'; some tools expect the compact '20250307T053621Z-<id>'.
_EXECUTION_FOLDER = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z|\d{8}T\d{6}Z)-(?P<id>.+)$"
)
_DATA_SUFFIXES = (".parquet", ".csv.gz", ".csv")
_MANIFEST_SUFFIX = "Manifest.json"


@dataclass(frozen=True)
class Delivery:
    """The files that make up one billing period of one export, as AWS last delivered it."""

    kind: ExportKind
    export_name: str
    billing_period: str
    manifest_key: str | None
    execution_id: str | None
    files: list[ObjectInfo] = field(default_factory=list)
    from_manifest: bool = True
    manifest_version: str | None = None
    # Rows in each file (by key), recorded when the delivery is read.
    file_rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """Which delivery was read, for Dagster metadata: manifest, execution and file tags."""
        described: dict[str, Any] = {
            "export": f"{self.kind}/{self.export_name}",
            "billing_period": self.billing_period,
            "manifest": self.manifest_key or "listed without manifest",
            "from_manifest": self.from_manifest,
            "file_count": len(self.files),
            "bytes": sum(f.size for f in self.files),
            "files": [
                {
                    "name": f.key.rsplit("/", 1)[-1],
                    "key": f.key,
                    "size": f.size,
                    "version": f.version,
                }
                for f in self.files
            ],
        }
        if self.manifest_version is not None:
            described["manifest_version"] = self.manifest_version
        if self.execution_id is not None:
            described["execution_id"] = self.execution_id
        return described


def find_export_names(store: SourceStore, kind: ExportKind) -> list[str]:
    """Names of the exports of one kind under the root (folders under `<kind>/`)."""
    return store.folders(kind)


def _period_folders(store: SourceStore, folder: str) -> dict[str, str]:
    """'YYYY-MM' -> the folder name that holds it (BILLING_PERIOD= in any case)."""
    found = {}
    for name in store.folders(folder):
        match = _PERIOD_FOLDER.match(name)
        if match:
            found[match.group(1)] = name
    return found


def billing_periods(store: SourceStore, kind: ExportKind, export_name: str) -> list[str]:
    """The billing periods ('YYYY-MM') that have a data folder in one export, sorted."""
    return sorted(_period_folders(store, f"{kind}/{export_name}/data"))


def execution_time(folder: str) -> datetime | None:
    """When an execution folder was written, from its name; None if it is not one."""
    match = _EXECUTION_FOLDER.match(folder)
    if not match:
        return None
    stamp = match.group("ts")
    if "-" in stamp:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _latest_execution(folders: Sequence[str]) -> str | None:
    timed = [(execution_time(f), f) for f in folders]
    timed = [(t, f) for t, f in timed if t is not None]
    return max(timed)[1] if timed else None


def _execution_id(folder: str) -> str | None:
    match = _EXECUTION_FOLDER.match(folder)
    return match.group("id") if match else None


def _children(objects: Sequence[ObjectInfo], folder: str) -> list[ObjectInfo]:
    """The objects directly inside `folder` (not in its sub-folders)."""
    return [o for o in objects if o.key.rsplit("/", 1)[0] == folder]


def _subfolders(objects: Sequence[ObjectInfo], folder: str) -> list[str]:
    start = len(folder) + 1
    return sorted({o.key[start:].split("/", 1)[0] for o in objects if "/" in o.key[start:]})


def _choose_export(store: SourceStore, kind: ExportKind, export_name: str | None) -> str | None:
    if export_name is not None:
        return export_name
    names = find_export_names(store, kind)
    if len(names) > 1:
        raise InputError(
            f"several {kind} exports under {store.uri(kind)} ({', '.join(names)}): "
            "name the one to read"
        )
    return names[0] if names else None


def _find_manifest(store: SourceStore, folder: str, export_name: str) -> ObjectInfo | None:
    """The period's manifest: the top-level one, unless execution folders hold a later
    execution than it names (two create-new executions written side by side); then the
    latest execution's."""
    objects = [o for o in store.list(folder) if o.key.endswith(_MANIFEST_SUFFIX)]
    top = _children(objects, folder)
    preferred = f"{folder}/{export_name}-{_MANIFEST_SUFFIX}"
    chosen = next((o for o in top if o.key == preferred), top[0] if top else None)
    latest = _latest_execution(_subfolders(objects, folder))
    inside = _children(objects, f"{folder}/{latest}") if latest is not None else []
    if not inside:
        return chosen
    if chosen is None or not _names_execution(store, chosen.key, latest):
        return inside[0]
    return chosen


def _names_execution(store: SourceStore, key: str, folder: str) -> bool:
    """Whether a top-level manifest describes the execution of `folder`. An unreadable one is
    kept (True), so that reading it reports the problem."""
    try:
        content = json.loads(store.read_bytes(key))
    except (InputError, ValueError, UnicodeDecodeError):
        return True
    if not isinstance(content, dict):
        return True
    if content.get("executionId") == _execution_id(folder):
        return True
    keys = content.get("reportKeys")
    return isinstance(keys, list) and any(isinstance(k, str) and f"/{folder}/" in k for k in keys)


def _read_manifest(store: SourceStore, key: str) -> dict[str, Any]:
    try:
        manifest = json.loads(store.read_bytes(key))
    except (ValueError, UnicodeDecodeError):
        raise InputError("manifest is not valid JSON", file=store.uri(key)) from None
    keys = manifest.get("reportKeys") if isinstance(manifest, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InputError("manifest has no reportKeys list of file keys", file=store.uri(key))
    return manifest


def _resolve(store: SourceStore, report_key: str, known: dict[str, ObjectInfo]) -> ObjectInfo:
    """The object a manifest's report key names: keys may carry the bucket and root prefix,
    so the longest trailing part of the key that exists under the root is taken."""
    key = report_key.removeprefix("s3://")
    parts = key.strip("/").split("/")
    suffixes = ["/".join(parts[i:]) for i in range(len(parts))]
    for suffix in suffixes:
        if suffix in known:
            return known[suffix]
    for suffix in suffixes:
        found = store.info(suffix)
        if found is not None:
            return found
    raise InputError(f"manifest lists file {report_key}, which does not exist")


def _from_manifest(
    store: SourceStore,
    kind: ExportKind,
    name: str,
    period: str,
    manifest: ObjectInfo,
    data_objects: Sequence[ObjectInfo],
) -> Delivery:
    content = _read_manifest(store, manifest.key)
    known = {o.key: o for o in data_objects}
    files: list[ObjectInfo] = []
    for report_key in dict.fromkeys(content["reportKeys"]):
        try:
            files.append(_resolve(store, report_key, known))
        except InputError as exc:
            raise InputError(exc.message, file=store.uri(manifest.key)) from None
    execution = content.get("executionId")
    if not isinstance(execution, str) or not execution:
        execution = _execution_id(manifest.key.rsplit("/", 2)[-2])
    return Delivery(kind, name, period, manifest.key, execution, files, True, manifest.version)


def _from_listing(
    kind: ExportKind, name: str, period: str, folder: str, data_objects: Sequence[ObjectInfo]
) -> Delivery:
    latest = _latest_execution(_subfolders(data_objects, folder))
    if latest is not None:
        folder = f"{folder}/{latest}"
    files = [o for o in _children(data_objects, folder) if o.key.endswith(_DATA_SUFFIXES)]
    execution = _execution_id(latest) if latest else None
    return Delivery(kind, name, period, None, execution, files, False)


def find_delivery(
    store: SourceStore, kind: ExportKind, billing_period: str, export_name: str | None = None
) -> Delivery | None:
    """The files of one billing period's latest delivery, or None when it has no data folder.

    With no `export_name`, the kind must hold exactly one export. The manifest decides which
    files count; without one, the data folder (its latest execution folder, if any) is listed.
    """
    name = _choose_export(store, kind, export_name)
    if name is None:
        return None
    data_folder = _period_folders(store, f"{kind}/{name}/data").get(billing_period)
    if data_folder is None:
        return None
    data_path = f"{kind}/{name}/data/{data_folder}"
    data_objects = store.list(data_path)

    meta_folder = _period_folders(store, f"{kind}/{name}/metadata").get(billing_period)
    manifest = None
    if meta_folder is not None:
        manifest = _find_manifest(store, f"{kind}/{name}/metadata/{meta_folder}", name)
    if manifest is not None:
        return _from_manifest(store, kind, name, billing_period, manifest, data_objects)
    return _from_listing(kind, name, billing_period, data_path, data_objects)


# Reading ---------------------------------------------------------------------------------


_SPARE = "__cost_assets_spare__"


def _merge_maps(first: str, second: str) -> pl.Expr:
    """Entries of map column `first` followed by those of `second`; null only if both are."""
    empty = pl.lit([], dtype=MAP_DTYPE)
    both = pl.col(first).fill_null(empty).list.concat(pl.col(second).fill_null(empty))
    neither = pl.col(first).is_null() & pl.col(second).is_null()
    return pl.when(neither).then(None).otherwise(both).alias(first)


def read_export_file(
    store: SourceStore,
    kind: ExportKind,
    obj: ObjectInfo,
    columns: Sequence[str],
    day: date | None = None,
    hours: Hours = WHOLE_DAY,
) -> tuple[pl.DataFrame, int]:
    """One data file (Parquet or gzip CSV) as a normalised frame of `columns`, and the file's
    row count.

    With ``day``, a Parquet file yields only the rows that day reads (``rows_for_day``), and
    only their row groups are decoded. Bad input is still named by the file's own row: a
    filtered read that fails is repeated over the whole file, whose error names it.
    """
    uri = store.uri(obj.key)
    data = read_file_source(store, obj.key)
    fmt, present = file_columns(data, uri)

    # Canonical names: exact match first, else a case-insensitive one.
    by_lower = {c.lower(): c for c in reversed(present)}
    actual = {n: n if n in present else by_lower.get(n.lower()) for n in columns}
    extra: dict[str, str] = {}
    if kind == "focus":
        if "SkuMeter" in actual and actual["SkuMeter"] is None:
            actual["SkuMeter"] = by_lower.get(FOCUS_1_0_USAGE_TYPE.lower())
        categories = by_lower.get(FOCUS_1_0_COST_CATEGORIES.lower())
        if "Tags" in actual and categories:
            extra[FOCUS_1_0_COST_CATEGORIES] = categories
    if kind == "cur" and "product_region_code" in actual and actual["product_region_code"] is None:
        product = by_lower.get("product")
        if product:
            extra["product"] = product

    wanted = [a for a in actual.values() if a] + list(extra.values())
    wanted = list(dict.fromkeys(wanted or present[:1]))  # one column keeps the row count
    if day is not None and fmt == "parquet":
        names = {n: a for n, a in actual.items() if a}
        rows = _day_predicate(kind, day, data, names, hours)
        if rows is not None:
            try:
                raw = read_columns(data, fmt, wanted, uri, rows)
                return _normalized(kind, raw, actual, extra, columns, uri), parquet_rows(data)
            except InputError:
                pass  # read again below, whole, so that the error names the file's row
    raw = read_columns(data, fmt, wanted, uri)
    return _normalized(kind, raw, actual, extra, columns, uri), raw.height


def _normalized(
    kind: ExportKind,
    raw: pl.DataFrame,
    actual: dict[str, str | None],
    extra: dict[str, str],
    columns: Sequence[str],
    uri: str,
) -> pl.DataFrame:
    """A file's raw columns under their canonical names and types, checked."""
    # Series renamed one by one: no copy of the data (a frame-level select would copy it).
    renamed = pl.DataFrame([raw.get_column(a).alias(n) for n, a in actual.items() if a])
    frame = normalize_frame(renamed, EXPORT_COLUMNS[kind], list(columns), uri, raw.height)

    # FOCUS 1.0: cost categories became tags in 1.2.
    if FOCUS_1_0_COST_CATEGORIES in extra:
        categories = to_map(raw.get_column(extra[FOCUS_1_0_COST_CATEGORIES]), uri)
        frame = frame.with_columns(categories.alias(_SPARE))
        frame = frame.with_columns(_merge_maps("Tags", _SPARE)).drop(_SPARE)
    # CUR without the static region column: the product map's region stands in.
    if "product" in extra:
        product = to_map(raw.get_column(extra["product"]), uri)
        frame = frame.with_columns(product.alias(_SPARE))
        region = tag_value(_SPARE, "region").alias("product_region_code")
        frame = frame.with_columns(region).drop(_SPARE)
    if kind == "focus":
        _check_charge_periods(frame, uri)
    return frame


def _day_predicate(
    kind: ExportKind, day: date, data: Source, names: dict[str, str], hours: Hours = WHOLE_DAY
) -> pl.Expr | None:
    """The predicate of ``rows_for_day`` on a Parquet file's own column names, or None when
    the file must be read whole: its timestamps are not timestamps, or (FOCUS) some row
    breaks a charge-period rule, which only the whole file can report."""
    scan = pl.scan_parquet(readable(data), hive_partitioning=False)
    schema = scan.collect_schema()
    rows = rows_for_day(kind, day, schema, names, hours)
    if rows is None or kind == "cur":
        return rows
    period = [n for n in _PERIOD_COLUMNS if n in names]
    if not all(isinstance(schema[names[n]], pl.Datetime) for n in period):
        return None
    rules = [mask.fill_null(False) for _, _, mask in _period_rules(period)]
    if rules:
        renamed = scan.select([pl.col(names[n]).alias(n) for n in period])
        if renamed.select(pl.any_horizontal(rules).any()).collect().item():
            return None
    return rows


_PERIOD_COLUMNS = ("BillingPeriodStart", "ChargePeriodStart", "ChargePeriodEnd")


def _period_rules(columns: Sequence[str]) -> list[tuple[str, str, pl.Expr]]:
    """The charge-period rules that apply to ``columns``: (message, column named, mask of the
    rows that break it). Every charge has a period; it cannot start or end after its billing
    period ends (corrections point back, never forward), nor end before it starts."""
    start, end = pl.col("ChargePeriodStart"), pl.col("ChargePeriodEnd")
    # A charge without a period belongs to no day: its dollars would vanish unseen.
    rules = [
        ("charge period is empty", c, pl.col(c).is_null())
        for c in ("ChargePeriodStart", "ChargePeriodEnd")
        if c in columns
    ]
    if "ChargePeriodStart" in columns and "BillingPeriodStart" in columns:
        period_end = once_for_the_common_value(
            pl.col("BillingPeriodStart"), lambda start: start.dt.offset_by("1mo")
        )
        message = "charge period starts after its billing period ends"
        rules.append((message, "ChargePeriodStart", start >= period_end))
        # A day reads its own period's delivery and later ones, never earlier ones: a charge
        # running past its period's end would lose the part after it.
        if "ChargePeriodEnd" in columns:
            message = "charge period runs past the end of its billing period"
            rules.append((message, "ChargePeriodEnd", (end > period_end) & (start < period_end)))
    if "ChargePeriodStart" in columns and "ChargePeriodEnd" in columns:
        rules.append(("charge period ends before it starts", "ChargePeriodEnd", end < start))
    return rules


def _check_charge_periods(frame: pl.DataFrame, uri: str) -> None:
    """An InputError naming the first rows that break a charge-period rule, if any do."""
    rules = _period_rules(frame.columns)
    # All rules in one lazy pass (an eager select would copy every column of the frame).
    broken = frame.lazy().select(
        [m.fill_null(False).alias(str(n)) for n, (_, _, m) in enumerate(rules)]
    )
    for (message, column, _), rows in zip(rules, broken.collect().get_columns(), strict=True):
        if rows.any():
            raise InputError(message, uri, column, _first_rows(rows))


def _first_rows(mask: pl.Series) -> list[int]:
    return (mask.arg_true() + 1).head(FIRST_ROWS).to_list()


def read_export(
    store: SourceStore,
    delivery: Delivery,
    columns: Sequence[str] | None = None,
    source_column: str | None = None,
    day: date | None = None,
    hours: Hours = WHOLE_DAY,
) -> pl.DataFrame:
    """Every file of a delivery, normalised (see `schemas`) and stacked; with ``day``, only
    the rows that day reads (see ``read_export_file``). Each file's row count is recorded in
    ``delivery.file_rows``.

    `columns` defaults to what the pipeline uses (FOCUS_COLUMNS_USED or CUR_COLUMNS_USED);
    only those are decoded. Extra columns in the files are ignored. With `source_column`,
    each row also carries the key of the file it came from, in that column (categorical:
    one code per row, not one string).
    """
    names = list(columns) if columns is not None else EXPORT_COLUMNS_USED[delivery.kind]
    frames = []
    for obj in delivery.files:
        frame, file_rows = read_export_file(store, delivery.kind, obj, names, day, hours)
        delivery.file_rows[obj.key] = file_rows
        if source_column is not None:
            frame = frame.with_columns(pl.lit(obj.key, dtype=pl.Categorical).alias(source_column))
        frames.append(frame)
    if not frames:
        frame = empty_frame(EXPORT_COLUMNS[delivery.kind], names)
        if source_column is not None:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Categorical).alias(source_column))
        return frame
    return pl.concat(frames, how="vertical")


# Helpers for the readers' users -----------------------------------------------------------


def tag_value(column: str, key: str) -> pl.Expr:
    """The value of `key` in a normalised map column (null when absent; first if repeated)."""
    return (
        pl.col(column)
        .list.filter(pl.element().struct.field("key") == key)
        .list.first()
        .struct.field("value")
        .alias(key)
    )


_EC2_ARN = r"^arn:aws[a-z-]*:ec2:[^:]*:[^:]*:[a-z-]+/(.+)$"


def normalize_resource_id(expr: pl.Expr) -> pl.Expr:
    """Resource ids as CUR writes them: an EC2 ARN ('arn:aws:ec2:…:instance/i-…') becomes its
    bare id ('i-…'); other ids and ARNs are unchanged; '' becomes null."""
    text = expr.str.strip_chars()
    # Where no id is an ARN (CUR's parents) the rule is skipped: Polars does not evaluate a
    # when-branch that no row takes. The id is extracted rather than substituted: cheaper.
    ec2_id = pl.coalesce(text.str.extract(_EC2_ARN, 1), text)
    return blank_as_null(pl.when(text.str.starts_with("arn:")).then(ec2_id).otherwise(text))


def once_for_the_common_value(column: pl.Expr, rule: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``rule(column)``, computed once for the rows that hold the column's first value and row
    by row for the others: for calendar rules on a column that barely varies (a billing
    period's start), whose row-by-row arithmetic would cost more than the rest of a scan."""
    first = column.first()
    return pl.when(column == first).then(rule(first)).otherwise(rule(column))


def blank_as_null(expr: pl.Expr) -> pl.Expr:
    """``expr`` with '' as null (after stripping, as ids are compared)."""
    return expr.replace("", None)


# The deliveries of one day ----------------------------------------------------------------

# Restatements and corrections for a day can arrive in the two billing periods after its own.
LATER_PERIODS_READ = 2


def billing_periods_for(day: date) -> list[str]:
    """The billing periods whose deliveries may hold charges of ``day``: its own, then later."""
    periods = []
    year, month = day.year, day.month
    for _ in range(LATER_PERIODS_READ + 1):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def read_export_for_day(
    store: SourceStore,
    kind: ExportKind,
    day: date,
    source_column: str | None = None,
    columns: Sequence[str] | None = None,
    hours: Hours = WHOLE_DAY,
) -> tuple[pl.DataFrame | None, list[Delivery]]:
    """The rows ``day`` reads (see ``rows_for_day``) of the deliveries that may hold its
    charges, and those deliveries.

    With ``source_column``, each row also names the file it came from; ``columns`` defaults to
    what the pipeline uses (see ``read_export``). ``hours`` narrows a CUR read to the rows
    whose usage starts in those hours of the day (Parquet files only: others are read whole).
    """
    deliveries = [
        d for p in billing_periods_for(day) if (d := find_delivery(store, kind, p)) is not None
    ]
    frames = [read_export(store, d, columns, source_column, day, hours) for d in deliveries]
    return (pl.concat(frames, how="vertical_relaxed") if frames else None), deliveries


def _instant(moment: datetime, dtype: pl.DataType) -> pl.Expr:
    """``moment`` (UTC) as a literal of a file's own timestamp dtype, so that a comparison
    with the raw column reaches the Parquet row-group statistics without a cast."""
    if dtype.time_zone is None:  # type: ignore[attr-defined]
        moment = moment.replace(tzinfo=None)
    return pl.lit(moment).cast(dtype)


def hour_bounds(day: date, hours: Hours = WHOLE_DAY) -> tuple[datetime, datetime]:
    """The UTC instants where ``hours`` of ``day`` start and end."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(hours=hours[0]), midnight + timedelta(hours=hours[1])


def day_rows(
    kind: ExportKind,
    day: date,
    schema: pl.Schema,
    names: dict[str, str] | None = None,
    hours: Hours = WHOLE_DAY,
) -> pl.Expr | None:
    """A predicate on a file's raw columns that keeps at least the rows a day uses: FOCUS rows
    whose charge period touches the day, CUR rows whose usage starts on it (in ``hours``).
    ``names`` maps canonical column names to the file's own (the same when omitted). None
    when the columns are not timestamps (CSV text), which cannot be filtered before decoding."""
    if kind == "focus" and hours != WHOLE_DAY:
        raise ValueError("FOCUS rows are read for a whole day")
    start, end = hour_bounds(day, hours)
    canonical = (
        ("ChargePeriodStart", "ChargePeriodEnd")
        if kind == "focus"
        else ("line_item_usage_start_date",)
    )
    columns = [(names or {}).get(n, n) for n in canonical]
    dtypes = [schema.get(n) for n in columns]
    if not all(isinstance(d, pl.Datetime) for d in dtypes):
        return None
    if kind == "cur":
        usage_start = pl.col(columns[0])
        return (usage_start >= _instant(start, dtypes[0])) & (
            usage_start < _instant(end, dtypes[0])
        )
    charge_start, charge_end = pl.col(columns[0]), pl.col(columns[1])
    return (charge_start < _instant(end, dtypes[0])) & (charge_end >= _instant(start, dtypes[1]))


def month_start(day: date, months_back: int = 0) -> datetime:
    """Midnight UTC of the first day of ``day``'s month, ``months_back`` months earlier."""
    index = day.year * 12 + day.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def earliest_charge_read(day: date) -> datetime:
    """The start of the earliest billing period whose charges a delivery read for ``day`` can
    hold and some day still reads: ``LATER_PERIODS_READ`` periods before the day's own."""
    return month_start(day, LATER_PERIODS_READ)


def rows_for_day(
    kind: ExportKind,
    day: date,
    schema: pl.Schema,
    names: dict[str, str] | None = None,
    hours: Hours = WHOLE_DAY,
) -> pl.Expr | None:
    """What a day reads of a file: its rows (``day_rows``) and, of FOCUS, the rows dated
    too far back for any day to read them (counted as out of reach, see ``oddities``)."""
    rows = day_rows(kind, day, schema, names, hours)
    if rows is None or kind == "cur":
        return rows
    end = (names or {}).get("ChargePeriodEnd", "ChargePeriodEnd")
    return rows | (pl.col(end) <= _instant(earliest_charge_read(day), schema[end]))
