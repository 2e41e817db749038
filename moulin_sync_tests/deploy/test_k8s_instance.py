"""deploy/k8s/dagster.yaml is a real Dagster instance file: its K8sRunLauncher config passes
the launcher's own schema, and on PostgreSQL it loads as a DagsterInstance whose run
launcher is constructed (against a stand-in in-cluster service account: no cluster here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster_k8s import K8sRunLauncher
from kubernetes.config import incluster_config
from sqlalchemy.engine import make_url

from moulin_sync_tests.deploy.files import (
    K8S_DIR,
    REPO_INSTANCE,
    SHARED_INSTANCE_BLOCKS,
    load_yaml,
)

INSTANCE_FILE = K8S_DIR / "dagster.yaml"
PG_ENV = {
    "DAGSTER_PG_HOST": "db.example.internal",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "moulin",
    "DAGSTER_PG_PASSWORD": "secret",
    "DAGSTER_PG_DB": "moulin_dagster",
}


def test_shared_blocks_are_the_repos():
    k8s, repo = load_yaml(INSTANCE_FILE), load_yaml(REPO_INSTANCE)
    for block in SHARED_INSTANCE_BLOCKS:
        if block in repo:
            assert k8s[block] == repo[block], block
    assert k8s["storage"] == repo["storage"]
    storage = k8s["storage"]["custom"]
    assert storage["class"] == "PooledPostgresStorage"
    assert storage["config"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert k8s["run_monitoring"]["enabled"] is True
    assert k8s["run_retries"]["retry_on_asset_or_op_failure"] is False


def test_file_and_launcher_config_pass_dagsters_schemas(monkeypatch, tmp_path):
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    shutil.copy(INSTANCE_FILE, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, [e.message for e in result.errors]
    assert result.value["job_namespace"] == "moulin-sync"
    assert result.value["env_secrets"] == ["moulin-sync-env"]


@pytest.fixture
def in_cluster_service_account(monkeypatch, tmp_path):
    """What a pod sees of its service account, so load_incluster_config() succeeds; the
    launcher opens no connection when it is built."""
    token, cert = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("test-token")
    cert.write_text("not-a-real-certificate")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(cert))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")


@pytest.mark.postgres
def test_loads_as_an_instance_on_postgres(
    postgres_database, in_cluster_service_account, monkeypatch, tmp_path: Path
):
    url = make_url(postgres_database)
    env = {
        "DAGSTER_PG_HOST": url.host,
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": url.database,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(INSTANCE_FILE, home / "dagster.yaml")

    instance = DagsterInstance.from_config(str(home))
    try:
        launcher = instance.run_launcher
        assert isinstance(launcher, K8sRunLauncher)
        assert launcher.job_namespace == "moulin-sync"
        assert launcher.instance_config_map == "moulin-dagster-instance"
        assert launcher.image_pull_policy == "IfNotPresent"
        assert launcher.env_secrets == ["moulin-sync-env"]
        # The storage really opened through psycopg2 (the scheme), tables and all.
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_runs() == []
        assert instance.run_monitoring_enabled
        assert instance.run_retries_max_retries == 2
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    finally:
        instance.dispose()
