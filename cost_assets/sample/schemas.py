"""Column lists and Parquet types of the two AWS exports, as the sample writes them.

FOCUS 1.2 with AWS columns (``FOCUS_1_2_AWS``): the 57 FOCUS columns in the specification's
(alphabetical) order, then ``x_Discounts``, ``x_Operation``, ``x_ServiceCode``. FOCUS 1.0 with
AWS columns drops the 14 columns FOCUS 1.2 added and carries ``x_CostCategories`` and
``x_UsageType`` (the later ``SkuMeter``). CUR 2.0: a reasonable subset of every column family
plus all 11 ``split_line_item_*`` columns.

Types follow AWS's Glue tables: money and quantities double, periods timestamp in milliseconds
(FOCUS with UTC zone, CUR without), maps as real Parquet maps, and the columns AWS delivers as
strings although they hold numbers (rates, ``split_line_item_split_usage_ratio``) as strings.
"""

import pyarrow as pa

STRING = pa.string()
DOUBLE = pa.float64()
UTC_MS = pa.timestamp("ms", tz="UTC")
NAIVE_MS = pa.timestamp("ms")
STRING_MAP = pa.map_(pa.string(), pa.string())
DOUBLE_MAP = pa.map_(pa.string(), pa.float64())

_FOCUS_DOUBLES = {
    "BilledCost",
    "CommitmentDiscountQuantity",
    "ConsumedQuantity",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
}
_FOCUS_TIMESTAMPS = {
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargePeriodEnd",
    "ChargePeriodStart",
}
_FOCUS_MAPS = {"SkuPriceDetails", "Tags"}

FOCUS_1_2_COLUMNS: tuple[str, ...] = (
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
)
assert len(FOCUS_1_2_COLUMNS) == 57

FOCUS_AWS_COLUMNS: tuple[str, ...] = ("x_Discounts", "x_Operation", "x_ServiceCode")

# The columns FOCUS 1.2 added over FOCUS 1.0 with AWS columns.
FOCUS_1_2_ONLY: frozenset[str] = frozenset(
    {
        "BillingAccountType",
        "CapacityReservationId",
        "CapacityReservationStatus",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountUnit",
        "InvoiceId",
        "PricingCurrency",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
        "ServiceSubcategory",
        "SkuMeter",
        "SkuPriceDetails",
        "SubAccountType",
    }
)


def _focus_type(name: str) -> pa.DataType:
    if name in _FOCUS_DOUBLES:
        return DOUBLE
    if name in _FOCUS_TIMESTAMPS:
        return UTC_MS
    if name in _FOCUS_MAPS or name == "x_CostCategories":
        return STRING_MAP
    if name == "x_Discounts":
        return DOUBLE_MAP
    return STRING


FOCUS_1_2_SCHEMA = pa.schema([(c, _focus_type(c)) for c in FOCUS_1_2_COLUMNS + FOCUS_AWS_COLUMNS])
FOCUS_1_0_SCHEMA = pa.schema(
    [(c, _focus_type(c)) for c in FOCUS_1_2_COLUMNS if c not in FOCUS_1_2_ONLY]
    + [
        (c, _focus_type(c))
        for c in ("x_CostCategories", "x_Discounts", "x_Operation", "x_ServiceCode", "x_UsageType")
    ]
)
assert len(FOCUS_1_0_SCHEMA) == 48

SPLIT_LINE_ITEM_COLUMNS: tuple[str, ...] = (
    "split_line_item_actual_usage",
    "split_line_item_net_split_cost",
    "split_line_item_net_unused_cost",
    "split_line_item_parent_resource_id",
    "split_line_item_public_on_demand_split_cost",
    "split_line_item_public_on_demand_unused_cost",
    "split_line_item_reserved_usage",
    "split_line_item_split_cost",
    "split_line_item_split_usage",
    "split_line_item_split_usage_ratio",
    "split_line_item_unused_cost",
)

