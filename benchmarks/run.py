"""Benchmark one day of cost-assets against the floor: a bare scan of the columns it needs.

    python benchmarks/run.py --scale small|medium|large [--runs 3] [--workdir DIR]

Generates a sources root with the sample generator at the given scale (seven days ending on
the measured day, written one day at a time; kept in the work folder and reused), then
measures, each in its own child process so that peak memory is the child's own:

  (a) floor     a bare Polars scan of exactly the columns the pipeline reads from the day's
                FOCUS and CUR files, keeping the day's rows (the same rows the pipeline takes);
  (b) dagster   the daily job for the day through Dagster: every daily asset and check, with
                their Parquet writes and re-reads, against a fresh instance;
  (c) pure      the same methodology chained in memory without Dagster;
  (d) backfill  the daily job for seven days, oldest first, in one process.

(a) to (c) are measured ``--runs`` times (3 by default), (d) once. For each: wall time, CPU
time, peak RSS, rows in, rows per second, and the ratios (b)/(a) and (c)/(a). Rows in are the
day's FOCUS and CUR export rows (FOCUS rows whose charge period touches the day, CUR rows
whose usage starts on it), the same count for every measure. Wall, CPU and memory are the
child's whole life, imports included. Writes a JSON report with the issue's targets checked
run by run (the scaling target compares with ``benchmark-medium.json`` in the same work
folder, so run medium first); the last line printed is a one-line summary.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Scale factors of the sample generator: small is the committed sample's company; medium and
# large approach the issue's ~1M and ~10M CUR rows a day. Per scale unit the generator bills
# about 22 instances and 58 tasks an hour, 3,300 CUR rows and 1,200 FOCUS rows a day.
SCALES = {"small": 1, "medium": 300, "large": 3000}
FIRST_DAY = date(2026, 11, 2)
BACKFILL_DAYS = 7


def _child(measure: str, sources: Path, warehouse: Path, day: str, scale: str = "small") -> dict:
    """Run one measurement in a child process; wall, CPU and peak RSS are the child's."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            measure,
            "--sources",
            str(sources),
            "--warehouse",
            str(warehouse),
            "--day",
            day,
            "--scale",
            scale,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(warehouse / ".dagster_home")},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{measure} failed:\n{completed.stdout}\n{completed.stderr}")
    rows_in, peak_kb = (int(v) for v in completed.stdout.strip().splitlines()[-1].split())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rows_in": rows_in,
        "rows_per_s": round(rows_in / wall) if wall else None,
    }


def measure_floor(sources: Path, day: date) -> int:
    """Scan the needed columns of the day's export files and keep the day's rows."""
    import polars as pl

    from cost_assets.sources.exports import billing_periods_for, day_rows
    from cost_assets.sources.schemas import CUR_COLUMNS_USED, FOCUS_COLUMNS_USED

    rows = 0
    for kind, columns in (("focus", FOCUS_COLUMNS_USED), ("cur", CUR_COLUMNS_USED)):
        files = [
            f
            for period in billing_periods_for(day)
            for f in sorted((sources / kind).glob(f"*/data/BILLING_PERIOD={period}/*.parquet"))
        ]
        schema = pl.scan_parquet(files).collect_schema()
        scan = pl.scan_parquet(files).select([c for c in columns if c in schema])
        rows += scan.filter(day_rows(kind, day, schema)).collect().height
    return rows


def measure_dagster(sources: Path, warehouse: Path, days: list[str]) -> int:
    """The daily job (the day's whole graph: every daily asset and check) for each day,
    oldest first, through Dagster against a fresh instance; the monthly tables and the
    report are not part of a day."""
    os.environ["COST_ASSETS_SOURCES"] = str(sources)
    os.environ["COST_ASSETS_WAREHOUSE"] = str(warehouse)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    import dagster as dg

    from cost_assets.cli import QUIET
    from cost_assets.definitions import defs

    job = defs.resolve_job_def("daily_unit_costs")
    instance = dg.DagsterInstance.get()
    for day in days:
        result = job.execute_in_process(
            partition_key=day, instance=instance, raise_on_error=False, run_config=QUIET
        )
        checks = result.get_asset_check_evaluations()
        if not result.success or not all(c.passed for c in checks):
            raise SystemExit(f"{day} failed or a check did not pass")
    return _rows_in_from_metadata(days)


def _rows_in_from_metadata(days: list[str]) -> int:
    """The day's export rows, as the raw assets recorded them in their metadata."""
    import dagster as dg

    instance = dg.DagsterInstance.get()
    rows = 0
    for key in ("focus_charges", "cur_task_hours"):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(key), asset_partitions=days),
            limit=len(days),
        ).records
        for record in records:
            metadata = record.asset_materialization.metadata
            rows += int(metadata["export_rows_of_day"].value)
    return rows


def measure_pure(sources: Path, day: date) -> int:
    from cost_assets.pipeline import compute_day

    return compute_day(str(sources), day)


def generate(scale: str, root: Path) -> tuple[Path, dict | None]:
    """The sources root of ``scale`` under ``root``, generated in a child process unless it
    already exists; and the generation's measures (None when reused)."""
    sources = root / f"sources-{scale}"
    if (sources / "reference").exists():
        return sources, None
    return sources, _child("generate", sources, root, FIRST_DAY.isoformat(), scale)


