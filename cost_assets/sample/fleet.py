"""The simulated fleet: which instances ran, and which ECS tasks ran on them, hour by hour.

A small discrete simulation, seeded with ``random.Random``, decides per region, fleet and hour
how many tasks each worker runs (a daily traffic curve per region), keeps tasks on the
instance they started on for their whole life, packs new tasks first-fit onto the fleet's
instances (launching one when none fits), keeps warm spare GPU instances overnight, and
terminates instances left empty. Its output is *spans* (an instance or task from one hour to
another); ``instance_hours`` and ``task_hours`` expand them into hourly frames with Polars, so
the Python loop runs per event, not per billing row.
"""

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl

from cost_assets.sample.reference import INSTANCE_TYPES, REGIONS, RESERVATIONS, WORKERS

FLEET_TYPES: dict[str, tuple[tuple[str, float], ...]] = {
    "speech-cpu": (("m5.2xlarge", 0.5), ("c5.4xlarge", 0.5)),
    "speech-gpu": (("g5.xlarge", 0.6), ("g5.2xlarge", 0.4)),
    "llm-gpu": (("g5.12xlarge", 1.0),),
}
REGION_PREFIX = {"us-west-2": "USW2", "us-east-1": "USE1", "eu-west-1": "EU"}
REGION_WEIGHT = {"us-west-2": 1.0, "us-east-1": 0.75, "eu-west-1": 0.55}
PEAK_HOUR_UTC = {"us-west-2": 20, "us-east-1": 17, "eu-west-1": 13}
# Tasks per worker and region at the daily peak in us-west-2, scale 1.
PEAK_TASKS = {
    "asr-streaming": 7,
    "asr-batch": 3,
    "tts-synth": 2,
    "diarizer": 3,
    "audio-preproc": 4,
    "api-edge": 2,
    "llm-summarizer": 3,
    "llm-router": 2,
}
# Every instance of this fleet in this region runs only its daemon in this UTC hour.
DARK_FLEET_HOUR = ("eu-west-1", "llm-gpu", 3)
CI_RUNNER = ("us-east-1", "m5.large")

_CAPACITY = {
    row["instance_type"]: (float(row["vcpu"]), float(row["memory_gib"]), int(row["gpus"]))
    for row in INSTANCE_TYPES.iter_rows(named=True)
}
_GPUS = {row["worker"]: int(row["gpus_per_task"]) for row in WORKERS.iter_rows(named=True)}
_FLEET_OF = {row["worker"]: row["fleet"] for row in WORKERS.iter_rows(named=True)}
_DAEMON = {row["fleet"]: row["worker"] for row in WORKERS.iter_rows(named=True) if row["is_daemon"]}


def _need(worker: str) -> tuple[float, float, float]:
    """What a task of ``worker`` takes from its instance: vCPU, GB, GPUs."""
    vcpu, gb = RESERVATIONS[worker]
    return (vcpu, gb, float(_GPUS[worker]))


def traffic(region: str, hour_of_day: int) -> float:
    """Relative traffic in a region at a UTC hour: 1.0 at the local peak, 0.25 at night."""
    phase = 2 * math.pi * (hour_of_day - PEAK_HOUR_UTC[region]) / 24
    return 0.25 + 0.75 * (0.5 + 0.5 * math.cos(phase))


@dataclass(eq=False)
class _Instance:
    instance_id: str
    instance_type: str
    start: int
    daemon_task_id: str
    daemon_task_no: int
    launch_no: int
    free: list[float] = field(default_factory=list)
    tasks: int = 0


def _fits(free: list[float], need: tuple[float, ...]) -> bool:
    return all(f >= n - 1e-9 for f, n in zip(free, need, strict=True))


