"""The unit-economics summary printed after a run: what a reader wants first."""

import polars as pl

from cost_assets.warehouse import Warehouse


def _all_days(tables: Warehouse, table: str, days: list[str]) -> pl.DataFrame:
    frame, _ = tables.read_many(table, days)
    if frame is None:
        raise FileNotFoundError(f"no partition of {table} for {days[0]}..{days[-1]}")
    return frame


def unit_rates(costs: pl.DataFrame, usage: pl.DataFrame, calendar: pl.DataFrame) -> pl.DataFrame:
    """Σ cost ÷ Σ units per product and model over the days given (never a mean of ratios)."""
    units = calendar.select("product", "model", "unit").unique(["product", "model"])
    cost = costs.group_by("product", "model").agg(pl.col("cost_usd").sum())
    volume = usage.group_by("product", "model").agg(
        pl.col("audio_hours").sum(), pl.col("tokens").sum()
    )
    return (
        cost.join(units, on=["product", "model"], how="inner")
        .join(volume, on=["product", "model"], how="left")
        .with_columns(
            pl.when(pl.col("unit") == "tokens")
            .then(pl.col("tokens"))
            .otherwise(pl.col("audio_hours"))
            .alias("units")
        )
        .with_columns((pl.col("cost_usd") / pl.col("units")).alias("usd_per_unit"))
        .sort("unit", "product", "model")
    )


def render_summary(
    tables: Warehouse,
    days: list[str],
    reconciliation: dict[str, str],
    report: str | None = None,
) -> str:
    """The summary of ``days``; with ``report``, the path of the HTML report is its last line."""
    costs = _all_days(tables, "unit_costs_hourly", days)
    usage = _all_days(tables, "usage_hourly", days)
    calendar = tables.read("reference_data", "product_calendar")
    rates = unit_rates(costs, usage, calendar)
    lines = [f"Unit economics, {days[0]} to {days[-1]} ({len(days)} days)", ""]

    lines.append(
        "Cost per audio hour (USD), by product and model, COGS and R&D together "
        "(each model counts the audio it processed)"
    )
    for row in rates.filter(pl.col("unit") == "audio_hours").iter_rows(named=True):
        rate = "n/a (no audio hours)" if not row["units"] else f"{row['usd_per_unit']:.4f}"
        lines.append(
            f"  {row['product']:<18} {row['model']:<32} {rate:>12}"
            f"   ({row['cost_usd']:,.2f} USD / {row['units'] or 0:,.1f} h)"
        )
    lines += ["", "Cost per 1M tokens (USD), LLM models"]
    for row in rates.filter(pl.col("unit") == "tokens").iter_rows(named=True):
        rate = "n/a (no tokens)" if not row["units"] else f"{row['usd_per_unit'] * 1e6:.4f}"
        lines.append(
            f"  {row['product']:<18} {row['model']:<32} {rate:>12}"
            f"   ({row['cost_usd']:,.2f} USD / {row['units'] or 0:,.0f} tokens)"
        )

    lines += ["", "Dollars per cost class"]
    by_class = (
        costs.group_by("cost_class").agg(pl.col("cost_usd").sum()).sort("cost_usd", descending=True)
    )
    total = float(costs["cost_usd"].sum())
    for cost_class, usd in by_class.iter_rows():
        lines.append(f"  {cost_class:<20} {usd:>14,.2f}  {usd / total:6.1%}")
    by_ledger = costs.group_by("ledger").agg(pl.col("cost_usd").sum()).sort("ledger")
    lines.append(
        f"  {'total':<20} {total:>14,.2f}   "
        + ", ".join(f"{k} {v:,.2f}" for k, v in by_ledger.iter_rows())
    )

    lines += [
        "",
        "Reconciliation to the FOCUS export (EffectiveCost less excluded categories), per day",
    ]
    for day in days:
        lines.append(f"  {day}  {reconciliation.get(day, 'not checked')}")
    if report:
        lines += ["", f"Report: {report}"]
    return "\n".join(lines)
