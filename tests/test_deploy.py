"""Deploy manifests, checked offline: schemas, kustomize assembly, the compose file, safe defaults."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hfwarden.config import load_config
from hfwarden.emulator.server import load_seed

REPO = Path(__file__).resolve().parent.parent
KUBE = REPO / "deploy" / "kubernetes"
KUSTOMIZATIONS = sorted(KUBE.rglob("kustomization.yaml"))
MANIFESTS = sorted(p for p in KUBE.rglob("*.yaml") if p.name != "kustomization.yaml")
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(KUBE)))
def test_every_manifest_is_valid_kubernetes(path: Path) -> None:
    for document in documents(path):
        if (document["apiVersion"], document["kind"]) in CUSTOM_KINDS:
            # No schema ships for CRDs: check the parts a ServiceMonitor needs.
            assert document["spec"]["selector"]["matchLabels"]
            assert all(e["port"] and e["path"] for e in document["spec"]["endpoints"])
            continue
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("path", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(KUBE)))
def test_kustomizations_assemble(path: Path) -> None:
    kustomization = yaml.safe_load(path.read_text())
    base = path.parent
    referenced = [*kustomization.get("resources", []), *kustomization.get("components", [])]
    for generator in kustomization.get("configMapGenerator", []) + kustomization.get("secretGenerator", []):
        referenced += generator.get("files", [])
    for item in referenced:
        assert (base / item).exists(), f"{path}: {item} does not exist"


def base_objects() -> dict[tuple[str, str], dict[str, Any]]:
    kustomization = yaml.safe_load((KUBE / "base" / "kustomization.yaml").read_text())
    found = {}
    for resource in kustomization["resources"]:
        for document in documents(KUBE / "base" / resource):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


def test_base_deployment_is_safe_by_default() -> None:
    objects = base_objects()
    kustomization = yaml.safe_load((KUBE / "base" / "kustomization.yaml").read_text())
    deployment = objects[("Deployment", "hfwarden")]
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate"
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] >= 60
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["limits"]
    assert container["resources"]["requests"]
    # The one switch ships in dry-run.
    generators = {g["name"]: g for g in kustomization["configMapGenerator"]}
    assert "HFWARDEN_DRY_RUN=true" in generators["hfwarden-settings"]["literals"]
    # Everything the pod references is generated or shipped.
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["schedules"]["configMap"]["name"] in generators
    assert ("PersistentVolumeClaim", volumes["state"]["persistentVolumeClaim"]["claimName"]) in objects
    secret_ref = next(e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e)
    example = documents(KUBE / "base" / "secret.example.yaml")[0]
    assert example["metadata"]["name"] == secret_ref
    assert all("REPLACE" in value for value in example["stringData"].values())  # placeholders only
    service = objects[("Service", "hfwarden")]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]


def test_the_configmap_carries_every_shipped_schedule() -> None:
    kustomization = yaml.safe_load((KUBE / "base" / "kustomization.yaml").read_text())
    files = next(g["files"] for g in kustomization["configMapGenerator"] if g["name"] == "hfwarden-schedules")
    shipped = sorted(p.name for p in (REPO / "schedules").glob("*.yaml"))
    assert sorted(Path(f).name for f in files) == shipped


def test_compose_file_references_what_exists() -> None:
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    hfwarden = compose["services"]["hfwarden"]
    assert hfwarden["read_only"] is True
    assert hfwarden["user"] == "10001:10001"
    assert "state:/var/lib/hfwarden" in hfwarden["volumes"]
    emulator = compose["services"]["emulator"]
    assert emulator["profiles"] == ["tryout"]
    deploy = REPO / "deploy"
    assert (deploy / "hfwarden.env.example").exists()
    assert (deploy / "tryout.env").exists()
    example = (deploy / "hfwarden.env.example").read_text()
    assert re.search(r"^HFWARDEN_DRY_RUN=true$", example, re.MULTILINE)
    seeds = load_seed(deploy / "emulator-seed.yaml")
    declared = {e.key for e in load_config([REPO / "schedules"]).endpoints}
    assert declared <= {f"{s.namespace}/{s.name}" for s in seeds}


def test_sample_prometheus_rules_use_exported_metrics() -> None:
    rules = yaml.safe_load((REPO / "deploy" / "prometheus" / "alerts.yaml").read_text())
    exported = set(re.findall(r'"(hfwarden_[a-z_]+)"', (REPO / "hfwarden" / "metrics.py").read_text()))
    for group in rules["groups"]:
        for rule in group["rules"]:
            for name in re.findall(r"hfwarden_[a-z_]+", rule["expr"]):
                assert name in exported, f"{rule['alert']} uses {name}, which hfwarden does not export"


@pytest.mark.skipif(
    shutil.which("hadolint") is None and not (REPO / ".venv/bin/hadolint").exists(), reason="no hadolint"
)
def test_hadolint_passes() -> None:
    binary = shutil.which("hadolint") or str(REPO / ".venv/bin/hadolint")
    result = subprocess.run([binary, str(REPO / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