class _Pool:
    """A fleet's live instances in one region, in launch order, with a first-fit index.

    Per task size, a heap of the launch numbers of instances that had room for it when their
    free capacity last grew; entries that no longer fit are dropped when they reach the top.
    The first instance with room, in launch order, is then the heap's first valid entry.
    """

    def __init__(self, needs: list[tuple[float, ...]]) -> None:
        self.instances: dict[int, _Instance] = {}
        self.room: dict[tuple[float, ...], list[int]] = {need: [] for need in needs}

    def __len__(self) -> int:
        return len(self.instances)

    def __iter__(self) -> Iterator[_Instance]:
        return iter(self.instances.values())

    def add(self, instance: _Instance) -> None:
        self.instances[instance.launch_no] = instance
        self.freed(instance)

    def remove(self, instance: _Instance) -> None:
        del self.instances[instance.launch_no]

    def freed(self, instance: _Instance) -> None:
        """Index an instance whose free capacity grew."""
        for need, heap in self.room.items():
            if _fits(instance.free, need):
                heapq.heappush(heap, instance.launch_no)

    def first_fit(self, need: tuple[float, ...]) -> _Instance | None:
        heap = self.room[need]
        while heap:
            instance = self.instances.get(heap[0])
            if instance is not None and _fits(instance.free, need):
                return instance
            heapq.heappop(heap)
        return None


@dataclass
class _Task:
    task_id: str
    task_no: int
    instance: _Instance
    start: int


@dataclass
class Fleet:
    """Spans of the simulation: instances and tasks, hours counted from ``start``."""

    start: datetime
    hours: int
    instances: pl.DataFrame
    tasks: pl.DataFrame


