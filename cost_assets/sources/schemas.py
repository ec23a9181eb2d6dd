"""The columns the pipeline reads from each input, and what kind of value each one holds.

A column's *kind* decides how a reader normalises it:
- `timestamp`: Datetime("us", "UTC"), whatever unit or zone (or ISO text) it arrived in;
- `number`: Float64, parsed from text when AWS typed it as a string;
- `map`: List(Struct({"key": String, "value": String})), from a Parquet map or JSON text;
- `string`: String, with '' read as null.
A *required* column missing from a file is an InputError; an optional one reads as null.
Numbers must be finite (NaN and infinity are an InputError everywhere); a column with a
*minimum* rejects values below it (usage and reservations cannot be negative; costs can).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

Kind = Literal["timestamp", "number", "map", "string"]

MAP_DTYPE = pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
TIMESTAMP_DTYPE = pl.Datetime("us", "UTC")

DTYPES: dict[str, pl.DataType] = {
    "timestamp": TIMESTAMP_DTYPE,
    "number": pl.Float64(),
    "map": MAP_DTYPE,
    "string": pl.String(),
}


@dataclass(frozen=True)
class Column:
    """One column of an input table: its name, its kind and whether it must be present."""

    name: str
    kind: Kind
    required: bool = True
    minimum: float | None = None

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]


def _columns(*specs: Column) -> dict[str, Column]:
    return {c.name: c for c in specs}


# FOCUS 1.2 with AWS columns: one row per charge (resource × charge period × SKU × commitment).
# InvoiceId and SkuMeter are new in FOCUS 1.2 and optional here: a FOCUS 1.0 export lacks them
# (SkuMeter then comes from x_UsageType).
FOCUS_COLUMNS: dict[str, Column] = _columns(
    Column("BillingPeriodStart", "timestamp"),
    Column("ChargePeriodStart", "timestamp"),
    Column("ChargePeriodEnd", "timestamp"),
    Column("ChargeCategory", "string"),
    Column("ChargeClass", "string"),
    Column("ChargeFrequency", "string"),
    Column("EffectiveCost", "number"),
    Column("BilledCost", "number"),
    Column("ServiceName", "string"),
    Column("x_ServiceCode", "string"),
    Column("x_Operation", "string"),
    Column("SkuMeter", "string", required=False),
    Column("ResourceId", "string"),
    Column("ResourceType", "string"),
    Column("RegionId", "string"),
    Column("CommitmentDiscountId", "string"),
    Column("CommitmentDiscountStatus", "string"),
    Column("Tags", "map"),
    Column("InvoiceId", "string", required=False),
    # Read when asked for, never by default.
    Column("BillingPeriodEnd", "timestamp", required=False),
    Column("ListCost", "number", required=False),
    Column("ContractedCost", "number", required=False),
    Column("PricingQuantity", "number", required=False),
    Column("ConsumedQuantity", "number", required=False),
    Column("SkuPriceDetails", "map", required=False),
    Column("x_Discounts", "map", required=False),
)

FOCUS_COLUMNS_USED: list[str] = [
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "EffectiveCost",
    "BilledCost",
    "ServiceName",
    "x_ServiceCode",
    "x_Operation",
    "SkuMeter",
    "ResourceId",
    "ResourceType",
    "RegionId",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "Tags",
    "InvoiceId",
]

# FOCUS 1.0 with AWS columns: what became what in 1.2.
FOCUS_1_0_USAGE_TYPE = "x_UsageType"  # -> SkuMeter
FOCUS_1_0_COST_CATEGORIES = "x_CostCategories"  # -> merged into Tags

SPLIT_COLUMNS: list[str] = [
    "split_line_item_parent_resource_id",
    "split_line_item_reserved_usage",
    "split_line_item_actual_usage",
    "split_line_item_split_usage",
    "split_line_item_split_usage_ratio",
    "split_line_item_split_cost",
    "split_line_item_unused_cost",
    "split_line_item_net_split_cost",
    "split_line_item_net_unused_cost",
    "split_line_item_public_on_demand_split_cost",
    "split_line_item_public_on_demand_unused_cost",
]

# CUR 2.0 with split cost allocation data: one row per line item (resource × hour × usage
# type × line item type); ECS task rows carry the split_line_item_* shares of an instance.
# The net_* split columns exist only in months with a discount, and product_region_code may
# be absent (product['region'] then stands in): those are optional.
CUR_COLUMNS: dict[str, Column] = _columns(
    Column("line_item_usage_start_date", "timestamp"),
    Column("line_item_usage_end_date", "timestamp"),
    Column("line_item_operation", "string"),
    Column("line_item_usage_type", "string"),
    Column("line_item_resource_id", "string"),
    Column("line_item_line_item_type", "string"),
    Column("product_instance_type", "string"),
    Column("product", "map"),
    Column("resource_tags", "map"),
    Column("product_region_code", "string", required=False),
    Column("split_line_item_parent_resource_id", "string"),
    *(Column(name, "number", minimum=0.0) for name in SPLIT_COLUMNS[1:4]),
    *(Column(name, "number") for name in SPLIT_COLUMNS[4:7]),
    Column("split_line_item_net_split_cost", "number", required=False),
    Column("split_line_item_net_unused_cost", "number", required=False),
    Column("split_line_item_public_on_demand_split_cost", "number"),
    Column("split_line_item_public_on_demand_unused_cost", "number"),
    Column("line_item_unblended_cost", "number"),
    Column("pricing_public_on_demand_rate", "number"),
    Column("bill_invoice_id", "string"),
    # Read when asked for, never by default.
    Column("line_item_usage_amount", "number", required=False),
    Column("line_item_product_code", "string", required=False),
    Column("identity_time_interval", "string", required=False),
    Column("bill_billing_period_start_date", "timestamp", required=False),
    Column("bill_billing_period_end_date", "timestamp", required=False),
)

# What the pipeline reads of CUR: shares and capacity, never dollars (those come from FOCUS).
CUR_COLUMNS_USED: list[str] = [
    "line_item_usage_start_date",
    "line_item_operation",
    "line_item_usage_type",
    "line_item_resource_id",
    "product_instance_type",
    "product",
    "resource_tags",
    "product_region_code",
    "split_line_item_parent_resource_id",
    "split_line_item_reserved_usage",
    "split_line_item_actual_usage",
    "split_line_item_split_cost",
    "split_line_item_unused_cost",
]

EXPORT_COLUMNS: dict[str, dict[str, Column]] = {"focus": FOCUS_COLUMNS, "cur": CUR_COLUMNS}
EXPORT_COLUMNS_USED: dict[str, list[str]] = {"focus": FOCUS_COLUMNS_USED, "cur": CUR_COLUMNS_USED}

# Usage telemetry: one row per hour × region × product × worker × model (× language).
SPEECH_USAGE_COLUMNS: dict[str, Column] = _columns(
    Column("hour", "timestamp"),
    Column("region", "string"),
    Column("product", "string"),
    Column("worker", "string"),
    Column("model", "string"),
    Column("language", "string"),
    Column("audio_hours", "number", minimum=0.0),
    Column("requests", "number", minimum=0.0),
)
LLM_USAGE_COLUMNS: dict[str, Column] = _columns(
    Column("hour", "timestamp"),
    Column("region", "string"),
    Column("product", "string"),
    Column("worker", "string"),
    Column("llm_model", "string"),
    Column("input_tokens", "number", minimum=0.0),
    Column("output_tokens", "number", minimum=0.0),
    Column("requests", "number", minimum=0.0),
)
USAGE_COLUMNS: dict[str, dict[str, Column]] = {
    "speech": SPEECH_USAGE_COLUMNS,
    "llm": LLM_USAGE_COLUMNS,
}


def empty_frame(columns: dict[str, Column], names: list[str] | None = None) -> pl.DataFrame:
    """A zero-row frame with the normalised dtypes of the named columns."""
    names = list(columns) if names is None else names
    return pl.DataFrame(schema={n: _dtype(columns, n) for n in names})


def _dtype(columns: dict[str, Column], name: str) -> pl.DataType:
    return columns[name].dtype if name in columns else pl.String()
