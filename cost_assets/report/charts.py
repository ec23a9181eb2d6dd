"""Static charts of the report, rendered to PNG bytes with matplotlib's Agg backend.

Each function takes a small, already aggregated table and returns one PNG; none reads the
warehouse. Images stay small (a few tens of KB) so that they also fit in Dagster metadata.
"""

import base64
import io
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.dates import AutoDateLocator, DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402

CLASS_COLORS = {
    "in_use": "#2b6cb0",
    "idle_reserved": "#ed8936",
    "dark_reserved": "#4a5568",
}
UNIT_LABELS = {"audio_hours": "USD per audio hour", "tokens": "USD per 1M tokens"}
UNIT_SCALE = {"audio_hours": 1.0, "tokens": 1_000_000.0}
DPI = 96


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders Markdown metadata)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def _empty(title: str, message: str) -> bytes:
    figure, axis = plt.subplots(figsize=(8, 2))
    axis.set_axis_off()
    axis.set_title(title)
    axis.text(0.5, 0.5, message, ha="center", va="center", color="#4a5568")
    return _png(figure)


def capacity_by_fleet(fleet_days: pl.DataFrame) -> bytes:
    """Per fleet, the dollars of each capacity class stacked over the days.

    ``fleet_days``: day, fleet and one ``<class>_usd`` column per capacity class.
    """
    title = "Compute cost per capacity class, by fleet"
    if not fleet_days.height:
        return _empty(title, "no worker costs stored")
    fleets = sorted(fleet_days["fleet"].drop_nulls().unique().to_list())
    figure, axes = plt.subplots(
        len(fleets), 1, figsize=(10, 2.4 * len(fleets) + 0.6), sharex=True, squeeze=False
    )
    for axis, fleet in zip(axes[:, 0], fleets, strict=True):
        rows = fleet_days.filter(pl.col("fleet") == fleet).sort("day")
        days = rows["day"].to_list()
        bottom = [0.0] * len(days)
        for cost_class, color in CLASS_COLORS.items():
            values = rows[f"{cost_class}_usd"].fill_null(0.0).to_list()
            axis.bar(days, values, bottom=bottom, color=color, label=cost_class, width=0.8)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axis.set_title(fleet, loc="left", fontsize=10)
        axis.set_ylabel("USD per day")
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", ncols=3, fontsize=8, frameon=False)
    figure.suptitle(title, x=0.02, ha="left")
    figure.autofmt_xdate()
    return _png(figure)


def unit_cost_by_model(model_days: pl.DataFrame, notes: pl.DataFrame) -> bytes:
    """Cost per unit of each model over the days, one panel per unit, with annotations.

    ``model_days``: day, model, unit, usd_per_unit. ``notes``: date, model (null: every
    model), note — drawn as a dashed line on the panels of the models they concern.
    """
    title = "Cost per unit by model"
    rows = model_days.filter(pl.col("usd_per_unit").is_not_null() & pl.col("unit").is_not_null())
    if not rows.height:
        return _empty(title, "no units served")
    units = [u for u in UNIT_LABELS if u in set(rows["unit"].to_list())]
    figure, axes = plt.subplots(
        len(units), 1, figsize=(10, 3.2 * len(units) + 0.6), sharex=True, squeeze=False
    )
    first, last = rows["day"].min(), rows["day"].max()
    for axis, unit in zip(axes[:, 0], units, strict=True):
        panel = rows.filter(pl.col("unit") == unit)
        models = sorted(panel["model"].unique().to_list())
        for model in models:
            series = panel.filter(pl.col("model") == model).sort("day")
            axis.plot(
                series["day"].to_list(),
                (series["usd_per_unit"] * UNIT_SCALE[unit]).to_list(),
                marker="o",
                markersize=3,
                label=model,
            )
        _draw_notes(axis, notes, set(models), first, last)
        axis.set_ylabel(UNIT_LABELS[unit])
        values = panel["usd_per_unit"] * UNIT_SCALE[unit]
        if values.min() > 0 and values.max() / values.min() > 10:
            axis.set_yscale("log")
            axis.yaxis.set_major_formatter(ScalarFormatter())
            axis.yaxis.set_minor_formatter(NullFormatter())
        axis.grid(alpha=0.3, which="both")
        axis.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    figure.suptitle(title)
    figure.autofmt_xdate()
    return _png(figure)


def _draw_notes(axis, notes: pl.DataFrame, models: set[str], first: date, last: date) -> None:
    shown = notes.filter(
        pl.col("date").is_between(first, last)
        & (pl.col("model").is_null() | pl.col("model").is_in(list(models)))
    ).unique(["date", "note"], maintain_order=True)
    for n, row in enumerate(shown.sort("date").iter_rows(named=True)):
        axis.axvline(row["date"], color="#c53030", linestyle="--", linewidth=1)
        axis.annotate(
            row["note"],
            xy=(row["date"], 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10 - 11 * (n % 4)),
            textcoords="offset points",
            fontsize=7,
            color="#c53030",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )


