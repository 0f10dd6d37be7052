"""The production set: the compose file is valid Compose, every TGASSIST_* it sets is a real
setting, the image is multi-stage, non-root and carries Tesseract, monitoring is wired to the
shipped alert rules and dashboards."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tgassist.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
REQUIRE = os.environ.get("TGASSIST_TEST_REQUIRE_SERVERS") == "1" or bool(os.environ.get("CI"))
ROLES = ("api", "bot", "scheduler", "worker")


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _env_file_vars(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def test_compose_file_is_valid_compose(tmp_path: Path) -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        if REQUIRE:
            pytest.fail("docker-compose is not installed (make test installs it with apt-get)")
        pytest.skip("docker-compose not installed")
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copytree(ROOT / "ops", tmp_path / "ops")
    for example in (tmp_path / "deploy").glob("*.example"):
        example.with_suffix("").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, **_env_file_vars(DEPLOY / ".env.example")}
    proc = subprocess.run(
        [tool, "-f", "compose.yaml", "config"],
        cwd=tmp_path / "deploy",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    for role in ROLES:
        service = resolved["services"][role]
        assert service["environment"]["TGASSIST_DATABASE_URL"].startswith("postgresql://")
        assert service["environment"]["TGASSIST_REDIS_URL"].startswith("redis://")
        assert "healthcheck" in service, role


def test_a_broken_compose_file_is_refused(tmp_path: Path) -> None:
    """The validator above can fail: a misspelt key is an error."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("covered by test_compose_file_is_valid_compose")
    broken = (
        (DEPLOY / "compose.yaml")
        .read_text(encoding="utf-8")
        .replace('    command: ["api"]', '    comand: ["api"]')
    )
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    (tmp_path / "deploy" / "compose.yaml").write_text(broken, encoding="utf-8")
    for example in (tmp_path / "deploy").glob("*.example"):
        example.with_suffix("").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, **_env_file_vars(DEPLOY / ".env.example")}
    proc = subprocess.run(
        [tool, "-f", "compose.yaml", "config", "-q"],
        cwd=tmp_path / "deploy",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "comand" in proc.stderr


def test_every_tgassist_variable_is_a_setting() -> None:
    known = {f"TGASSIST_{name.upper()}" for name in Settings.model_fields}
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\bTGASSIST_[A-Z0-9_]+", text))
    for env_file in DEPLOY.glob("*.env.example"):
        used |= {k for k in _env_file_vars(env_file) if k.startswith("TGASSIST_")}
        used |= set(re.findall(r"#\s*(TGASSIST_[A-Z0-9_]+)=", env_file.read_text()))
    assert used, "the compose set configures nothing"
    assert sorted(used - known) == []


def test_roles_are_separate_services_on_the_servers() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "qdrant", "neo4j", "prometheus", "grafana"} <= set(services)
    commands = {name: services[name]["command"][0] for name in ROLES}
    assert commands == {r: r for r in ROLES}
    assert services["worker"]["deploy"]["replicas"] >= 2
    for role in ROLES:
        assert services[role]["env_file"] == ["tgassist.env", "secrets.env"]
    for name, service in services.items():
        env = service.get("environment", {})
        for key, value in env.items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "SECRET")):
                assert "${" in str(value), f"{name}.{key} holds a literal secret"


def test_monitoring_uses_the_shipped_rules_and_dashboards() -> None:
    services = _compose()["services"]
    prom_mounts = services["prometheus"]["volumes"]
    assert "../ops/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in prom_mounts
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert prom["rule_files"] == ["/etc/prometheus/alerts.yml"]
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "tgassist.yml").read_text()
    )
    dash_path = provider["providers"][0]["options"]["path"]
    assert f"../ops/grafana/dashboards:{dash_path}:ro" in services["grafana"]["volumes"]
    assert list((ROOT / "ops" / "grafana" / "dashboards").glob("*.json"))


def test_image_is_multi_stage_non_root_with_tesseract() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, flags=re.M)
    assert len(stages) >= 2
    final = text.split(f"AS {stages[-1]}", 1)[1]
    user = re.findall(r"^USER\s+(\S+)", final, flags=re.M)
    assert user and user[-1] not in ("root", "0")
    assert "tesseract-ocr-rus" in final and "HEALTHCHECK" in final