class _Simulation:
    def __init__(self, start: date, days: int, scale: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        self.hours = days * 24
        self.scale = scale
        self.instance_rows: list[tuple] = []
        self.task_rows: list[tuple] = []
        self.task_no = 0
        self.launches = 0
        self.day_noise = {
            (region, day): self.rng.uniform(0.9, 1.1) for day in range(days) for region in REGIONS
        }
        self.night_spares = {
            (region, day): self.rng.choice((1, 2)) for day in range(days) for region in REGIONS
        }

    def _id(self, bits: int, width: int) -> str:
        return f"{self.rng.getrandbits(bits):0{width}x}"

    def _next_task(self) -> tuple[str, int]:
        self.task_no += 1
        return self._id(128, 32), self.task_no

    def target_tasks(self, region: str, worker: str, hour: int) -> int:
        hour_of_day = hour % 24
        if (region, _FLEET_OF[worker], hour_of_day) == DARK_FLEET_HOUR:
            return 0
        level = traffic(region, hour_of_day) * self.day_noise[(region, hour // 24)]
        return max(1, round(PEAK_TASKS[worker] * REGION_WEIGHT[region] * level * self.scale))

    def spares(self, region: str, fleet: str, hour: int) -> int:
        if fleet == "speech-gpu" and traffic(region, hour % 24) < 0.5:
            return self.night_spares[(region, hour // 24)]
        return 0

    def launch(self, region: str, fleet: str, hour: int, pool: _Pool) -> _Instance:
        names = [name for name, _ in FLEET_TYPES[fleet]]
        weights = [weight for _, weight in FLEET_TYPES[fleet]]
        instance_type = self.rng.choices(names, weights)[0]
        daemon_id, daemon_no = self._next_task()
        self.launches += 1
        instance = _Instance(
            "i-" + self._id(68, 17), instance_type, hour, daemon_id, daemon_no, self.launches
        )
        vcpu, gb, gpus = _CAPACITY[instance_type]
        daemon_vcpu, daemon_gb = RESERVATIONS[_DAEMON[fleet]]
        instance.free = [vcpu - daemon_vcpu, gb - daemon_gb, float(gpus)]
        pool.add(instance)
        return instance

    def terminate(self, region: str, fleet: str, instance: _Instance, hour: int) -> None:
        i = instance
        self.instance_rows.append((i.instance_id, region, fleet, i.instance_type, i.start, hour))
        self.task_rows.append(
            (
                i.daemon_task_id,
                i.daemon_task_no,
                _DAEMON[fleet],
                fleet,
                region,
                i.instance_id,
                i.start,
                hour,
            )
        )

    def run(self) -> Fleet:
        pools: dict[tuple[str, str], _Pool] = {}
        live: dict[tuple[str, str], list[_Task]] = {}
        workers_of = {
            fleet: [w for w in PEAK_TASKS if _FLEET_OF[w] == fleet] for fleet in FLEET_TYPES
        }
        for hour in range(self.hours):
            for region in REGIONS:
                for fleet, workers in workers_of.items():
                    if (region, fleet) not in pools:
                        pools[(region, fleet)] = _Pool(sorted({_need(w) for w in workers}))
                    self._step(region, fleet, workers, hour, pools[(region, fleet)], live)
        for (region, fleet), pool in pools.items():
            for instance in pool:
                self.terminate(region, fleet, instance, self.hours)
        for (region, worker), tasks in live.items():
            for task in tasks:
                self._stop(region, worker, task, self.hours)

        ci_region, ci_type = CI_RUNNER
        self.instance_rows.append(
            ("i-" + self._id(68, 17), ci_region, None, ci_type, 0, self.hours)
        )
        instances = pl.DataFrame(
            self.instance_rows,
            schema={
                "instance_id": pl.String,
                "region": pl.String,
                "fleet": pl.String,
                "instance_type": pl.String,
                "start_hour": pl.Int64,
                "end_hour": pl.Int64,
            },
            orient="row",
        )
        # Instances numbered in id order, among those that ran at least an hour.
        ran = pl.col("start_hour") < pl.col("end_hour")
        instances = instances.with_columns(
            pl.when(ran)
            .then(pl.col("instance_id"))
            .rank("dense")
            .cast(pl.Int64)
            .alias("instance_no")
        )
        tasks = pl.DataFrame(
            self.task_rows,
            schema={
                "task_id": pl.String,
                "task_no": pl.Int64,
                "worker": pl.String,
                "cluster": pl.String,
                "region": pl.String,
                "instance_id": pl.String,
                "start_hour": pl.Int64,
                "end_hour": pl.Int64,
            },
            orient="row",
        )
        return Fleet(self.start, self.hours, instances, tasks)

    def _stop(self, region: str, worker: str, task: _Task, hour: int) -> None:
        self.task_rows.append(
            (
                task.task_id,
                task.task_no,
                worker,
                _FLEET_OF[worker],
                region,
                task.instance.instance_id,
                task.start,
                hour,
            )
        )

    def _step(
        self,
        region: str,
        fleet: str,
        workers: list[str],
        hour: int,
        pool: _Pool,
        live: dict[tuple[str, str], list[_Task]],
    ) -> None:
        # Stop the newest tasks where traffic fell, start tasks where it rose.
        wanted = {w: self.target_tasks(region, w, hour) for w in workers}
        for worker in workers:
            tasks = live.setdefault((region, worker), [])
            while len(tasks) > wanted[worker]:
                task = tasks.pop()
                need = _need(worker)
                task.instance.free = [f + n for f, n in zip(task.instance.free, need, strict=True)]
                task.instance.tasks -= 1
                pool.freed(task.instance)
                self._stop(region, worker, task, hour)
        for worker in workers:
            tasks = live[(region, worker)]
            need = _need(worker)
            while len(tasks) < wanted[worker]:
                # First fit: the earliest launched instance with room for the task.
                host = pool.first_fit(need)
                if host is None:
                    host = self.launch(region, fleet, hour, pool)
                host.free = [f - n for f, n in zip(host.free, need, strict=True)]
                host.tasks += 1
                task_id, task_no = self._next_task()
                tasks.append(_Task(task_id, task_no, host, hour))

        # Keep warm spares (and at least one instance per fleet), terminate other empties.
        empty = [i for i in pool if i.tasks == 0]
        keep = self.spares(region, fleet, hour)
        if len(empty) == len(pool):
            keep = max(keep, 1)
        while len(empty) > keep:
            instance = empty.pop()
            pool.remove(instance)
            self.terminate(region, fleet, instance, hour)
        while len(empty) < keep:
            empty.append(self.launch(region, fleet, hour, pool))


def simulate(start: date, days: int, scale: int = 1, seed: int = 7) -> Fleet:
    """Run the fleet simulation for ``days`` UTC days from ``start``."""
    return _Simulation(start, days, scale, seed).run()


def _hour_expr(start: datetime) -> pl.Expr:
    return (pl.lit(start).dt.cast_time_unit("us") + pl.duration(hours=pl.col("hour_index"))).alias(
        "hour"
    )


def _hours_of(spans: pl.DataFrame, first_hour: int, end_hour: int) -> pl.DataFrame:
    """Spans exploded into one row per hour, keeping the hours in ``[first_hour, end_hour)``."""
    return (
        spans.filter((pl.col("start_hour") < end_hour) & (pl.col("end_hour") > first_hour))
        .with_columns(
            hour_index=pl.int_ranges(
                pl.max_horizontal("start_hour", pl.lit(first_hour)),
                pl.min_horizontal("end_hour", pl.lit(end_hour)),
            )
        )
        .explode("hour_index")
        .drop_nulls("hour_index")
    )


def instance_hours(fleet: Fleet, first_hour: int = 0, end_hour: int | None = None) -> pl.DataFrame:
    """One row per instance and hour: region, fleet (null outside fleets), type, capacity.

    Only the hours in ``[first_hour, end_hour)`` (all by default). ``instance_no`` numbers
    the instances of the whole simulation (1, 2, ... in id order), whatever the hours kept.
    """
    return (
        _hours_of(fleet.instances, first_hour, fleet.hours if end_hour is None else end_hour)
        .with_columns(_hour_expr(fleet.start))
        .join(INSTANCE_TYPES, on="instance_type", how="left")
        .drop("start_hour", "end_hour")
        .sort("hour_index", "region", "instance_id")
    )


def hash_uniform(key: pl.Expr, salt: int) -> pl.Expr:
    """A deterministic pseudo-random number in [0, 1) from an integer key (32-bit mix)."""
    mask = 2**32
    x = (key * 31 + salt * 1_000_003) % mask
    for _ in range(2):
        x = (((x // 65536).xor(x)) * 0x45D9F3B) % mask
    x = (x // 65536).xor(x)
    return x.cast(pl.Float64) / mask


def _binary(expr: pl.Expr) -> pl.Expr:
    # Multiples of 1/1024 add up exactly in float64, in any order: the per-instance totals
    # of allocated vCPU and GB (and so every split cost) do not depend on summation order.
    return (expr * 1024).round() / 1024


def task_hours(fleet: Fleet, first_hour: int = 0, end_hour: int | None = None) -> pl.DataFrame:
    """One row per task and hour: worker, instance, reserved and actually used vCPU and GB.

    Only the hours in ``[first_hour, end_hour)`` (all by default). Actual usage is a seeded
    fraction of the reservation, sometimes above it.
    """
    reservations = pl.DataFrame(
        [(w, v, g) for w, (v, g) in RESERVATIONS.items()],
        schema=["worker", "vcpu_reserved", "gb_reserved"],
        orient="row",
    )
    key = pl.col("task_no") * 4099 + pl.col("hour_index")
    daemon = pl.col("worker").is_in([w for w in _DAEMON.values()])
    cpu_fraction = (
        pl.when(daemon)
        .then(0.2 + 0.6 * hash_uniform(key, 1))
        .otherwise(0.15 + 1.1 * hash_uniform(key, 1))
    )
    gb_fraction = 0.3 + 0.85 * hash_uniform(key, 2)
    return (
        _hours_of(fleet.tasks, first_hour, fleet.hours if end_hour is None else end_hour)
        .with_columns(_hour_expr(fleet.start))
        .join(reservations, on="worker", how="left")
        .with_columns(
            _binary(pl.col("vcpu_reserved") * cpu_fraction).alias("vcpu_used"),
            _binary(pl.col("gb_reserved") * gb_fraction).alias("gb_used"),
            daemon.alias("is_daemon"),
        )
        .drop("start_hour", "end_hour")
        .sort("hour_index", "region", "instance_id", "task_id")
    )
