"""The plain manifests (deploy/k8s) pass Kubernetes' own schemas, strict, and name only
things that exist: Secret, ConfigMap, Service, ServiceAccount, claim, ports, namespace."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from moulin_sync_tests.deploy.files import K8S_DIR, load_all, load_yaml

# A release kubernetes-validate ships strict schemas for (1.25 to 1.37).
K8S_VERSION = "1.32.0"
NAMESPACE = "moulin-sync"
SECRET_TEMPLATE = K8S_DIR / "secret.example.yaml"


def _kustomization() -> dict[str, Any]:
    return load_yaml(K8S_DIR / "kustomization.yaml")


def _generated_configmaps() -> list[dict[str, Any]]:
    """The ConfigMaps kustomize makes from configMapGenerator, built the same way."""
    maps = []
    for spec in _kustomization()["configMapGenerator"]:
        assert spec["options"]["disableNameSuffixHash"] is True
        data = {name: (K8S_DIR / name).read_text() for name in spec["files"]}
        maps.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": spec["name"], "namespace": NAMESPACE},
                "data": data,
            }
        )
    return maps


def _objects() -> list[dict[str, Any]]:
    objects = [obj for name in _kustomization()["resources"] for obj in load_all(K8S_DIR / name)]
    return objects + _generated_configmaps() + load_all(SECRET_TEMPLATE)


def _names(kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in _objects() if o["kind"] == kind}


def _deployments() -> list[dict[str, Any]]:
    return [o for o in _objects() if o["kind"] == "Deployment"]


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: f"{o['kind']}/{o['metadata']['name']}")
def test_each_object_passes_the_strict_schema(obj):
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_every_yaml_file_is_applied_or_documented():
    listed = set(_kustomization()["resources"])
    listed |= {f for spec in _kustomization()["configMapGenerator"] for f in spec["files"]}
    listed |= {"kustomization.yaml", SECRET_TEMPLATE.name}
    assert {p.name for p in K8S_DIR.glob("*.yaml")} == listed


def test_everything_lives_in_the_namespace():
    assert _names("Namespace") == {NAMESPACE} and _kustomization()["namespace"] == NAMESPACE
    for obj in _objects():
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["metadata"]["name"]


def test_deployments_reference_what_exists():
    secrets, configmaps = _names("Secret"), _names("ConfigMap")
    accounts, claims = _names("ServiceAccount"), _names("PersistentVolumeClaim")
    for deployment in _deployments():
        pod = deployment["spec"]["template"]
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= pod["metadata"]["labels"].items()
        )
        spec = pod["spec"]
        if "serviceAccountName" in spec:
            assert spec["serviceAccountName"] in accounts
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for volume in volumes.values():
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["secretRef"]["name"] in secrets
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes
                configmap = volumes[mount["name"]].get("configMap")
                if configmap and "subPath" in mount:
                    (generated,) = [
                        m
                        for m in _generated_configmaps()
                        if m["metadata"]["name"] == configmap["name"]
                    ]
                    assert mount["subPath"] in generated["data"]


def test_services_select_pods_and_named_ports():
    for service in (o for o in _objects() if o["kind"] == "Service"):
        selector = service["spec"]["selector"]
        (pod,) = [
            d["spec"]["template"]
            for d in _deployments()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports


def test_workspace_points_at_the_code_server_service():
    (location,) = load_yaml(K8S_DIR / "workspace.yaml")["load_from"]
    grpc = location["grpc_server"]
    (service,) = [
        o for o in _objects() if o["kind"] == "Service" and o["metadata"]["name"] == grpc["host"]
    ]
    assert grpc["port"] in {p["port"] for p in service["spec"]["ports"]}
    assert location["grpc_server"]["location_name"] == "moulin_sync"


def test_one_image_and_the_run_launcher_names_what_exists():
    images = {
        c["image"] for d in _deployments() for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert len(images) == 1
    (code,) = [d for d in _deployments() if d["metadata"]["name"] == "moulin-sync-code"]
    (container,) = code["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DAGSTER_CURRENT_IMAGE"] == container["image"]
    assert "command" not in container  # the image's CMD: the code server

    launcher = load_yaml(K8S_DIR / "dagster.yaml")["run_launcher"]["config"]
    assert launcher["job_namespace"] == NAMESPACE
    assert launcher["instance_config_map"] in _names("ConfigMap")
    assert launcher["service_account_name"] in _names("ServiceAccount")
    assert set(launcher["env_secrets"]) <= _names("Secret")
    claims = {v["persistent_volume_claim"]["claim_name"] for v in launcher["volumes"]}
    assert claims <= _names("PersistentVolumeClaim")


def test_the_role_lets_the_launcher_manage_jobs():
    (role,) = [o for o in _objects() if o["kind"] == "Role"]
    (binding,) = [o for o in _objects() if o["kind"] == "RoleBinding"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert {s["name"] for s in binding["subjects"]} <= _names("ServiceAccount")
    (jobs,) = [r for r in role["rules"] if "jobs" in r["resources"]]
    assert {"create", "get", "list", "watch", "delete"} <= set(jobs["verbs"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on this machine")
def test_kubectl_kustomize_renders_the_same_valid_objects():
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S_DIR)], check=True, capture_output=True, text=True
    ).stdout
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    for obj in objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    expected = {(o["kind"], o["metadata"]["name"]) for o in _objects() if o["kind"] != "Secret"}
    assert {(o["kind"], o["metadata"]["name"]) for o in objects} == expected
    (configmap,) = [o for o in objects if o["kind"] == "ConfigMap"]
    assert configmap["data"] == _generated_configmaps()[0]["data"]
