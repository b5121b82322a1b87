"""Sample data generator: exact format, determinism, shape of the data and injected defects."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from claims_recon import sampledata

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "data" / "generate_data.py"

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
FILES = ("claims.csv", "invoices.csv", "patients.csv")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def is_iso_date(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def claim_outcomes(out: Path) -> dict[str, int]:
    """Count claims per reconciliation outcome, summing invoice amounts exactly as decimals."""
    query = f"""
        WITH claims AS (
            SELECT claim_id, CAST(charges_amount AS DECIMAL(18, 2)) AS charges
            FROM read_csv('{out / "claims.csv"}', all_varchar = true, quote = '"')
        ), paid AS (
            SELECT claim_id, sum(CAST(transaction_value AS DECIMAL(18, 2))) AS paid
            FROM read_csv('{out / "invoices.csv"}', all_varchar = true, quote = '"')
            GROUP BY claim_id
        )
        SELECT CASE
                   WHEN paid IS NULL THEN 'no_invoices'
                   WHEN paid = charges THEN 'balanced'
                   WHEN paid < charges THEN 'underpaid'
                   ELSE 'overpaid'
               END AS outcome,
               count(*)
        FROM claims LEFT JOIN paid USING (claim_id)
        GROUP BY outcome
    """
    with duckdb.connect() as con:
        return dict(con.execute(query).fetchall())


def run_script(*args: str, cwd: Path, host_output_dir: Path | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HOST_OUTPUT_DIR"}
    if host_output_dir is not None:
        env["HOST_OUTPUT_DIR"] = str(host_output_dir)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 patients with the default shape: about 1,100 claims."""
    out = tmp_path_factory.mktemp("small")
    sampledata.generate(out, patients=20)
    return out


def test_tiny_data_set_is_written_exactly(tmp_path: Path) -> None:
    result = sampledata.generate(
        tmp_path, patients=2, min_claims=2, max_claims=3, max_invoices=3, seed=2
    )

    assert (tmp_path / "claims.csv").read_text() == textwrap.dedent(
        """\
        claim_id,patient_id,date_of_service,charges_amount
        C00000001,P000001,2023-03-31,4772.04
        C00000002,P000001,2023-09-22,3364.11
        C00000003,P000002,2023-10-08,4780.94
        C00000004,P000002,2023-11-10,2321.63
        C00000005,P000002,2024-11-08,826.55
        """
    )
    # C00000001 carries a refund: -1443.31 reverses part of the first payment.
    assert (tmp_path / "invoices.csv").read_text() == textwrap.dedent(
        """\
        invoice_id,claim_id,transaction_value
        I000000001,C00000001,4172.21
        I000000002,C00000001,3389.58
        I000000003,C00000001,-1443.31
        I000000004,C00000002,2033.27
        I000000005,C00000002,2094.90
        I000000006,C00000003,1812.06
        I000000007,C00000003,2635.73
        I000000008,C00000003,2182.73
        """
    )
    assert (tmp_path / "patients.csv").read_text() == textwrap.dedent(
        """\
        patient_id,first_name,last_name,date_of_birth
        P000001,Sofia,Tanaka,1981-12-21
        P000002,Hiroshi,Rodriguez,1981-11-04
        """
    )
    assert result == sampledata.GeneratedFiles(
        claims_path=tmp_path / "claims.csv",
        invoices_path=tmp_path / "invoices.csv",
        patients_path=tmp_path / "patients.csv",
        claims_rows=5,
        invoices_rows=8,
        patients_rows=2,
    )


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    options = {"patients": 20, "seed": 7, "orphans": 2, "duplicates": 3, "malformed": 4}
    sampledata.generate(tmp_path / "a", **options)
    sampledata.generate(tmp_path / "b", **options)

    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    sampledata.generate(tmp_path / "a", patients=20, seed=1)
    sampledata.generate(tmp_path / "b", patients=20, seed=2)

    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_chunk_boundaries_keep_ids_consecutive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sampledata, "CHUNK_CLAIMS", 7)

    result = sampledata.generate(tmp_path, claims=1000)

    claims = read_rows(tmp_path / "claims.csv")
    invoices = read_rows(tmp_path / "invoices.csv")
    patients = read_rows(tmp_path / "patients.csv")
    assert [r["patient_id"] for r in patients] == [
        f"P{n:06d}" for n in range(1, result.patients_rows + 1)
    ]
    assert [r["claim_id"] for r in claims] == [f"C{n:08d}" for n in range(1, 1001)]
    assert [r["invoice_id"] for r in invoices] == [
        f"I{n:09d}" for n in range(1, result.invoices_rows + 1)
    ]
    invoice_claims = [r["claim_id"] for r in invoices]
    assert invoice_claims == sorted(invoice_claims)
    # every patient keeps the default 10..100 claims except the last, which takes the remainder
    per_patient = Counter(r["patient_id"] for r in claims)
    assert all(10 <= n <= 100 for n in list(per_patient.values())[:-1])


