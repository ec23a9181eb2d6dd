"""Turning one file's columns into the normalised dtypes of `schemas` (see its docstring).

Every function here works on whole columns; the only Python loop over values runs on the
error path, over distinct bad values, to name the offending rows.
"""

from __future__ import annotations

import json

import polars as pl

from cost_assets.errors import InputError
from cost_assets.sources.schemas import MAP_DTYPE, TIMESTAMP_DTYPE, Column

FIRST_ROWS = 5  # how many offending rows an error message names

_TEXT_MAP = pl.Map(pl.String, pl.String)


def _bad_rows(mask: pl.Series) -> list[int]:
    """1-based data row numbers where `mask` is true (the first few)."""
    return (mask.fill_null(False).arg_true() + 1).head(FIRST_ROWS).to_list()


def _blank_to_null(text: pl.Series) -> pl.Series:
    text = text.str.strip_chars()
    return pl.select(pl.when(text != "").then(text)).to_series().alias(text.name)


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def to_string(values: pl.Series, file: str) -> pl.Series:
    """Text with '' as null; other scalar types are rendered as text, bytes decoded as UTF-8."""
    dtype = values.dtype
    if dtype == pl.Binary:
        try:
            values = values.cast(pl.String)
        except pl.exceptions.PolarsError:  # error path only: find the rows in Python
            bad = pl.Series([v is not None and not _is_utf8(v) for v in values.to_list()])
            raise InputError("value is not UTF-8 text", file, values.name, _bad_rows(bad)) from None
    elif dtype.is_nested() or dtype == pl.Object:
        raise InputError(f"expected text, found {dtype}", file, values.name)
    elif dtype != pl.String:
        try:
            values = values.cast(pl.String)
        except pl.exceptions.PolarsError:
            raise InputError(f"expected text, found {dtype}", file, values.name) from None
    if not (values == "").any():  # the usual case: nothing to replace, nothing copied
        return values
    return pl.select(pl.when(values != "").then(values)).to_series().alias(values.name)


def to_number(values: pl.Series, file: str) -> pl.Series:
    """Finite Float64; text is parsed, '' is null, anything else (NaN and infinity included)
    is an InputError naming the first offending rows."""
    dtype = values.dtype
    if dtype.is_numeric() or dtype == pl.Null or dtype == pl.Boolean:
        try:
            parsed = values.cast(pl.Float64)
        except pl.exceptions.PolarsError:
            raise InputError(f"expected numbers, found {dtype}", file, values.name) from None
    elif dtype == pl.String:
        text = _blank_to_null(values)
        parsed = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & parsed.is_null()
        if bad.any():
            example = text.filter(bad).head(1).item()
            shown = example if len(example) <= 60 else example[:57] + "..."
            raise InputError(f"value {shown!r} is not a number", file, values.name, _bad_rows(bad))
    else:
        raise InputError(f"expected numbers, found {dtype}", file, values.name)
    not_finite = parsed.is_not_null() & ~parsed.is_finite()
    if not_finite.any():
        example = parsed.filter(not_finite).head(1).item()
        raise InputError(
            f"value {example} is not a finite number", file, values.name, _bad_rows(not_finite)
        )
    return parsed.alias(values.name)


def at_least(values: pl.Series, minimum: float, file: str) -> pl.Series:
    """The numbers unchanged; an InputError naming the rows when any is below `minimum`."""
    below = values < minimum
    if below.fill_null(False).any():
        example = values.filter(below).head(1).item()
        raise InputError(
            f"value {example:g} is below the minimum {minimum:g}",
            file,
            values.name,
            _bad_rows(below),
        )
    return values


