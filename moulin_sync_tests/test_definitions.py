import datetime as dt
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    Definitions,
)

from moulin_sync.definitions import defs
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.defs.schedules import nightly_sync_schedule

PARIS = ZoneInfo("Europe/Paris")


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)


def test_source_assets_are_declared() -> None:
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    for table in ("customers", "companies", "company_contacts", "orders", "pickup_points"):
        assert AssetKey(["app_du_moulin", table]) in keys


def test_orders_use_the_shared_monthly_partitions() -> None:
    graph = defs.resolve_asset_graph()
    orders = graph.get(AssetKey(["app_du_moulin", "orders"]))
    assert orders.partitions_def == monthly_partitions
    assert monthly_partitions.timezone == "Europe/Paris"
    assert monthly_partitions.get_first_partition_key() == "2019-01-01"


def test_the_current_month_is_a_partition() -> None:
    now = dt.datetime(2026, 11, 27, 12, tzinfo=PARIS)
    assert monthly_partitions.get_partition_keys(current_time=now)[-1] == "2026-11-01"


def test_nightly_schedule_fires_at_two_in_paris_across_dst() -> None:
    from dagster._utils.schedules import cron_string_iterator

    assert nightly_sync_schedule.execution_timezone == "Europe/Paris"
    start = dt.datetime(2026, 3, 27, 12, tzinfo=PARIS).timestamp()
    ticks = cron_string_iterator(start, nightly_sync_schedule.cron_schedule, "Europe/Paris")
    local = [next(ticks).astimezone(PARIS) for _ in range(3)]
    assert [(t.day, t.hour) for t in local] == [(28, 2), (29, 3), (30, 2)]
    # One tick a day, even on the day the clocks skip 02:00.
    assert len({t.date() for t in local}) == 3


def test_each_hubspot_asset_says_when_it_is_due() -> None:
    """The UI's freshness: every HubSpot write is due by 06:00 after the 02:00 night."""
    from dagster import AssetKey

    from moulin_sync.defs.freshness import synced_every_night
    from moulin_sync.hubspot.streams import enabled_streams

    for spec in enabled_streams():
        assets = defs.resolve_assets_def(AssetKey(["hubspot", spec.name]))
        policy = assets.specs_by_key[assets.key].freshness_policy
        assert policy == synced_every_night, spec.name
    assert policy.deadline_cron == "0 6 * * *" and policy.timezone == "Europe/Paris"
    assert nightly_sync_schedule.cron_schedule == "0 2 * * *"
    assert policy.lower_bound_delta == dt.timedelta(hours=4), "the night is 02:00 to 06:00"


def test_the_night_follows_the_nightly_start() -> None:
    """Moved by MOULIN_NIGHTLY_CRON, the night still ends at 06:00: a write since the
    last start before then is last night's."""
    from moulin_sync.defs.freshness import night_length

    assert night_length("30 1 * * *", "Europe/Paris") == dt.timedelta(hours=4, minutes=30)
    assert night_length("0 23 * * *", "Europe/Paris") == dt.timedelta(hours=7)
    assert night_length("0 7 * * *", "Europe/Paris") == dt.timedelta(hours=23)
    assert night_length("0 3 * * 0", "Europe/Paris") == dt.timedelta(days=1)


def test_cli_runs_belong_to_the_workspace_code_location() -> None:
    """`moulin-sync sync` labels its runs with the location workspace.yaml serves, so the
    UI lists them under `nightly_sync` (its repository label)."""
    from pathlib import Path

    import yaml

    from moulin_sync.runs.origin import LOCATION, MODULE, job_origin

    workspace = yaml.safe_load((Path(__file__).parents[1] / "workspace.yaml").read_text())
    [entry] = workspace["load_from"]
    assert entry["python_module"] == {"module_name": MODULE, "location_name": LOCATION}
    label = job_origin("nightly_sync").repository_origin.get_label()
    assert label == "__repository__@moulin_sync"


def test_every_job_runs_its_steps_in_the_run_process() -> None:
    """A process per step would pay Dagster's start-up at each step of a daemon-launched
    run; every job, the implicit asset job included, runs in process."""
    repository = defs.get_repository_def()
    jobs = repository.get_all_jobs()
    assert {job.name for job in jobs} >= {"nightly_sync", "__ASSET_JOB"}
    for job in jobs:
        assert job.executor_def.name == "in_process", job.name


def test_a_source_that_is_off_leaves_no_asset_behind() -> None:
    """Typeform without TYPEFORM_TOKEN and TYPEFORM_FORM_ID: its assets, its stream's
    and their checks are absent; with it on, they are there."""
    from moulin_sync.definitions import enabled_defs

    def keys(made) -> set[str]:
        found = {k.to_user_string() for a in made.assets for k in a.keys}
        return found | {
            f"{c.asset_key.to_user_string()}:{c.name}"
            for checks in [*made.assets, *made.asset_checks]
            for c in checks.check_keys
        }

    off = keys(enabled_defs(["app_du_moulin"]))
    on = keys(enabled_defs(["app_du_moulin", "typeform"]))
    nps = {"typeform/nps_responses", "hubspot_payloads/contacts.nps", "hubspot/contacts.nps"}
    assert nps <= on and not nps & off
    assert "hubspot/contacts.nps:no_drift" in on and "hubspot/contacts.nps:no_drift" not in off
    assert on - off == nps | {
        "typeform/nps_responses:nps_answers_have_a_customer",
        "hubspot/contacts.nps:no_drift",
    }