def generate_sources(sources: Path, scale: str) -> int:
    """Write the sources root one day at a time (one chunk file per day and export, as a
    long delivery has); the export rows written."""
    from cost_assets.sample.generator import generate_sample_by_day

    start = FIRST_DAY - timedelta(days=BACKFILL_DAYS - 1)
    summary = generate_sample_by_day(
        sources, start=start, days=BACKFILL_DAYS, scale=SCALES[scale], seed=7
    )
    return summary.focus_rows + summary.cur_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--measure", choices=["generate", "floor", "dagster", "pure", "backfill"])
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--day")
    parser.add_argument("--runs", type=int, default=3, help="runs of floor, pure and dagster")
    parser.add_argument("--skip-backfill", action="store_true", help="measure no backfill")
    args = parser.parse_args()

    if args.measure:  # inside a child
        day = date.fromisoformat(args.day)
        if args.measure == "generate":
            rows = generate_sources(args.sources, args.scale)
        elif args.measure == "floor":
            rows = measure_floor(args.sources, day)
        elif args.measure == "pure":
            rows = measure_pure(args.sources, day)
        elif args.measure == "dagster":
            rows = measure_dagster(args.sources, args.warehouse, [args.day])
        else:
            first = day - timedelta(days=BACKFILL_DAYS - 1)
            days = [(first + timedelta(days=n)).isoformat() for n in range(BACKFILL_DAYS)]
            rows = measure_dagster(args.sources, args.warehouse, days)
        # The child's own peak resident set (Linux reports kilobytes).
        print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return

    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="cost-assets-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    sources, generated = generate(args.scale, workdir)
    day = FIRST_DAY.isoformat()
    runs = []
    for _ in range(args.runs):
        run = {}
        for measure in ("floor", "pure", "dagster"):
            run[measure] = _measure(measure, sources, workdir, args.scale, day)
        run["pure_over_floor"] = round(run["pure"]["wall_s"] / run["floor"]["wall_s"], 2)
        run["dagster_over_floor"] = round(run["dagster"]["wall_s"] / run["floor"]["wall_s"], 2)
        runs.append(run)
    backfill = (
        None if args.skip_backfill else _measure("backfill", sources, workdir, args.scale, day)
    )
    report = {
        "scale": args.scale,
        "scale_factor": SCALES[args.scale],
        "day": day,
        "generation": generated or "reused",
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "backfill": backfill,
        "backfill_wall_s_per_day": round(backfill["wall_s"] / BACKFILL_DAYS, 3)
        if backfill
        else None,
        "targets": targets(runs, workdir, args.scale),
    }
    out = args.out or workdir / f"benchmark-{args.scale}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    judged = [t["met"] for t in report["targets"].values() if t["met"] is not None]
    verdict = ("met" if all(judged) else "NOT met") if judged else "judged at large only"
    ratios = ", ".join(
        f"pure {r['pure_over_floor']}x/{r['pure']['peak_rss_mb']:.0f} MB dagster "
        f"{r['dagster']['wall_s']}s"
        for r in runs
    )
    print(
        f"{args.scale}: floor {runs[-1]['floor']['wall_s']}s; {ratios}; 7-day backfill "
        f"{backfill['wall_s'] if backfill else '-'}s; targets {verdict}; "
        f"report {out}"
    )


def _measure(measure: str, sources: Path, workdir: Path, scale: str, day: str) -> dict:
    warehouse = workdir / f"warehouse-{scale}-{measure}"
    shutil.rmtree(warehouse, ignore_errors=True)
    return _child(measure, sources, warehouse, day)


# The targets on a 2-core, 24 GB machine, for one large day.
PURE_OVER_FLOOR_MAX = 4.0
PURE_PEAK_RSS_MB_MAX = 6 * 1024
DAGSTER_WALL_S_MAX = 90.0
# From medium to large, wall time grows by at most this times the growth in rows.
LINEAR_SLACK = 1.2


def targets(runs: list[dict], workdir: Path, scale: str) -> dict:
    """Each target with the figure of every run and whether all runs meet it (``met`` is
    None where the target is not about this scale)."""
    large = scale == "large"

    def every(values: list[float], limit: float) -> dict:
        return {
            "limit": limit,
            "runs": values,
            "met": all(v <= limit for v in values) if large else None,
        }

    found = {
        "pure_over_floor": every([r["pure_over_floor"] for r in runs], PURE_OVER_FLOOR_MAX),
        "pure_peak_rss_mb": every([r["pure"]["peak_rss_mb"] for r in runs], PURE_PEAK_RSS_MB_MAX),
        "dagster_wall_s": every([r["dagster"]["wall_s"] for r in runs], DAGSTER_WALL_S_MAX),
    }
    medium = workdir / "benchmark-medium.json"
    if large and medium.exists():
        base = json.loads(medium.read_text())["runs"]
        row_ratio = runs[0]["pure"]["rows_in"] / base[0]["pure"]["rows_in"]
        for measure in ("pure", "dagster"):
            growth = _median([r[measure]["wall_s"] for r in runs]) / _median(
                [r[measure]["wall_s"] for r in base]
            )
            found[f"{measure}_growth_over_row_growth"] = {
                "limit": LINEAR_SLACK,
                "row_growth": round(row_ratio, 2),
                "wall_growth": round(growth, 2),
                "runs": [round(growth / row_ratio, 2)],
                "met": growth / row_ratio <= LINEAR_SLACK,
            }
    return found


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    main()
