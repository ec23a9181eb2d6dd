"""The sample company's reference data (SPEC 2.5), and a writer for any sources root.

One account, three regions, three ECS clusters (each a fleet): ``speech-cpu``, ``speech-gpu``
and ``llm-gpu``; eight workers plus one log-agent daemon per cluster; five product lines, one
of them (``meeting-notes``) hybrid speech + LLM, one (``ai-assistant``) also on Amazon Bedrock.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import yaml

REGIONS: tuple[str, ...] = ("us-west-2", "us-east-1", "eu-west-1")
BEDROCK_MODEL = "meta.llama3-70b-instruct-v1:0"

WORKERS = pl.DataFrame(
    [
        ("asr-streaming", "speech-gpu", "speech-gpu", False, 1, "audio_hours"),
        ("asr-batch", "speech-gpu", "speech-gpu", False, 1, "audio_hours"),
        ("tts-synth", "speech-gpu", "speech-gpu", False, 1, "audio_hours"),
        ("diarizer", "speech-cpu", "speech-cpu", False, 0, "audio_hours"),
        ("audio-preproc", "speech-cpu", "speech-cpu", False, 0, "audio_hours"),
        ("api-edge", "speech-cpu", "speech-cpu", False, 0, "requests"),
        ("llm-summarizer", "llm-gpu", "llm-gpu", False, 2, "tokens"),
        ("llm-router", "speech-cpu", "speech-cpu", False, 0, "tokens"),
        ("speech-cpu-log-agent", "speech-cpu", "speech-cpu", True, 0, "requests"),
        ("speech-gpu-log-agent", "speech-gpu", "speech-gpu", True, 0, "requests"),
        ("llm-gpu-log-agent", "llm-gpu", "llm-gpu", True, 0, "requests"),
    ],
    schema=["worker", "cluster", "fleet", "is_daemon", "gpus_per_task", "unit"],
    orient="row",
)

# Task reservations (vCPU, GB) per worker: the ECS task definitions.
RESERVATIONS: dict[str, tuple[float, float]] = {
    "asr-streaming": (3.0, 12.0),
    "asr-batch": (3.0, 12.0),
    "tts-synth": (3.0, 12.0),
    "diarizer": (2.0, 8.0),
    "audio-preproc": (2.0, 4.0),
    "api-edge": (1.0, 2.0),
    "llm-summarizer": (16.0, 64.0),
    "llm-router": (1.0, 2.0),
    "speech-cpu-log-agent": (0.25, 0.5),
    "speech-gpu-log-agent": (0.25, 0.5),
    "llm-gpu-log-agent": (0.25, 0.5),
}


def _configs() -> pl.DataFrame:
    rows: list[tuple[str, str, str, str | None]] = []
    for product in ("transcribe-live", "meeting-notes"):
        for model in ("asr-fast-v3", "asr-fast-v4"):
            rows += [("asr-streaming", product, model, lang) for lang in ("en", "es", "fr", "de")]
    rows += [
        ("asr-batch", "transcribe-batch", "asr-large-v2", lang) for lang in ("en", "es", "de", "ja")
    ]
    rows += [("tts-synth", "voice-studio", "tts-v2", lang) for lang in ("en", "es")]
    rows += [("diarizer", p, "diarize-v1", None) for p in ("transcribe-batch", "meeting-notes")]
    rows += [
        ("audio-preproc", p, "preproc-v1", None)
        for p in ("transcribe-live", "transcribe-batch", "meeting-notes")
    ]
    rows += [
        ("api-edge", "transcribe-live", "preproc-v1", None),
        ("api-edge", "voice-studio", "tts-v2", None),
        ("llm-summarizer", "meeting-notes", "summarizer-8b", None),
        ("llm-summarizer", "ai-assistant", "summarizer-8b", None),
        ("llm-router", "ai-assistant", BEDROCK_MODEL, None),
        ("llm-router", "ai-assistant", "summarizer-8b", None),
    ]
    return pl.DataFrame(rows, schema=["worker", "product", "model", "language"], orient="row")


WORKER_CONFIGS = _configs()

PRODUCT_CALENDAR = pl.DataFrame(
    [
        ("transcribe-live", "asr-fast-v3", "audio_hours", "2025-06-02", None),
        ("transcribe-live", "asr-fast-v4", "audio_hours", "2026-11-01", None),
        ("transcribe-live", "preproc-v1", "audio_hours", "2025-06-02", None),
        ("meeting-notes", "asr-fast-v3", "audio_hours", "2025-09-15", None),
        ("meeting-notes", "asr-fast-v4", "audio_hours", "2026-11-01", None),
        ("meeting-notes", "diarize-v1", "audio_hours", "2025-09-15", None),
        ("meeting-notes", "preproc-v1", "audio_hours", "2025-09-15", None),
        ("meeting-notes", "summarizer-8b", "tokens", "2026-02-02", None),
        ("transcribe-batch", "asr-large-v2", "audio_hours", "2025-03-03", None),
        ("transcribe-batch", "diarize-v1", "audio_hours", "2025-03-03", None),
        ("transcribe-batch", "preproc-v1", "audio_hours", "2025-03-03", None),
        ("voice-studio", "tts-v2", "audio_hours", "2025-08-04", None),
        ("ai-assistant", "summarizer-8b", "tokens", "2026-05-04", None),
        ("ai-assistant", BEDROCK_MODEL, "tokens", "2026-05-04", None),
    ],
    schema=["product", "model", "unit", "ga_date", "retired_date"],
    orient="row",
)

PRODUCT_LINES = pl.DataFrame(
    [
        ("transcribe-live", 1.0, True),
        ("transcribe-batch", 0.5, True),
        ("voice-studio", 2.0, True),
        ("meeting-notes", 1.5, True),
        ("ai-assistant", 3.0, False),
    ],
    schema=["product", "intensity_weight", "fixed_split"],
    orient="row",
)

# AmazonDynamoDB is deliberately absent: an unlisted service takes the fallback tier.
SHARED_SERVICES = pl.DataFrame(
    [
        ("AWSELB", "requests"),
        ("AmazonApiGateway", "requests"),
        ("AmazonECR", "containers"),
        ("AmazonCloudWatch", "containers"),
        ("AWSCloudTrail", "fixed"),
        ("AWSSupportBusiness", "fixed"),
        ("AmazonS3", "fallback"),
        ("AmazonBedrock", "llm_tokens"),
    ],
    schema=["service_code", "tier"],
    orient="row",
)

INSTANCE_TYPES = pl.DataFrame(
    [
        ("m5.large", 2, 8.0, 0, 0.096),
        ("m5.xlarge", 4, 16.0, 0, 0.192),
        ("m5.2xlarge", 8, 32.0, 0, 0.384),
        ("m5.4xlarge", 16, 64.0, 0, 0.768),
        ("m5.12xlarge", 48, 192.0, 0, 2.304),
        ("c5.4xlarge", 16, 32.0, 0, 0.68),
        ("g5.xlarge", 4, 16.0, 1, 1.006),
        ("g5.2xlarge", 8, 32.0, 1, 1.212),
        ("g5.12xlarge", 48, 192.0, 4, 5.672),
    ],
    schema=["instance_type", "vcpu", "memory_gib", "gpus", "on_demand_usd_per_hour"],
    orient="row",
)

SETTINGS: dict[str, Any] = {
    "product_tag_key": "product",
    "fleet_tag_key": "fleet",
    "gpu_weighting": "empirical",
    "gpu_reference_family": "m5",
    "excluded_charge_categories": ["Tax"],
    "usage_window_days": 7,
    "language_window_days": 28,
}

REFERENCE_TABLES: dict[str, pl.DataFrame] = {
    "workers": WORKERS,
    "worker_configs": WORKER_CONFIGS,
    "product_calendar": PRODUCT_CALENDAR,
    "product_lines": PRODUCT_LINES,
    "shared_services": SHARED_SERVICES,
    "instance_types": INSTANCE_TYPES,
}


def write_reference(
    root: Path | str,
    *,
    workers: pl.DataFrame | None = None,
    worker_configs: pl.DataFrame | None = None,
    product_calendar: pl.DataFrame | None = None,
    product_lines: pl.DataFrame | None = None,
    shared_services: pl.DataFrame | None = None,
    instance_types: pl.DataFrame | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``root/reference/`` : the six CSV files and ``settings.yaml``.

    Each table not given is the sample company's; ``settings`` entries override the sample's.
    """
    given = {
        "workers": workers,
        "worker_configs": worker_configs,
        "product_calendar": product_calendar,
        "product_lines": product_lines,
        "shared_services": shared_services,
        "instance_types": instance_types,
    }
    folder = Path(root) / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, default in REFERENCE_TABLES.items():
        table = given[name] if given[name] is not None else default
        path = folder / f"{name}.csv"
        table.write_csv(path)
        written.append(path)
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump({**SETTINGS, **dict(settings or {})}, sort_keys=False))
    written.append(path)
    return written