_S, _D = STRING, DOUBLE
CUR_SCHEMA = pa.schema(
    [
        ("bill_bill_type", _S),
        ("bill_billing_entity", _S),
        ("bill_billing_period_end_date", NAIVE_MS),
        ("bill_billing_period_start_date", NAIVE_MS),
        ("bill_invoice_id", _S),
        ("bill_invoicing_entity", _S),
        ("bill_payer_account_id", _S),
        ("bill_payer_account_name", _S),
        ("identity_line_item_id", _S),
        ("identity_time_interval", _S),
        ("line_item_availability_zone", _S),
        ("line_item_blended_cost", _D),
        ("line_item_blended_rate", _S),
        ("line_item_currency_code", _S),
        ("line_item_legal_entity", _S),
        ("line_item_line_item_description", _S),
        ("line_item_line_item_type", _S),
        ("line_item_net_unblended_cost", _D),
        ("line_item_net_unblended_rate", _S),
        ("line_item_normalization_factor", _D),
        ("line_item_normalized_usage_amount", _D),
        ("line_item_operation", _S),
        ("line_item_product_code", _S),
        ("line_item_resource_id", _S),
        ("line_item_tax_type", _S),
        ("line_item_unblended_cost", _D),
        ("line_item_unblended_rate", _S),
        ("line_item_usage_account_id", _S),
        ("line_item_usage_account_name", _S),
        ("line_item_usage_amount", _D),
        ("line_item_usage_end_date", NAIVE_MS),
        ("line_item_usage_start_date", NAIVE_MS),
        ("line_item_usage_type", _S),
        ("pricing_currency", _S),
        ("pricing_lease_contract_length", _S),
        ("pricing_offering_class", _S),
        ("pricing_public_on_demand_cost", _D),
        ("pricing_public_on_demand_rate", _S),
        ("pricing_purchase_option", _S),
        ("pricing_rate_code", _S),
        ("pricing_rate_id", _S),
        ("pricing_term", _S),
        ("pricing_unit", _S),
        ("product", STRING_MAP),
        ("product_comment", _S),
        ("product_fee_code", _S),
        ("product_fee_description", _S),
        ("product_from_location", _S),
        ("product_from_location_type", _S),
        ("product_from_region_code", _S),
        ("product_instance_family", _S),
        ("product_instance_type", _S),
        ("product_instancesku", _S),
        ("product_location", _S),
        ("product_location_type", _S),
        ("product_operation", _S),
        ("product_pricing_unit", _S),
        ("product_product_family", _S),
        ("product_region_code", _S),
        ("product_servicecode", _S),
        ("product_sku", _S),
        ("product_to_location", _S),
        ("product_to_location_type", _S),
        ("product_to_region_code", _S),
        ("product_usagetype", _S),
        ("reservation_amortized_upfront_cost_for_usage", _D),
        ("reservation_amortized_upfront_fee_for_billing_period", _D),
        ("reservation_effective_cost", _D),
        ("reservation_end_time", _S),
        ("reservation_net_effective_cost", _D),
        ("reservation_reservation_a_r_n", _S),
        ("reservation_start_time", _S),
        ("reservation_unused_amortized_upfront_fee_for_billing_period", _D),
        ("reservation_unused_recurring_fee", _D),
        ("resource_tags", STRING_MAP),
        ("savings_plan_amortized_upfront_commitment_for_billing_period", _D),
        ("savings_plan_end_time", _S),
        ("savings_plan_instance_type_family", _S),
        ("savings_plan_net_amortized_upfront_commitment_for_billing_period", _D),
        ("savings_plan_net_recurring_commitment_for_billing_period", _D),
        ("savings_plan_net_savings_plan_effective_cost", _D),
        ("savings_plan_offering_type", _S),
        ("savings_plan_payment_option", _S),
        ("savings_plan_purchase_term", _S),
        ("savings_plan_recurring_commitment_for_billing_period", _D),
        ("savings_plan_region", _S),
        ("savings_plan_savings_plan_a_r_n", _S),
        ("savings_plan_savings_plan_effective_cost", _D),
        ("savings_plan_savings_plan_rate", _D),
        ("savings_plan_start_time", _S),
        ("savings_plan_total_commitment_to_date", _D),
        ("savings_plan_used_commitment", _D),
    ]
    + [
        (
            c,
            _S
            if c in ("split_line_item_parent_resource_id", "split_line_item_split_usage_ratio")
            else _D,
        )
        for c in SPLIT_LINE_ITEM_COLUMNS
    ]
)

MAP_COLUMNS: frozenset[str] = frozenset(
    {"Tags", "SkuPriceDetails", "x_Discounts", "x_CostCategories", "product", "resource_tags"}
)


def athena_type(data_type: pa.DataType) -> str:
    """The type name a manifest's ``columns`` entry gives for an Arrow type."""
    if pa.types.is_map(data_type):
        return f"map<{athena_type(data_type.key_type)},{athena_type(data_type.item_type)}>"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_floating(data_type):
        return "double"
    if pa.types.is_integer(data_type):
        return "bigint"
    return "string"