def test_files_start_with_the_exact_headers(small: Path) -> None:
    first_lines = {name: (small / name).read_bytes().split(b"\n", 1)[0] for name in FILES}

    assert first_lines == {
        "claims.csv": b"claim_id,patient_id,date_of_service,charges_amount",
        "invoices.csv": b"invoice_id,claim_id,transaction_value",
        "patients.csv": b"patient_id,first_name,last_name,date_of_birth",
    }


def test_lines_end_with_a_bare_newline(small: Path) -> None:
    for name in FILES:
        text = (small / name).read_bytes()
        assert text.endswith(b"\n")
        assert b"\r" not in text
        assert b'"' not in text  # nothing needs quoting without malformed values


def test_ids_are_zero_padded(small: Path) -> None:
    claims = read_rows(small / "claims.csv")
    invoices = read_rows(small / "invoices.csv")
    patients = read_rows(small / "patients.csv")

    assert [p["patient_id"] for p in patients[:2]] == ["P000001", "P000002"]
    assert patients[-1]["patient_id"] == "P000020"
    assert claims[0]["claim_id"] == "C00000001"
    assert invoices[0]["invoice_id"] == "I000000001"
    assert all(re.fullmatch(r"C\d{8}", r["claim_id"]) for r in claims)
    assert all(re.fullmatch(r"P\d{6}", r["patient_id"]) for r in claims)
    assert all(re.fullmatch(r"I\d{9}", r["invoice_id"]) for r in invoices)


def test_default_shape_is_10_to_100_claims_per_patient(small: Path) -> None:
    claims = read_rows(small / "claims.csv")
    patients = read_rows(small / "patients.csv")

    per_patient = Counter(r["patient_id"] for r in claims)
    assert set(per_patient) == {p["patient_id"] for p in patients}
    assert len(per_patient) == 20
    assert min(per_patient.values()) >= 10
    assert max(per_patient.values()) <= 100


def test_default_shape_is_0_to_5_invoices_per_claim(small: Path) -> None:
    claims = read_rows(small / "claims.csv")
    invoices = read_rows(small / "invoices.csv")

    per_claim = Counter(r["claim_id"] for r in invoices)
    counts = Counter(per_claim.get(c["claim_id"], 0) for c in claims)
    assert set(counts) == {0, 1, 2, 3, 4, 5}


def test_amounts_have_exactly_two_decimals(small: Path) -> None:
    charges = [r["charges_amount"] for r in read_rows(small / "claims.csv")]
    values = [r["transaction_value"] for r in read_rows(small / "invoices.csv")]

    assert all(AMOUNT.match(a) for a in charges + values)
    cents = [int(a.replace(".", "")) for a in charges]
    assert min(cents) >= 5_000
    assert max(cents) <= 500_000
    assert any(v.startswith("-") for v in values)


def test_dates_are_iso_and_services_fall_in_2023_2024(small: Path) -> None:
    services = [r["date_of_service"] for r in read_rows(small / "claims.csv")]
    births = [r["date_of_birth"] for r in read_rows(small / "patients.csv")]

    assert all(is_iso_date(d) for d in services + births)
    assert min(services) >= "2023-01-01"
    assert max(services) <= "2024-12-31"