def _utc(values: pl.Series) -> pl.Series:
    if isinstance(values.dtype, pl.Datetime):
        if values.dtype.time_zone is None:
            values = values.dt.replace_time_zone("UTC")
        else:
            values = values.dt.convert_time_zone("UTC")
        return values.cast(TIMESTAMP_DTYPE)
    return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def to_timestamp(values: pl.Series, file: str) -> pl.Series:
    """Datetime("us", "UTC"): naive values are UTC; other zones are converted; ISO text parsed."""
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date or dtype == pl.Null:
        try:
            return _utc(values)
        except pl.exceptions.PolarsError:
            raise InputError(
                f"cannot read {dtype} values as UTC timestamps", file, values.name
            ) from None
    if dtype != pl.String:
        raise InputError(f"expected timestamps, found {dtype}", file, values.name)

    # ISO 8601 text: 'YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|+00:00]' or a bare date. Only UTC
    # offsets are accepted: AWS writes everything in UTC.
    text = _blank_to_null(values)
    bare = text.str.replace(r"(?:Z|[+-]00:?00)$", "").str.replace("T", " ", literal=True)
    parsed = pl.select(
        pl.coalesce(
            bare.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False),
            bare.str.to_datetime("%Y-%m-%d %H:%M", time_unit="us", strict=False),
            bare.str.to_datetime("%Y-%m-%d", time_unit="us", strict=False),
        )
    ).to_series()
    bad = text.is_not_null() & parsed.is_null()
    if bad.any():
        example = text.filter(bad).head(1).item()
        raise InputError(
            f"value {example!r} is not a UTC ISO 8601 timestamp", file, values.name, _bad_rows(bad)
        )
    return parsed.dt.replace_time_zone("UTC").alias(values.name)


def to_map(values: pl.Series, file: str) -> pl.Series:
    """List(Struct(key, value)) of text, from a Parquet map, a key/value list or JSON text."""
    dtype = values.dtype
    entries = None
    if dtype == pl.Null:
        entries = values
    elif isinstance(dtype, pl.Map):
        entries = values.map.entries()
    elif isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        if [f.name for f in dtype.inner.fields] == ["key", "value"]:
            entries = values
    if entries is not None:
        try:
            return entries.cast(MAP_DTYPE).alias(values.name)
        except pl.exceptions.PolarsError:
            message = f"expected a map of text keys and scalar values, found {dtype}"
            raise InputError(message, file, values.name) from None
    if dtype != pl.String:
        raise InputError(f"expected a map or JSON object text, found {dtype}", file, values.name)

    text = _blank_to_null(values)
    try:
        decoded = text.str.json_decode(_TEXT_MAP)
    except pl.exceptions.PolarsError:
        raise _json_error(text, file) from None
    if (decoded.is_null() & text.is_not_null()).any():  # valid JSON, but not an object
        raise _json_error(text, file)
    return decoded.map.entries().cast(MAP_DTYPE).alias(values.name)


def _json_error(text: pl.Series, file: str) -> InputError:
    """Name the rows whose text is not a flat JSON object (error path only)."""
    bad_values = []
    for value in text.drop_nulls().unique().to_list():
        try:
            parsed = json.loads(value)
        except ValueError:
            bad_values.append(value)
            continue
        if not isinstance(parsed, dict) or any(isinstance(v, dict | list) for v in parsed.values()):
            bad_values.append(value)
    bad = text.is_in(bad_values)
    if not bad.any():  # polars refused something json accepts: name no rows rather than guess
        return InputError("map column is not valid JSON object text", file, text.name)
    example = text.filter(bad).head(1).item()
    shown = example if len(example) <= 60 else example[:57] + "..."
    return InputError(
        f"value {shown!r} is not a JSON object of scalars", file, text.name, _bad_rows(bad)
    )


def normalize_column(values: pl.Series, column: Column, file: str) -> pl.Series:
    """One column in its normalised dtype (see `schemas`)."""
    if column.kind == "timestamp":
        return to_timestamp(values, file)
    if column.kind == "number":
        numbers = to_number(values, file)
        return numbers if column.minimum is None else at_least(numbers, column.minimum, file)
    if column.kind == "map":
        return to_map(values, file)
    return to_string(values, file)


def normalize_frame(
    frame: pl.DataFrame,
    columns: dict[str, Column],
    names: list[str],
    file: str,
    height: int | None = None,
) -> pl.DataFrame:
    """The named columns of one file, normalised, in the order of `names`.

    `frame` must already use the canonical column names. A required column it lacks is an
    InputError naming the file and the column; an optional one becomes a null column. Names
    that no schema knows are kept as they are, with '' as null when they hold text. `height`
    is the file's row count, for when `frame` holds no column at all.
    """
    height = frame.height if height is None else height
    out = []
    for name in names:
        column = columns.get(name)
        if name not in frame.columns:
            if column is None or column.required:
                raise InputError("required column is missing", file, name)
            out.append(pl.repeat(None, height, dtype=column.dtype, eager=True).alias(name))
        elif column is None:
            values = frame.get_column(name)
            out.append(to_string(values, file) if values.dtype == pl.String else values)
        else:
            out.append(normalize_column(frame.get_column(name), column, file).alias(name))
    return pl.DataFrame(out)
