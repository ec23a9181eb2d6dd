"""Proportional allocation with fallbacks: the one mechanism every allocation rule uses.

A *cost row* is split over *targets* (workers, product lines, models, languages) in proportion
to a *driver* (in-use cost, audio hours, requests, tokens, task-hours). A rule is a list of
levels tried in order: the first level whose driver is positive for the row takes all of the
row's dollars; a row that no level can place keeps its dollars under named `unattributed`
targets. Shares within a level sum to one, so every level conserves money by construction:
Σ cost out = Σ cost in, row by row.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

ROW_ID = "_row_id"
WEIGHT = "weight"
SCOPE = "_scope"


def summed(frame: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """One row per distinct key of ``columns`` (all but the last, the cost), costs summed.

    Allocation splits in proportion, so rows that agree on every column a rule reads can be
    allocated, and stored, as one sum: the same dollars in far fewer rows.
    """
    keys = list(columns[:-1])
    return frame.group_by(keys).agg(pl.col(columns[-1]).sum()).select(list(columns))


@dataclass(frozen=True)
class Level:
    """One step of a fallback chain.

    ``drivers`` has the columns ``on`` (the scope a cost row is matched on), the target
    columns, and ``weight``. Rows with a null or non-positive weight are ignored.
    """

    name: str
    drivers: pl.LazyFrame
    on: Sequence[str]


def allocate(
    costs: pl.LazyFrame,
    levels: Sequence[Level],
    targets: Sequence[str],
    unplaced: Mapping[str, object],
    cost_column: str = "cost_usd",
    step_column: str = "step",
) -> pl.LazyFrame:
    """Split every cost row over targets by the first level with a positive driver.

    The result has the cost rows' columns (target columns replaced), the targets, the cost
    share in ``cost_column`` and the level's name in ``step_column`` (``unattributed`` for rows
    no level placed). Rows with a zero cost are carried through like any other.
    """
    targets = list(targets)
    # Each level's remaining rows are the previous level's anti-join: collected once here, so
    # that a chain of levels (and chains of allocations) does not re-run the upstream plan
    # once per level.
    costs = costs.collect().lazy()
    remaining = costs.drop([t for t in targets if t in costs.collect_schema()]).with_row_index(
        ROW_ID
    )
    placed_parts: list[pl.LazyFrame] = []

    remaining = remaining.with_columns(pl.lit(True).alias(SCOPE)).collect().lazy()
    for level in levels:
        # SCOPE is a constant key, so a level matched on nothing spans the whole day.
        on = [SCOPE, *level.on]
        drivers = (
            level.drivers.with_columns(pl.lit(True).alias(SCOPE))
            .filter(pl.col(WEIGHT) > 0)
            .group_by(on + targets)
            .agg(pl.col(WEIGHT).sum())
            .collect()
            .lazy()
        )
        scopes_with_driver = drivers.select(on).unique()
        matched = remaining.join(scopes_with_driver, on=on, how="semi", nulls_equal=True)
        remaining = (
            remaining.join(scopes_with_driver, on=on, how="anti", nulls_equal=True).collect().lazy()
        )
        placed_parts.append(
            matched.join(drivers, on=on, how="inner", nulls_equal=True)
            .with_columns(
                # The share first, on weights scaled to the row's largest: cost × weight could
                # underflow (or weight sums overflow) where the share itself is ordinary.
                (pl.col(WEIGHT) / pl.col(WEIGHT).max().over(ROW_ID)).alias(WEIGHT),
                pl.lit(level.name).alias(step_column),
            )
            .with_columns(
                (pl.col(cost_column) * (pl.col(WEIGHT) / pl.col(WEIGHT).sum().over(ROW_ID))).alias(
                    cost_column
                )
            )
            .drop(WEIGHT)
        )
        if remaining.select(pl.len()).collect().item() == 0:
            break  # every row is placed: the later levels' drivers are never read

    leftover = remaining.with_columns(
        [pl.lit(unplaced[t]).alias(t) for t in targets]
        + [pl.lit("unattributed").alias(step_column)]
    )
    return pl.concat(placed_parts + [leftover], how="diagonal_relaxed").drop(ROW_ID, SCOPE)


def even_drivers(targets: pl.LazyFrame) -> pl.LazyFrame:
    """Weight one for every row: an even split over the listed targets."""
    return targets.unique().with_columns(pl.lit(1.0).alias(WEIGHT))
