"""The command line: invoked as a user would, checked through the files and the library."""

from __future__ import annotations

import csv
import getpass
import io
from decimal import Decimal
from pathlib import Path

import httpx2
import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from claims_recon.cli import app
from claims_recon.config import Settings
from claims_recon.domain.query import Page
from claims_recon.engine import open_store
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, csv_text
from tests.servers import CLAIMS_RECON, start_server

runner = CliRunner()


@pytest.fixture
def seed_files(tmp_path: Path) -> tuple[Path, Path]:
    claims = tmp_path / "claims.csv"
    invoices = tmp_path / "invoices.csv"
    claims.write_text(SEED_CLAIMS)
    invoices.write_text(SEED_INVOICES + "i9,c404,-5.00\n")
    return claims, invoices


def test_reconcile_prints_summary_and_writes_csv(seed_files, tmp_path):
    out = tmp_path / "results.csv"
    result = runner.invoke(app, ["reconcile", *map(str, seed_files), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "underpaid" in result.output
    assert "-50.00" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["claim_id"], r["status"], r["variance"]) for r in rows] == [
        ("c1", "BALANCED", "0.00"),
        ("c2", "UNDERPAID", "-50.00"),
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_reconcile_writes_other_formats(seed_files, tmp_path, suffix):
    out = tmp_path / f"results.{suffix}"
    orphans = tmp_path / f"orphans.{suffix}"
    result = runner.invoke(
        app, ["reconcile", *map(str, seed_files), "-o", str(out), "--orphans-out", str(orphans)]
    )
    assert result.exit_code == 0, result.output
    if suffix == "parquet":
        assert pq.read_table(out).column("variance").to_pylist() == [
            Decimal("0.00"),
            Decimal("-50.00"),
        ]
        assert pq.read_table(orphans).column("invoice_id").to_pylist() == ["i9"]
    else:
        sheet = openpyxl.load_workbook(out).active
        values = list(sheet.values)
        assert values[0][0] == "claim_id"
        assert values[2][6] == -50  # a number, not text
        orphan_rows = list(openpyxl.load_workbook(orphans).active.values)
        assert orphan_rows[1] == ("i9", "c404", -5)


def test_reconcile_with_tolerance(seed_files, tmp_path):
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app, ["reconcile", *map(str, seed_files), "-o", str(out), "--tolerance-percent", "25"]
    )
    assert result.exit_code == 0, result.output
    statuses = [r["status"] for r in csv.DictReader(io.StringIO(out.read_text()))]
    assert statuses == ["BALANCED", "BALANCED"]


