"""The one daily partitions definition: UTC days from the first day of billing data."""

import os

import dagster as dg

# The sample company's first day; a real deployment sets its own first day of exports.
FIRST_DAY = os.environ.get("COST_ASSETS_FIRST_DAY", "2026-10-25")

daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC")
