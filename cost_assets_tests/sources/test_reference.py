"""Loading and validating the reference files."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cost_assets.errors import InputError
from cost_assets.sources.reference import Settings, load_reference
from cost_assets.sources.storage import open_store
from cost_assets_tests.sources.builders import write_reference


def test_valid_reference_is_typed(tmp_path):
    write_reference(tmp_path)
    reference = load_reference(open_store(str(tmp_path)))

    assert reference.workers["is_daemon"].to_list() == [False, True, False]
    assert reference.workers.schema["gpus_per_task"] == pl.Float64
    assert reference.product_lines["fixed_split"].to_list() == [True, False]
    assert reference.worker_configs["language"].to_list() == ["en", None, None]
    assert reference.product_calendar["ga_date"].to_list() == [
        date(2026, 1, 15),
        date(2026, 11, 1),
    ]
    assert reference.product_calendar["retired_date"].to_list() == [None, date(2027, 6, 30)]
    assert reference.settings == Settings(gpu_weighting="aws_fixed", usage_window_days=14)
    assert reference.settings.excluded_charge_categories == ("Tax",)
    described = reference.describe()
    assert described["workers_rows"] == 3 and "workers.csv" in described["file_versions"]
    assert described["settings"]["excluded_charge_categories"] == ["Tax"]


def test_settings_default_when_absent(tmp_path):
    write_reference(tmp_path)
    (tmp_path / "reference" / "settings.yaml").unlink()
    assert load_reference(open_store(str(tmp_path))).settings == Settings()


@pytest.mark.parametrize(
    ("override", "file", "column", "rows"),
    [
        (
            {"shared_services": "service_code,tier\nAmazonS3,requests\nAmazonVPC,magic\n"},
            "shared_services.csv",
            "tier",
            [2],
        ),
        (
            {
                "workers": "worker,cluster,fleet,is_daemon,gpus_per_task,unit\n"
                "asr-en,c1,f,false,1,audio_hours\nllm-api,c1,f,false,0,tokens\n"
                "asr-en,c1,f,false,1,audio_hours\n"
            },
            "workers.csv",
            "worker",
            [1, 3],
        ),
        (
            {"worker_configs": "worker,product,model,language\nasr-en,nosuch,nova-2,en\n"},
            "worker_configs.csv",
            "product",
            [1],
        ),
        (
            {"product_lines": "product,intensity_weight,fixed_split\nspeech,-1,true\nagent,1,no\n"},
            "product_lines.csv",
            "intensity_weight",
            [1],
        ),
        (
            {
                "workers": "worker,cluster,fleet,is_daemon,gpus_per_task,unit\n"
                "asr-en,c1,f,false,1,audio_hours\nllm-api,c1,f,false,0,furlongs\n"
            },
            "workers.csv",
            "unit",
            [2],
        ),
        (
            {
                "workers": "worker,cluster,fleet,is_daemon,gpus_per_task,unit\n"
                "asr-en,c1,f,maybe,1,audio_hours\nllm-api,c1,f,false,0,tokens\n"
            },
            "workers.csv",
            "is_daemon",
            [1],
        ),
        ({"settings": "gpu_weighting: magic\n"}, "settings.yaml", "gpu_weighting", None),
        (
            {"product_calendar": "product,model,unit,ga_date,retired_date\ns,m,tokens,soon,\n"},
            "product_calendar.csv",
            "ga_date",
            [1],
        ),
    ],
)
def test_validation_errors_name_file_column_and_rows(tmp_path, override, file, column, rows):
    write_reference(tmp_path, **override)
    with pytest.raises(InputError) as error:
        load_reference(open_store(str(tmp_path)))
    assert error.value.file == str(tmp_path / "reference" / file)
    assert error.value.column == column
    assert error.value.rows == rows


def test_missing_reference_file(tmp_path):
    write_reference(tmp_path)
    (tmp_path / "reference" / "instance_types.csv").unlink()
    with pytest.raises(InputError, match="missing"):
        load_reference(open_store(str(tmp_path)))