def test_rejected_file_prints_like_a_compiler_and_writes_nothing(seed_files, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        csv_text(
            """
            claim_id,patient_id,date_of_service,charges_amount
            c1,p1,2023-01-01,100.00
            c2,p2,2023-02-30,"12,x"
            """
        )
    )
    out = tmp_path / "never.csv"
    result = runner.invoke(app, ["reconcile", str(bad), str(seed_files[1]), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert 'bad.csv:3: date_of_service: "2023-02-30" is not a real calendar date' in lines
    assert any(
        line.startswith('bad.csv:3: charges_amount: "12,x" is not an amount') for line in lines
    )
    assert not out.exists()
    assert list(tmp_path.glob(".never.csv*")) == []


def test_unknown_output_format_is_a_usage_error(seed_files, tmp_path):
    result = runner.invoke(app, ["reconcile", *map(str, seed_files), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2
    assert ".csv, .xlsx or .parquet" in result.output


def test_missing_input_file_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["reconcile", str(tmp_path / "no.csv"), str(tmp_path / "no2.csv")])
    assert result.exit_code == 2


def _store_with_one_run(database: Path, claims: Path, invoices: Path) -> int:
    from claims_recon.ingest.columns import FileKind
    from claims_recon.ingest.receiver import receive_stream
    from claims_recon.services import runs

    settings = Settings(database_url=str(database), upload_dir=database.parent / "spool")
    store = open_store(settings)
    try:
        files = {}
        for kind, path in ((FileKind.CLAIMS, claims), (FileKind.INVOICES, invoices)):
            with path.open("rb") as handle:
                files[kind] = receive_stream(
                    kind, path.name, handle, limit=1 << 30, spool_dir=settings.resolved_upload_dir()
                )
        return runs.reconcile_upload(
            store, files, runs.parse_tolerance({}, settings), settings
        ).run_id
    finally:
        store.close()


def test_runs_list_show_export_delete(seed_files, tmp_path):
    database = tmp_path / "store.duckdb"
    run_id = _store_with_one_run(database, *seed_files)
    db = ["--database", str(database)]

    listed = runner.invoke(app, ["runs", "list", *db])
    assert listed.exit_code == 0, listed.output
    assert "claims.csv" in listed.output

    shown = runner.invoke(app, ["runs", "show", str(run_id), *db, "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"underpaid": 1' in shown.output
    assert '"open_underpaid_balance": 50.00' in shown.output

    out = tmp_path / "underpaid.csv"
    exported = runner.invoke(
        app, ["runs", "export", str(run_id), "-o", str(out), "--status", "UNDERPAID", *db]
    )
    assert exported.exit_code == 0, exported.output
    assert [r["claim_id"] for r in csv.DictReader(io.StringIO(out.read_text()))] == ["c2"]

    refused = runner.invoke(app, ["runs", "delete", str(run_id), *db], input="n\n")
    assert refused.exit_code == 0  # an answer, not an error
    assert f"kept run {run_id}" in refused.output
    assert runner.invoke(app, ["runs", "show", str(run_id), *db]).exit_code == 0
    deleted = runner.invoke(app, ["runs", "delete", str(run_id), *db, "--yes"])
    assert deleted.exit_code == 0, deleted.output

    store = open_store(Settings(database_url=str(database)))
    try:
        assert store.list_runs(Page())[1] == 0
        trail = list(reversed(store.audit(Page()).data))
    finally:
        store.close()
    # Each command that read, exported or deleted the run is on the trail, under the account
    # that ran it; the declined deletion changed nothing and is not.
    by_cli = [(e.action, e.run_id, e.detail) for e in trail if e.actor.startswith("cli")]
    assert by_cli == [
        ("view", run_id, {"view": "summary"}),
        ("export", run_id, {"export": "results", "format": "csv", "filters": ["status"]}),
        ("view", run_id, {"view": "summary"}),
        ("delete", run_id, {}),
    ]
    assert {e.actor for e in trail if e.actor.startswith("cli")} == {f"cli:{getpass.getuser()}"}


def test_unknown_run_exits_3(tmp_path):
    result = runner.invoke(app, ["runs", "show", "7", "--database", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 3
    assert "run 7 does not exist" in result.stderr


def test_generate_writes_deterministic_files(tmp_path):
    args = ["generate", "--claims", "50", "--seed", "7"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == second.exit_code == 0
    for name in ("claims.csv", "invoices.csv", "patients.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert len((tmp_path / "a" / "claims.csv").read_text().splitlines()) == 51


def test_generated_files_reconcile_cleanly(tmp_path):
    runner.invoke(app, ["generate", "--claims", "200", "--orphans", "3", "--out", str(tmp_path)])
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app,
        ["reconcile", str(tmp_path / "claims.csv"), str(tmp_path / "invoices.csv"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(out.read_text())))) == 200


def test_generated_anomalies_are_caught_by_the_engine(tmp_path):
    runner.invoke(
        app,
        [
            "generate",
            "--claims",
            "100",
            "--malformed",
            "3",
            "--duplicates",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    result = runner.invoke(
        app, ["reconcile", str(tmp_path / "claims.csv"), str(tmp_path / "invoices.csv")]
    )
    assert result.exit_code == 1
    assert "5 problems in claims.csv" in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("claims.csv:")]
    assert len(problems) == 5
    assert sum("appears more than once" in line for line in problems) == 2


def test_token_new_prints_a_token_and_its_hash_entry():
    from claims_recon.access import identify, parse_tokens

    result = runner.invoke(app, ["token", "new", "alice"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    token, entry = lines[1], lines[3]
    assert token.startswith("crt_")
    assert token not in entry
    assert identify(token, parse_tokens(entry)) == "alice"


def test_serve_refuses_a_public_interface_without_tokens(monkeypatch):
    monkeypatch.delenv("CLAIMS_RECON_API_TOKENS", raising=False)
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--allow-unauthenticated" in result.output


def test_serve_runs_the_app_from_any_folder(tmp_path):
    # Regression: the console script once looked for the app module relative to the
    # working directory, so it failed everywhere but the source checkout.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = tmp_path / "store.duckdb"
    process, base = start_server(str(database), tmp_path, command=CLAIMS_RECON, cwd=elsewhere)
    try:
        body = {"claims": ("c.csv", SEED_CLAIMS), "invoices": ("i.csv", SEED_INVOICES)}
        assert httpx2.post(f"{base}/api/upload", files=body).status_code == 201
        assert httpx2.get(f"{base}/api/summary").json()["underpaid"] == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert database.exists()