def variance_waterfall(steps: list[tuple[str, float]], title: str) -> bytes:
    """A waterfall from the base period's dollars to the current period's, one bar per part.

    ``steps``: (label, dollars), the first and last being the two totals.
    """
    if not steps:
        return _empty(title, "no period to compare with")
    figure, axis = plt.subplots(figsize=(10, 4))
    labels = [label for label, _ in steps]
    level = 0.0
    for n, (_, value) in enumerate(steps):
        total = n in (0, len(steps) - 1)
        bottom = 0.0 if total else min(level, level + value)
        height = value if total else abs(value)
        color = "#4a5568" if total else ("#c53030" if value > 0 else "#2f855a")
        axis.bar(n, height, bottom=bottom, color=color, width=0.6)
        text = f"{value:,.0f}" if total else f"{value:+,.2f}"
        axis.annotate(
            text,
            xy=(n, bottom + height),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
        level = value if total else level + value
    axis.set_xticks(range(len(steps)), labels, rotation=20, ha="right")
    axis.set_ylabel("USD")
    floor = _floor(steps)
    if floor > 0:
        # Parts of a few dollars beside totals of thousands: start the axis near the levels.
        top = max(_levels(steps))
        axis.set_ylim(floor, top + (top - floor) * 0.12)
        axis.set_ylabel(f"USD (axis starts at {floor:,.0f})")
    axis.grid(axis="y", alpha=0.3)
    axis.set_title(title)
    return _png(figure)


def _floor(steps: list[tuple[str, float]]) -> float:
    """A y-axis floor that keeps small parts visible beside two large totals (0 when any
    level is negative or the parts are not small)."""
    levels = _levels(steps)
    lowest, highest = min(levels), max(levels)
    if lowest <= 0:
        return 0.0
    spread = max(highest - lowest, highest * 0.01)
    return max(0.0, lowest - 1.5 * spread)


def worker_trajectories(worker_days: pl.DataFrame, flagged: set[str]) -> bytes:
    """Per worker with traffic, its daily cost per capacity class (stacked bars) beside its
    traffic (line), the traffic scaled so that its mean meets the mean daily cost: where the
    bars rise above the line, cost grows faster than traffic. Flagged workers: red title.

    ``worker_days``: day, worker, unit, units and one ``<class>_usd`` column per class.
    """
    title = "Worker cost per capacity class (bars) beside traffic (line, scaled to mean cost)"
    served = worker_days.group_by("worker").agg(pl.col("units").sum()).filter(pl.col("units") > 0)
    workers = sorted(served["worker"].to_list())
    if not workers:
        return _empty(title, "no worker served traffic")
    columns = 4
    rows_count = -(-len(workers) // columns)
    figure, axes = plt.subplots(
        rows_count, columns, figsize=(12, 2.5 * rows_count + 0.8), sharex=True, squeeze=False
    )
    for n, axis in enumerate(axes.flat):
        if n >= len(workers):
            axis.set_axis_off()
            continue
        worker = workers[n]
        rows = worker_days.filter(pl.col("worker") == worker).sort("day")
        days = rows["day"].to_list()
        bottom = [0.0] * len(days)
        for cost_class, color in CLASS_COLORS.items():
            values = rows[f"{cost_class}_usd"].fill_null(0.0).to_list()
            axis.bar(days, values, bottom=bottom, color=color, width=0.8, label=cost_class)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        units = rows["units"].fill_null(0.0)
        scale = (sum(bottom) / len(bottom)) / units.mean() if units.mean() else 0.0
        axis.plot(days, (units * scale).to_list(), color="#1a202c", linewidth=1.5, label="traffic")
        unit = rows["unit"].drop_nulls()
        axis.set_title(
            f"{worker} ({unit[0] if unit.len() else 'units'})",
            fontsize=9,
            color="#c53030" if worker in flagged else "#1a202c",
        )
        axis.tick_params(labelsize=7)
        axis.grid(axis="y", alpha=0.3)
        axis.xaxis.set_major_locator(AutoDateLocator(maxticks=5))
        axis.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    for axis in axes[:, 0]:
        axis.set_ylabel("USD per day", fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", ncols=4, fontsize=8, frameon=False)
    figure.suptitle(title, x=0.02, ha="left")
    figure.autofmt_xdate()
    return _png(figure)


def _levels(steps: list[tuple[str, float]]) -> list[float]:
    """The running level after each step of a waterfall."""
    levels = [steps[0][1]]
    for _, value in steps[1:-1]:
        levels.append(levels[-1] + value)
    levels.append(steps[-1][1])
    return levels