def test_about_a_quarter_of_claims_balance(tmp_path: Path) -> None:
    sampledata.generate(tmp_path, patients=40)

    outcomes = claim_outcomes(tmp_path)
    total = sum(outcomes.values())
    assert 0.21 <= outcomes["balanced"] / total <= 0.29
    # the other three outcomes all show up in a useful amount
    for outcome in ("no_invoices", "underpaid", "overpaid"):
        assert outcomes[outcome] / total >= 0.10


def test_a_few_percent_of_claims_have_a_refund(tmp_path: Path) -> None:
    result = sampledata.generate(tmp_path, patients=40)

    invoices = read_rows(tmp_path / "invoices.csv")
    refunded = {r["claim_id"] for r in invoices if r["transaction_value"].startswith("-")}
    assert 0.01 <= len(refunded) / result.claims_rows <= 0.06


def test_claims_option_gives_exactly_that_many_claims(tmp_path: Path) -> None:
    result = sampledata.generate(tmp_path, claims=1234)

    claims = read_rows(tmp_path / "claims.csv")
    patients = read_rows(tmp_path / "patients.csv")
    assert len(claims) == result.claims_rows == 1234
    assert len(patients) == result.patients_rows
    assert {r["patient_id"] for r in claims} == {p["patient_id"] for p in patients}


def test_zero_claims_writes_headers_only(tmp_path: Path) -> None:
    result = sampledata.generate(tmp_path, claims=0)

    assert (tmp_path / "claims.csv").read_text() == ",".join(sampledata.CLAIMS_HEADER) + "\n"
    assert (tmp_path / "invoices.csv").read_text() == ",".join(sampledata.INVOICES_HEADER) + "\n"
    assert (result.claims_rows, result.invoices_rows, result.patients_rows) == (0, 0, 0)


def test_orphan_invoices_match_no_claim(tmp_path: Path) -> None:
    clean = sampledata.generate(tmp_path / "clean", patients=20)
    result = sampledata.generate(tmp_path / "orphans", patients=20, orphans=7)

    claim_ids = {r["claim_id"] for r in read_rows(tmp_path / "orphans" / "claims.csv")}
    invoices = read_rows(tmp_path / "orphans" / "invoices.csv")
    orphans = [r for r in invoices if r["claim_id"] not in claim_ids]
    assert len(orphans) == 7
    assert result.invoices_rows == len(invoices) == clean.invoices_rows + 7
    assert all(AMOUNT.match(r["transaction_value"]) for r in orphans)


def test_duplicates_repeat_existing_claim_ids(tmp_path: Path) -> None:
    result = sampledata.generate(tmp_path, patients=20, duplicates=5)

    claims = read_rows(tmp_path / "claims.csv")
    repeats = {cid: n for cid, n in Counter(r["claim_id"] for r in claims).items() if n > 1}
    assert list(repeats.values()) == [2] * 5
    assert result.claims_rows == len(claims)


def test_malformed_rows_have_a_bad_date_or_amount(tmp_path: Path) -> None:
    clean = sampledata.generate(tmp_path / "clean", patients=20)
    result = sampledata.generate(tmp_path / "broken", patients=20, malformed=6)

    claims = read_rows(tmp_path / "broken" / "claims.csv")
    broken = [
        r
        for r in claims
        if not is_iso_date(r["date_of_service"]) or not AMOUNT.match(r["charges_amount"])
    ]
    assert len(broken) == 6
    assert result.claims_rows == clean.claims_rows == len(claims)
    # a value with a comma is quoted, so every row still has exactly four fields
    assert all(None not in r and len(r) == 4 for r in claims)


