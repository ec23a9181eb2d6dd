"""The partitions: UTC days from the first day of billing data, and the months of rollups."""

import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg

# The sample company's first day; a real deployment sets its own first day of exports.
FIRST_DAY = os.environ.get("COST_ASSETS_FIRST_DAY", "2026-10-25")

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")


# AWS may restate a closed billing period during about two weeks after it ends.
RESTATEMENT_DAYS = 15


def is_provisional(day: date, on: date) -> bool:
    """Whether a day's numbers can still change: its period is open or closed < 15 days ago."""
    period_end = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return on < period_end + timedelta(days=RESTATEMENT_DAYS)


def today() -> date:
    """Today in UTC; ``COST_ASSETS_TODAY`` (YYYY-MM-DD) pins it for replays and tests."""
    pinned = os.environ.get("COST_ASSETS_TODAY")
    return date.fromisoformat(pinned) if pinned else datetime.now(UTC).date()


# Monthly rollups (Finance's COGS): calendar months from the month of the first day, the month
# in progress included so that month-to-date COGS can be read before the month closes.
monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_DAY[:8] + "01", timezone="UTC", end_offset=1
)
