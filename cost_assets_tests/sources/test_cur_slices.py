"""A CUR day read in slices of hours gives the tables of the day read whole."""

from datetime import date

from polars.testing import assert_frame_equal

from cost_assets import pipeline
from cost_assets.assets.raw import SOURCE_FILE, _SliceOddities, day_fingerprint, input_fingerprint
from cost_assets.resources import DEFAULT_SOURCES
from cost_assets.sources.exports import read_export_for_day
from cost_assets.sources.storage import open_store

SETTINGS = {"fleet_tag_key": "fleet"}
# The sample's day with AWS's empty-parent artefact rows.
DAY = date(2026, 10, 25)


def _whole_day(store):
    cur = pipeline.cur_rows_for_day(read_export_for_day(store, "cur", DAY)[0], DAY)
    return cur, *pipeline.cur_tables(cur, DAY, SETTINGS)


def test_slices_give_the_whole_days_tables():
    store = open_store(DEFAULT_SOURCES)
    cur, tasks, instances, artefacts = _whole_day(store)
    seen = _SliceOddities()
    sliced = pipeline.cur_day_tables(store, DAY, SETTINGS, SOURCE_FILE, seen.inspect)
    sliced_tasks, sliced_instances, sliced_artefacts, rows, deliveries = sliced

    order = ["hour", "task_id", "instance_id"]
    assert_frame_equal(sliced_tasks.sort(order), tasks.sort(order))
    assert_frame_equal(sliced_instances.sort("instance_id"), instances.sort("instance_id"))
    assert (sliced_artefacts, rows) == (artefacts, cur.height)
    assert sliced_tasks.height > 0 and artefacts > 0
    # The fingerprint of the slices is the whole day's: restatements compare the two.
    assert seen.fingerprint() == input_fingerprint(cur)
    assert [d.billing_period for d in deliveries] == ["2026-10", "2026-11"]
    assert not seen.counted(deliveries)["empty_files_read"]


def test_a_slice_reads_only_its_hours():
    store = open_store(DEFAULT_SOURCES)
    rows, _ = read_export_for_day(store, "cur", DAY, hours=(6, 12))
    hours = rows["line_item_usage_start_date"].dt.hour()
    assert rows.height > 0 and hours.min() == 6 and hours.max() == 11
    assert rows["line_item_usage_start_date"].dt.date().unique().to_list() == [DAY]
    assert hours.n_unique() == 6


def test_the_sensor_fingerprints_a_day_as_its_asset_did():
    # The restatement sensor reads CUR in slices too; its fingerprint must equal the asset's
    # (and the whole day's), or every open day would look restated.
    store = open_store(DEFAULT_SOURCES)
    cur = _whole_day(store)[0]
    focus = pipeline.focus_rows_for_day(read_export_for_day(store, "focus", DAY)[0], DAY)
    assert day_fingerprint(store, "cur", DAY) == input_fingerprint(cur)
    assert day_fingerprint(store, "focus", DAY) == input_fingerprint(focus)
