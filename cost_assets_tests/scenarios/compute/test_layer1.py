"""Layer 1 (SPEC 3.5): workers to product, model and language, through the real assets."""

import pytest

from cost_assets.sample.reference import BEDROCK_MODEL
from cost_assets_tests.scenarios.compute.builder import (
    DAY,
    PREVIOUS_DAY,
    Scenario,
    assert_costs,
    costs,
    materialize,
)


def layer_one() -> Scenario:
    """Hour 8 of 2026-11-02, us-west-2, one speech-cpu instance i-l (C = 1.02) running six
    tasks, each 0.02 idle: diarizer 0.40 in use, audio-preproc 0.20, api-edge 0.10,
    llm-router 0.10, and two tasks started outside any service (0.05 each; one without the
    service tag, one with it empty).

    - diarizer has usage that hour: transcribe-batch 3 audio hours, meeting-notes 1 → 3 : 1;
    - audio-preproc has none that hour, but had some the day before (transcribe-live 1,
      meeting-notes 3 audio hours) → its trailing window, 1 : 3;
    - api-edge never had usage (cold start) → evenly over its two catalogued configurations;
    - llm-router counts tokens: summarizer-8b 100 + 300, the Bedrock model 200 + 200 → 1 : 1;
    - the standalone tasks are the worker speech-cpu/standalone, with no catalog entry and
      no usage → unattributed (product and model unattributed, language und): 0.10 in use.
    """
    s = Scenario()
    s.instance("i-l", 8, 1.02, fleet="speech-cpu", capacity=(16, 64, 0), instance_type="m5.4xlarge")
    for task, worker, in_use in [
        ("t1", "diarizer", 0.40),
        ("t2", "audio-preproc", 0.20),
        ("t3", "api-edge", 0.10),
        ("t4", "llm-router", 0.10),
        ("t5", None, 0.05),
        ("t6", "", 0.05),
    ]:
        s.task("i-l", 8, task, worker, cluster="speech-cpu", vcpu=(1, 1), gb=(2, 2),
               split=(in_use, 0.0), unused=(0.01, 0.01))  # fmt: skip
    s.speech_usage(8, "diarizer", "transcribe-batch", "diarize-v1", None, 3.0)
    s.speech_usage(8, "diarizer", "meeting-notes", "diarize-v1", None, 1.0)
    s.speech_usage(13, "audio-preproc", "transcribe-live", "preproc-v1", None, 1.0,
                   day=PREVIOUS_DAY)  # fmt: skip
    s.speech_usage(13, "audio-preproc", "meeting-notes", "preproc-v1", None, 3.0,
                   day=PREVIOUS_DAY)  # fmt: skip
    s.llm_usage(8, "llm-router", "ai-assistant", "summarizer-8b", (100, 300))
    s.llm_usage(8, "llm-router", "ai-assistant", BEDROCK_MODEL, (200, 200))
    return s


def test_layer_one_fallbacks(tmp_path):
    golden = materialize(layer_one(), tmp_path, [PREVIOUS_DAY, DAY])
    assert golden.failed_checks() == []
    workers = golden.table("worker_costs")
    assert set(workers["worker"]) == {
        "diarizer",
        "audio-preproc",
        "api-edge",
        "llm-router",
        "speech-cpu/standalone",
    }
    products = golden.table("product_compute_costs")
    key = ["worker", "product", "model", "language", "step"]
    expected_in_use = {
        ("diarizer", "transcribe-batch", "diarize-v1", None, "usage_hour"): 0.30,
        ("diarizer", "meeting-notes", "diarize-v1", None, "usage_hour"): 0.10,
        ("audio-preproc", "transcribe-live", "preproc-v1", None, "usage_trailing_window"): 0.05,
        ("audio-preproc", "meeting-notes", "preproc-v1", None, "usage_trailing_window"): 0.15,
        ("api-edge", "transcribe-live", "preproc-v1", None, "worker_catalog"): 0.05,
        ("api-edge", "voice-studio", "tts-v2", None, "worker_catalog"): 0.05,
        ("llm-router", "ai-assistant", "summarizer-8b", None, "usage_hour"): 0.05,
        ("llm-router", "ai-assistant", BEDROCK_MODEL, None, "usage_hour"): 0.05,
        ("speech-cpu/standalone", "unattributed", "unattributed", "und", "unattributed"): 0.10,
    }
    in_use = products.filter(products["cost_class"] == "in_use")
    assert_costs(costs(in_use, key), expected_in_use)
    # Idle, 0.02 a task, follows the same shares: 3/4 and 1/4, 1/4 and 3/4, halves, and all
    # of the two standalone tasks' 0.04.
    idle = products.filter(products["cost_class"] == "idle_reserved")
    shares = [3 / 4, 1 / 4, 1 / 4, 3 / 4, 1 / 2, 1 / 2, 1 / 2, 1 / 2, 2]
    assert_costs(
        costs(idle, key),
        {k: 0.02 * share for k, share in zip(expected_in_use, shares, strict=True)},
    )
    meta = golden.metadata("product_compute_costs")
    # usage_hour: diarizer 0.42 + llm-router 0.12; the others 0.22, 0.12 and 0.12.
    assert meta["dollars_by_step"] == {
        "usage_hour": 0.54,
        "usage_trailing_window": 0.22,
        "worker_catalog": 0.12,
        "unattributed": 0.14,
    }
    assert meta["unattributed_dollars"] == pytest.approx(0.14, abs=1e-12)
