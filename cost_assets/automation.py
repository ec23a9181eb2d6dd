"""Running every day for years: the daily schedule and the restatement sensor.

AWS re-delivers a billing period at least daily while it is open and for about two weeks after
it closes. The schedule materializes yesterday; the sensor watches the deliveries of the open
billing periods and, when one changes, re-runs exactly the days whose input rows changed.
"""

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import dagster as dg

from cost_assets.assets.raw import day_fingerprint
from cost_assets.partitions import RESTATEMENT_DAYS, today
from cost_assets.resources import CostAssetsStorage
from cost_assets.sources.exports import Delivery, find_delivery
from cost_assets.sources.storage import SourceStore

FINGERPRINTED = {"focus": "focus_charges", "cur": "cur_task_hours"}


def open_billing_periods(on: date) -> list[str]:
    """The periods that can still change: this month, and last month for its first 15 days."""
    periods = [f"{on.year:04d}-{on.month:02d}"]
    if on.day <= RESTATEMENT_DAYS:
        last = on.replace(day=1) - timedelta(days=1)
        periods.insert(0, f"{last.year:04d}-{last.month:02d}")
    return periods


def delivery_token(delivery: Delivery) -> str:
    """What identifies one delivery: the manifest's version, or every file's version."""
    return json.dumps(
        [delivery.manifest_key, delivery.manifest_version, delivery.execution_id]
        + sorted(f"{f.key}@{f.version}" for f in delivery.files)
    )


def _recorded_fingerprint(instance: dg.DagsterInstance, asset: str, day: str) -> str | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[day]), limit=1
    ).records
    if not records:
        return None
    value = records[0].asset_materialization.metadata.get("input_fingerprint")
    return value.value if value is not None else None


def _candidate_days(instance: dg.DagsterInstance, period: str) -> list[str]:
    """Materialized days that a delivery of ``period`` can touch: its own and, through
    corrections, those of the two periods before it."""
    start = date.fromisoformat(f"{period}-01")
    earliest = (start - timedelta(days=62)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    materialized = instance.get_materialized_partitions(dg.AssetKey("focus_charges"))
    return sorted(d for d in materialized if earliest.isoformat() <= d < end.isoformat())


def changed_days(
    store: SourceStore, instance: dg.DagsterInstance, cursor: dict[str, str], on: date
) -> tuple[list[str], dict[str, str]]:
    """Days whose export rows differ from what their last materialization read, and the
    cursor of deliveries seen."""
    seen = dict(cursor)
    changed: set[str] = set()
    for period in open_billing_periods(on):
        for kind, asset in FINGERPRINTED.items():
            delivery = find_delivery(store, kind, period)
            if delivery is None:
                continue
            token = delivery_token(delivery)
            if cursor.get(f"{kind}/{period}") == token:
                continue
            seen[f"{kind}/{period}"] = token
            for day in _candidate_days(instance, period):
                current = day_fingerprint(store, kind, date.fromisoformat(day))
                recorded = _recorded_fingerprint(instance, asset, day)
                if recorded is not None and recorded != current:
                    changed.add(day)
    return sorted(changed), seen


def _digest(seen: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:16]


def month_of_yesterday(on: date) -> str:
    """The monthly partition key (first day) of the month that yesterday belongs to."""
    return (on - timedelta(days=1)).replace(day=1).isoformat()


def build_automation(job: Any, monthly_job: Any) -> tuple[list, list]:
    """The daily and monthly schedules, and the restatement sensor for the daily job."""
    schedule = dg.build_schedule_from_partitioned_job(
        job,
        name="daily_unit_costs_schedule",
        hour_of_day=6,
        description="Yesterday's partition at 06:00 UTC, once the day's exports have landed.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )

    @dg.schedule(
        name="monthly_cogs_schedule",
        job=monthly_job,
        cron_schedule="0 8 * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Finance's month to date, rebuilt every morning after the daily run.",
    )
    def monthly_cogs_schedule(context: dg.ScheduleEvaluationContext):
        on = context.scheduled_execution_time.date()
        month = month_of_yesterday(on)
        return dg.RunRequest(run_key=f"monthly:{month}:{on.isoformat()}", partition_key=month)

    @dg.sensor(
        name="export_restatements",
        job=job,
        minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Re-runs the days of an open billing period whose delivery changed.",
    )
    def export_restatements(context: dg.SensorEvaluationContext, storage: CostAssetsStorage):
        cursor = json.loads(context.cursor) if context.cursor else {}
        days, seen = changed_days(storage.source_store(), context.instance, cursor, today())
        for day in days:
            yield dg.RunRequest(
                partition_key=day,
                run_key=f"restatement:{day}:{_digest(seen)}",
                tags={"cost_assets/reason": "restatement"},
            )
        if days:
            context.log.info(f"restated deliveries changed {len(days)} days: {', '.join(days)}")
        context.update_cursor(json.dumps(seen, sort_keys=True))

    return [schedule, monthly_cogs_schedule], [export_restatements]
