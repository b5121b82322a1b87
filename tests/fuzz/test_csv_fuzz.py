"""Hostile and broken files: random bytes and mutated valid files, as the claims file or
the invoices file, never cause a 500, never leave a partial run, and never change an
earlier run."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload

ACCEPTABLE = {201, 413, 415, 422}
# What a rejected upload may answer: the file's problems, or a request that is not usable.
REJECTION_CODES = {
    "rejected_upload",
    "invalid_request",
    "payload_too_large",
    "unsupported_media_type",
}


@st.composite
def mutated(draw, valid: bytes) -> bytes:
    data = bytearray(valid)
    # Byte-level damage, and edits that keep a file well formed (so some uploads succeed).
    kinds = ["flip", "insert", "delete", "duplicate", "digit", "drop_row", "crlf", "blank_line"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        digits = [i for i, byte in enumerate(data) if chr(byte).isdigit()]
        header_end = data.find(b"\n") + 1
        if kind == "digit" and digits:
            data[draw(st.sampled_from(digits))] = ord(draw(st.sampled_from("0123456789")))
        elif kind == "drop_row" and 0 < header_end < at:
            start = data.rfind(b"\n", 0, at) + 1
            del data[start : data.find(b"\n", at) + 1 or len(data)]
        elif kind == "crlf":
            data = bytearray(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        elif kind == "blank_line" and 0 < header_end <= at:
            data[data.rfind(b"\n", 0, at) + 1 : data.rfind(b"\n", 0, at) + 1] = b"\n"
        elif kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "duplicate":
            line_end = data.find(b"\n", at) + 1 or len(data)
            data[line_end:line_end] = data[at:line_end]
    return bytes(data)


def files(valid: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300), mutated(valid.encode()), st.text(max_size=200).map(str.encode)
    )


common = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _first_run(client) -> list[bytes]:
    """The seed run as a user sees it (created by the first example)."""
    if client.get("/api/runs").json()["count"] == 0:
        assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    views = ("", "/summary", "/reconciliation", "/orphans")
    return [client.get(f"/api/runs/1{view}").content for view in views]


def _check_upload(client, settings, claims: bytes | str, invoices: bytes | str) -> None:
    first_run = _first_run(client)
    before = client.get("/api/runs").json()["count"]
    response = upload(client, claims, invoices)
    assert response.status_code in ACCEPTABLE, response.text
    body = response.json()
    event(f"answered {response.status_code}")
    runs = client.get("/api/runs").json()
    if response.status_code == 201:
        assert runs["count"] == before + 1
        run_id = body["run_id"]
        counts = body["run"]["counts"]
        results = client.get(f"/api/runs/{run_id}/reconciliation", params={"limit": 1000}).json()
        orphans = client.get(f"/api/runs/{run_id}/orphans", params={"limit": 1000}).json()
        # The run is complete and consistent: every claim has a result, and every invoice
        # either belongs to one of them or is an orphan.
        assert results["total"] == counts["total_claims"] == body["run"]["claims"]["rows"] > 0
        assert len(results["data"]) == results["total"]
        assert orphans["total"] == counts["orphan_invoices"] == body["summary"]["orphan_invoices"]
        assert (
            sum(r["invoice_count"] for r in results["data"]) + orphans["total"]
            == body["run"]["invoices"]["rows"]
        )
        statuses = [counts[s] for s in ("balanced", "underpaid", "overpaid", "no_invoices")]
        assert sum(statuses) == counts["total_claims"]
    else:
        assert set(body) == {"error"}
        assert body["error"]["code"] in REJECTION_CODES
        assert body["error"]["total"] >= len(body["error"]["details"]) >= 1 or (
            body["error"]["code"] != "rejected_upload"
        )
        assert runs["count"] == before
    assert _first_run(client) == first_run
    assert list(settings.resolved_upload_dir().iterdir()) == []


@common
@given(claims=files(SEED_CLAIMS))
def test_bad_claims_files_never_500_and_never_leave_a_partial_run(client, settings, claims):
    _check_upload(client, settings, claims, SEED_INVOICES)


@common
@given(invoices=files(SEED_INVOICES))
def test_bad_invoices_files_never_500_and_never_leave_a_partial_run(client, settings, invoices):
    _check_upload(client, settings, SEED_CLAIMS, invoices)
