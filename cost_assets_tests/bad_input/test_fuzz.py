"""The readers, fuzzed: random malformed files, bytes and manifests. The only allowed outcomes
are a correct, normalised result or an InputError that names the input, within seconds."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_assets.errors import InputError
from cost_assets.sources.exports import find_delivery, read_export
from cost_assets.sources.reference import load_reference
from cost_assets.sources.schemas import (
    CUR_COLUMNS_USED,
    EXPORT_COLUMNS,
    FOCUS_COLUMNS_USED,
    USAGE_COLUMNS,
    empty_frame,
)
from cost_assets.sources.storage import open_store
from cost_assets.sources.usage import read_usage
from cost_assets_tests.sources.builders import (
    CUR_NAME,
    FOCUS_NAME,
    PERIOD,
    cur_table,
    data_key,
    focus_table,
    write_reference,
)

FUZZ = settings(
    max_examples=int(os.environ.get("COST_ASSETS_FUZZ_EXAMPLES", "40")),
    deadline=None,  # the alarm below is the limit
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("COST_ASSETS_FUZZ_EXAMPLES") is None,
)
SECONDS = 10


@contextmanager
def no_hang(seconds: int = SECONDS) -> Iterator[None]:
    """Fail instead of hanging: an alarm interrupts a read that takes too long."""

    def interrupt(*_: Any) -> None:
        raise TimeoutError(f"reader still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(read: Callable[[], Any], root: Path) -> Any:
    """The reader's result, or None when it raised an InputError naming a file under `root`
    in its message. Anything else propagates and fails the test."""
    with no_hang():
        try:
            return read()
        except InputError as error:
            assert error.file, f"InputError names no file: {error}"
            assert error.file.startswith(str(root)), error.file
            assert error.file in str(error)
            return None


# Strategies --------------------------------------------------------------------------------

TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "NaN", "inf", "-1", "1e400", "0.5", "2026-10-01T00:00:00Z", "{}"]),
    st.sampled_from(['{"a": "b"}', '{"a": {"b": 1}}', "[1]", "null", "2026-13-45", "\u00e9\u65e5"]),
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
MOMENTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1))
ARROW_TYPES: dict[str, tuple[pa.DataType, st.SearchStrategy]] = {
    "string": (pa.string(), TEXT),
    "large_string": (pa.large_string(), TEXT),
    "int64": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "int8": (pa.int8(), st.integers(-128, 127)),
    "float64": (pa.float64(), FLOATS),
    "float32": (pa.float32(), st.floats(width=32)),
    "bool": (pa.bool_(), st.booleans()),
    "ts_ms": (pa.timestamp("ms"), MOMENTS),
    "ts_us_utc": (pa.timestamp("us", tz="UTC"), MOMENTS.map(lambda d: d.replace(tzinfo=UTC))),
    "ts_ns_paris": (
        pa.timestamp("ns", tz="Europe/Paris"),
        MOMENTS.map(lambda d: d.replace(tzinfo=UTC)),
    ),
    "date": (pa.date32(), st.dates()),
    "binary": (pa.binary(), st.binary(max_size=8)),
    "decimal": (pa.decimal128(10, 2), st.decimals(-(10**7), 10**7, places=2)),
    "list_int": (pa.list_(pa.int64()), st.lists(st.integers(0, 9), max_size=3)),
    "struct": (pa.struct([("a", pa.string())]), st.fixed_dictionaries({"a": TEXT})),
    "map_text": (
        pa.map_(pa.string(), pa.string()),
        st.lists(st.tuples(st.text(max_size=5), TEXT), max_size=3),
    ),
    "map_double": (
        pa.map_(pa.string(), pa.float64()),
        st.lists(st.tuples(st.text(min_size=1, max_size=5), FLOATS), max_size=3),
    ),
    "map_list": (
        pa.map_(pa.string(), pa.list_(pa.int64())),
        st.lists(
            st.tuples(st.text(min_size=1, max_size=5), st.lists(st.integers(0, 3))), max_size=2
        ),
    ),
    "null": (pa.null(), st.none()),
}


def _usage_table(kind: str, rows: int) -> pa.Table:
    hours = pa.array([datetime(2026, 10, 1, h % 24) for h in range(rows)], pa.timestamp("us"))
    text = {c: pa.array(["x"] * rows) for c in ["region", "product", "worker", "model"]}
    if kind == "speech":
        numbers = ["audio_hours", "requests"]
        text["language"] = pa.array([None] * rows, pa.string())
    else:
        numbers = ["input_tokens", "output_tokens", "requests"]
        text["llm_model"] = text.pop("model")
    return pa.table({"hour": hours, **text, **{c: pa.array([1.5] * rows) for c in numbers}})


def _valid_table(kind: str, rows: int) -> pa.Table:
    if kind == "focus":
        return focus_table(rows)
    if kind == "cur":
        return cur_table(rows)
    return _usage_table(kind, rows)


@st.composite
def arrow_tables(draw: st.DrawFn, kind: str) -> pa.Table:
    """A valid table of `kind` with a few columns dropped or replaced by random types and
    values (or, now and then, an unrelated extra column)."""
    rows = draw(st.integers(0, 4))
    table = _valid_table(kind, rows)
    names = table.column_names + ["x_NewColumn"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        if name in table.column_names and draw(st.integers(0, 4)) == 0:
            table = table.drop_columns([name])  # a missing column
            continue
        dtype, values = ARROW_TYPES[draw(st.sampled_from(sorted(ARROW_TYPES)))]
        cells = [draw(st.one_of(st.none(), values)) for _ in range(rows)]
        try:
            array = pa.array(cells, dtype)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            array = pa.array([None] * rows, pa.string())
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, array)
        else:
            table = table.append_column(name, array)
    return table


def _write(root: Path, key: str, data: bytes) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return key


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _check_export(frame: pl.DataFrame | None, kind: str, columns: list[str]) -> None:
    if frame is None:
        return
    expected = empty_frame(EXPORT_COLUMNS[kind], columns).schema
    assert frame.schema == expected
    numbers = [c for c in columns if EXPORT_COLUMNS[kind][c].kind == "number"]
    for column in numbers:
        values = frame.get_column(column).drop_nulls()
        assert values.is_finite().all(), column


# Properties --------------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["focus", "cur"]), csv=st.booleans())
def test_random_export_files_read_or_fail_naming_the_file(data, kind, csv):
    columns = FOCUS_COLUMNS_USED if kind == "focus" else CUR_COLUMNS_USED
    table = data.draw(arrow_tables(kind))
    name = FOCUS_NAME if kind == "focus" else CUR_NAME
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if csv:
            text = io.StringIO()
            try:
                pl.from_arrow(table).select(pl.all().cast(pl.String, strict=False)).write_csv(text)
            except Exception:  # a type polars cannot write as text: write a header only
                text = io.StringIO(",".join(table.column_names) + "\n")
            payload = gzip.compress(text.getvalue().encode())
            _write(root, data_key(kind, name, 1, ext=".csv.gz"), payload)
        else:
            _write(root, data_key(kind, name, 1), _parquet_bytes(table))
        store = open_store(str(root))
        frame = outcome(lambda: read_export(store, find_delivery(store, kind, PERIOD)), root)
        _check_export(frame, kind, columns)


@FUZZ
@given(
    cut=st.integers(0, 10_000),
    patch=st.binary(min_size=0, max_size=64),
    where=st.floats(0, 1),
)
def test_damaged_parquet_bytes_read_or_fail_naming_the_file(cut, patch, where):
    data = _parquet_bytes(focus_table(4))
    at = int(where * len(data))
    damaged = (data[:at] + patch + data[at + len(patch) :])[: max(len(data) - cut, 0)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write(root, data_key("focus", FOCUS_NAME, 1), damaged)
        store = open_store(str(root))
        frame = outcome(lambda: read_export(store, find_delivery(store, "focus", PERIOD)), root)
        _check_export(frame, "focus", FOCUS_COLUMNS_USED)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=8,
)


@st.composite
def manifests(draw: st.DrawFn, real_key: str) -> bytes:
    report_key = st.one_of(
        st.just(real_key),
        st.just("bucket/prefix/" + real_key),
        st.text(max_size=30),
        JSON,
    )
    shape = draw(st.sampled_from(["random bytes", "random json", "manifest"]))
    if shape == "random bytes":
        return draw(st.binary(max_size=60))
    if shape == "random json":
        return json.dumps(draw(JSON)).encode()
    document = {"reportKeys": draw(st.one_of(st.lists(report_key, max_size=3), JSON))}
    if draw(st.booleans()):
        document["executionId"] = draw(JSON)
    return json.dumps(document).encode()


@FUZZ
@given(data=st.data())
def test_random_manifests_read_or_fail_naming_the_manifest(data):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        key = _write(root, data_key("focus", FOCUS_NAME, 1), _parquet_bytes(focus_table(2)))
        manifest = f"focus/{FOCUS_NAME}/metadata/BILLING_PERIOD={PERIOD}/{FOCUS_NAME}-Manifest.json"
        _write(root, manifest, data.draw(manifests(key)))
        store = open_store(str(root))
        frame = outcome(lambda: read_export(store, find_delivery(store, "focus", PERIOD)), root)
        if frame is not None:
            assert frame.height in (0, 2, 4)  # the file listed none, once, or twice
            _check_export(frame, "focus", FOCUS_COLUMNS_USED)


CSV_CELLS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
    st.sampled_from(["true", "false", "-1", "nan", "inf", "1", "", '"', "a,b", "2026-01-01"]),
)


@FUZZ
@given(
    table=st.sampled_from(["workers", "product_lines", "shared_services", "instance_types"]),
    header=st.lists(
        st.sampled_from(
            [
                "worker",
                "cluster",
                "fleet",
                "is_daemon",
                "gpus_per_task",
                "unit",
                "product",
                "intensity_weight",
                "fixed_split",
                "service_code",
                "tier",
                "instance_type",
                "vcpu",
                "memory_gib",
                "gpus",
                "on_demand_usd_per_hour",
                "junk",
            ]
        ),
        min_size=1,
        max_size=7,
        unique=True,
    ),
    cells=st.lists(st.lists(CSV_CELLS, min_size=0, max_size=8), max_size=4),
)
def test_random_reference_files_load_or_fail_naming_the_file(table, header, cells):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lines = [",".join(header)] + [",".join(row) for row in cells]
        write_reference(root, **{table: "\n".join(lines) + "\n"})
        outcome(lambda: load_reference(open_store(str(root))), root)


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["speech", "llm"]))
def test_random_usage_files_read_or_fail_naming_the_file(data, kind):
    table = data.draw(arrow_tables(kind))
    day = datetime(2026, 10, 1).date()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write(root, f"usage/{kind}/date=2026-10-01/part-0.parquet", _parquet_bytes(table))
        result = outcome(lambda: read_usage(open_store(str(root)), kind, day), root)
        if result is not None:
            frame, _ = result
            assert frame.schema == empty_frame(USAGE_COLUMNS[kind]).schema
            for column in ("audio_hours", "requests", "input_tokens", "output_tokens"):
                if column in frame.columns:
                    values = frame.get_column(column).drop_nulls()
                    assert (values >= 0).all() and values.is_finite().all()