def test_anomalies_combine_with_exact_counts(tmp_path: Path) -> None:
    result = sampledata.generate(tmp_path, claims=50, orphans=3, duplicates=20, malformed=30)

    claims = read_rows(tmp_path / "claims.csv")
    assert result.claims_rows == len(claims) == 70
    assert len(claims) - len({r["claim_id"] for r in claims}) == 20
    assert (
        sum(not AMOUNT.match(r["charges_amount"]) for r in claims)
        + sum(not is_iso_date(r["date_of_service"]) for r in claims)
        == 30
    )


@hypothesis_settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    claims=st.integers(0, 300),
    max_invoices=st.integers(0, 7),
)
def test_every_claim_respects_max_invoices(seed: int, claims: int, max_invoices: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        result = sampledata.generate(out, claims=claims, max_invoices=max_invoices, seed=seed)

        invoices = read_rows(out / "invoices.csv")
        per_claim = Counter(r["claim_id"] for r in invoices)
        assert result.claims_rows == len(read_rows(out / "claims.csv")) == claims
        assert max(per_claim.values(), default=0) <= max_invoices


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"patients": -1}, "patients must be zero or more"),
        ({"min_claims": 20, "max_claims": 10}, r"min_claims \(20\) is greater than max_claims"),
        ({"patients": 5, "claims": 100}, "either patients or claims"),
        ({"claims": -3}, "claims must be zero or more"),
        ({"claims": 10, "min_claims": 0, "max_claims": 0}, "needs max_claims of at least 1"),
        ({"max_invoices": -1}, "max_invoices must be zero or more"),
        ({"max_invoices": 101}, "max_invoices must be at most 100"),
        ({"seed": -1}, "seed must be zero or more"),
        ({"orphans": -2}, "orphans must be zero or more"),
        ({"patients": 2.5}, "patients must be a whole number"),
        ({"claims": 10, "duplicates": 6, "malformed": 5}, r"duplicates \+ malformed \(11\)"),
    ],
)
def test_nonsense_options_raise_value_error(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sampledata.generate(tmp_path / "out", **options)

    assert not (tmp_path / "out").exists()


def test_script_without_arguments_writes_defaults_into_host_output_dir(tmp_path: Path) -> None:
    out = tmp_path / "host"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()

    done = run_script(cwd=elsewhere, host_output_dir=out)

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == list(FILES)
    assert list(elsewhere.iterdir()) == []
    claims_line, invoices_line, patients_line = done.stdout.splitlines()
    claims_rows = len(read_rows(out / "claims.csv"))
    assert claims_line == f"{out / 'claims.csv'}: {claims_rows} rows"
    assert invoices_line.startswith(f"{out / 'invoices.csv'}: ")
    assert patients_line == f"{out / 'patients.csv'}: 2000 rows"


def test_script_out_option_overrides_host_output_dir(tmp_path: Path) -> None:
    done = run_script(
        "--out",
        str(tmp_path / "chosen"),
        "--claims",
        "30",
        "--orphans",
        "2",
        cwd=tmp_path,
        host_output_dir=tmp_path / "host",
    )

    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "host").exists()
    assert done.stdout.splitlines()[0] == f"{tmp_path / 'chosen' / 'claims.csv'}: 30 rows"


def test_script_reports_nonsense_options(tmp_path: Path) -> None:
    done = run_script(
        "--min-claims", "5", "--max-claims", "2", cwd=tmp_path, host_output_dir=tmp_path
    )

    assert done.returncode == 2
    assert done.stderr == "Error: min_claims (5) is greater than max_claims (2)\n"
    assert list(tmp_path.iterdir()) == []


def test_script_without_host_output_dir_writes_beside_itself(tmp_path: Path) -> None:
    # The seed's default: a copy of the script in another folder writes into that folder.
    folder = tmp_path / "copy"
    folder.mkdir()
    script = folder / SCRIPT.name
    script.write_text(SCRIPT.read_text())
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HOST_OUTPUT_DIR"}
    done = subprocess.run(
        [sys.executable, str(script), "--claims", "50"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted([script.name, *FILES])
    assert len(read_rows(folder / "claims.csv")) == 50
    assert list(elsewhere.iterdir()) == []
