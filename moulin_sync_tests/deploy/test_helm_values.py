"""deploy/helm/values.yaml against what matters for Dagster's chart 1.13.27.

Not checked against the chart's values.schema.json: that file ships inside the chart
(fetched by `helm` from Dagster's chart repository), no package here carries it, and tests
have no network. These tests check the parts we rely on, by the chart's key names."""

from __future__ import annotations

from moulin_sync_tests.deploy.files import CODE_SERVER_CMD, HELM_VALUES, REPO_INSTANCE, load_yaml

VALUES = load_yaml(HELM_VALUES)
REPO = load_yaml(REPO_INSTANCE)


def _deployment():
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    return deployment


def test_header_names_the_chart_version_of_our_dagster():
    assert "--version 1.13.27" in HELM_VALUES.read_text()


def test_our_image_is_the_code_server():
    user = VALUES["dagster-user-deployments"]
    assert user["enabled"] is True and user["enableSubchart"] is True
    deployment = _deployment()
    assert deployment["image"]["repository"].endswith("/moulin-sync")
    assert isinstance(deployment["image"]["tag"], str)
    # The chart runs `dagster code-server start -h 0.0.0.0 -p <port>` + codeServerArgs, and
    # prefers dagsterApiGrpcArgs when both are set.
    assert "dagsterApiGrpcArgs" not in deployment
    command = [
        "dagster",
        "code-server",
        "start",
        "-h",
        "0.0.0.0",
        "-p",
        str(deployment["port"]),
        *deployment["codeServerArgs"],
    ]
    assert command == CODE_SERVER_CMD
    assert deployment["envSecrets"] == [{"name": "moulin-sync-env"}]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    mounts = {m["name"]: m["mountPath"] for m in deployment["volumeMounts"]}
    assert {v["name"] for v in deployment["volumes"]} == set(mounts)
    assert "/data" in mounts.values()  # the image's MOULIN_DATA_DIR


def test_runs_launch_as_kubernetes_jobs():
    launcher = VALUES["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    assert launcher["config"]["k8sRunLauncher"]["envSecrets"] == [{"name": "moulin-sync-env"}]


def test_postgresql_is_external_with_an_existing_secret():
    pg = VALUES["postgresql"]
    assert pg["enabled"] is False
    assert pg["postgresqlHost"] and pg["postgresqlUsername"] and pg["postgresqlDatabase"]
    assert "postgresqlPassword" not in pg
    assert pg["postgresqlScheme"] == "postgresql+psycopg2"
    assert VALUES["generatePostgresqlPasswordSecret"] is False
    assert VALUES["global"]["postgresqlSecretName"]


def test_instance_settings_are_the_repos():
    concurrency = VALUES["concurrency"]
    assert concurrency["enabled"] is True
    assert (
        concurrency["pools"]["defaultLimit"] == REPO["concurrency"]["pools"]["default_limit"] == 1
    )
    assert (
        concurrency["runs"]["maxConcurrentRuns"]
        == REPO["concurrency"]["runs"]["max_concurrent_runs"]
    )

    daemon = VALUES["dagsterDaemon"]
    assert daemon["enabled"] is True and VALUES["scheduler"]["type"] == "DagsterDaemonScheduler"
    retries = daemon["runRetries"]
    assert retries == {
        "enabled": REPO["run_retries"]["enabled"],
        "maxRetries": REPO["run_retries"]["max_retries"],
        "retryOnAssetOrOpFailure": REPO["run_retries"]["retry_on_asset_or_op_failure"],
    }
    monitoring = daemon["runMonitoring"]
    repo_monitoring = REPO.get("run_monitoring", {"enabled": True})
    assert monitoring["enabled"] is True
    for snake, camel in [
        ("max_resume_run_attempts", "maxResumeRunAttempts"),
        ("free_slots_after_run_end_seconds", "freeSlotsAfterRunEndSeconds"),
        ("poll_interval_seconds", "pollIntervalSeconds"),
    ]:
        if snake in repo_monitoring:
            assert monitoring[camel] == repo_monitoring[snake], camel

    retention = VALUES["retention"]
    assert retention["enabled"] is True
    assert (
        retention["schedule"]["purgeAfterDays"] == REPO["retention"]["schedule"]["purge_after_days"]
    )
    # The chart wants every tick status; `started: -1` is Dagster's own default.
    assert retention["sensor"]["purgeAfterDays"] == {
        "started": -1,
        **REPO["retention"]["sensor"]["purge_after_days"],
    }
    assert VALUES["telemetry"] == REPO["telemetry"] == {"enabled": False}
    assert VALUES["additionalInstanceConfig"]["nux"] == REPO["nux"]
