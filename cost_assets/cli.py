"""`cost-assets run`: materialize every day of a sources root through Dagster, then summarize.

Days run oldest first, one run per day, in this process, against the Dagster instance in
``$DAGSTER_HOME`` (so the UI shows the runs, partitions and check results afterwards).
"""

import argparse
import os
import shutil
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from cost_assets.resources import DEFAULT_SOURCES, REPO_ROOT

# The per-step event log goes to the Dagster UI; the terminal gets one line per day.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def day_range(start: str, end: str) -> list[str]:
    """Every UTC day from start to end inclusive, oldest first."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def sample_days(sources: str) -> list[str]:
    """The days a sources root has usage for: the days worth materializing."""
    from cost_assets.sources.storage import open_store

    store = open_store(sources)
    folders = store.folders("usage/speech") + store.folders("usage/llm")
    return sorted({f.split("=", 1)[1] for f in folders if f.startswith("date=")})


def _reconciliation(result: dg.ExecuteInProcessResult) -> str:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == "reconciles_to_bill":
            meta = {k: v.value for k, v in evaluation.metadata.items()}
            status = "reconciled" if evaluation.passed else "NOT RECONCILED"
            # Float sums differ in the last bits from run to run: show micro-dollars.
            delta = "under 1e-6" if abs(meta["delta"]) < 1e-6 else f"{meta['delta']:+,.6f}"
            return (
                f"{status}: bill less excluded {meta['dollars_in']:,.6f} USD "
                f"(excluded {meta.get('excluded_dollars', 0.0):,.2f}), facts "
                f"{meta['dollars_out']:,.6f} USD, delta {delta}"
            )
    return "check did not run" if result.success else "run failed before the check"


def run(days: list[str] | None) -> int:
    # The Beta and Preview features used are chosen knowingly (see the README).
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    from cost_assets.assets.report import report_location
    from cost_assets.definitions import defs
    from cost_assets.report.summary import render_summary
    from cost_assets.resources import storage_from_environment

    storage = storage_from_environment()
    days = days or sample_days(os.environ.get("COST_ASSETS_SOURCES", DEFAULT_SOURCES))
    from cost_assets.partitions import FIRST_DAY, daily_partitions

    known = set(daily_partitions.get_partition_keys())
    outside = [d for d in days if d not in known]
    if outside:
        print(
            f"no daily partition for {', '.join(outside)}: partitions run from {FIRST_DAY} "
            "(COST_ASSETS_FIRST_DAY) to yesterday (UTC)",
            file=sys.stderr,
        )
        return 2
    job = defs.resolve_job_def("daily_unit_costs")
    instance = dg.DagsterInstance.get()
    reconciliation: dict[str, str] = {}
    started = time.monotonic()
    failed = []
    for day in days:
        t0 = time.monotonic()
        result = job.execute_in_process(
            partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET
        )
        reconciliation[day] = _reconciliation(result)
        print(
            f"{day}: {'ok' if result.success else 'FAILED'} in {time.monotonic() - t0:.1f}s",
            flush=True,
        )
        if not result.success:
            failed.append(day)
            for event in result.get_step_failure_events():
                print(f"  {event.step_key}: {event.event_specific_data.error.message.strip()}")
    print(
        f"\nMaterialized {len(days) - len(failed)} of {len(days)} days in "
        f"{time.monotonic() - started:.1f}s into {storage.warehouse}\n"
    )
    ok_days = [d for d in days if d not in failed]
    months = sorted({f"{d[:7]}-01" for d in ok_days})
    monthly = defs.resolve_job_def("monthly_cogs")
    for month in months:
        result = monthly.execute_in_process(
            partition_key=month, instance=instance, raise_on_error=False, run_config=QUIET
        )
        checks = result.get_asset_check_evaluations()
        passed = result.success and all(e.passed for e in checks)
        print(f"finance_monthly_cogs {month[:7]}: {'equals its days' if passed else 'FAILED'}")
        if not passed:
            failed.append(month)
    report = None
    if ok_days:
        result = defs.resolve_job_def("report").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET
        )
        if result.success:
            report = report_location(storage.tables())
        else:
            print("cost_report: FAILED")
            failed.append("report")
        print()
        print(render_summary(storage.tables(), ok_days, reconciliation, report))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cost-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialize days and print the summary")
    run_parser.add_argument("--start", help="first UTC day of a range (with --end)")
    run_parser.add_argument("--end", help="last UTC day of the range, inclusive")
    run_parser.add_argument(
        "--day",
        action="append",
        dest="days",
        help="a UTC day YYYY-MM-DD (repeatable; default: every sample day)",
    )
    args = parser.parse_args(argv)
    if args.command == "run":
        if bool(args.start) != bool(args.end):
            parser.error("--start and --end go together")
        days = args.days or (day_range(args.start, args.end) if args.start else None)
        return run(days)
    return 2


if __name__ == "__main__":
    sys.exit(main())
