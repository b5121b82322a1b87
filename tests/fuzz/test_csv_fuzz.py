"""Hostile and broken files: random bytes and mutated valid files never cause a 500 and
never leave a partial run."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload

VALID = SEED_CLAIMS.encode()
ACCEPTABLE = {201, 413, 415, 422}


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "duplicate":
            line_end = data.find(b"\n", at) + 1 or len(data)
            data[line_end:line_end] = data[at:line_end]
    return bytes(data)


files = st.one_of(st.binary(max_size=300), mutated(), st.text(max_size=200).map(str.encode))
common = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@common
@given(claims=files)
def test_bad_files_never_500_and_never_leave_a_partial_run(client, claims):
    before = client.get("/api/runs").json()["count"]
    response = upload(client, claims, SEED_INVOICES)
    assert response.status_code in ACCEPTABLE, response.text
    body = response.json()
    runs = client.get("/api/runs").json()
    if response.status_code == 201:
        assert runs["count"] == before + 1
        run_id = body["run_id"]
        page = client.get(f"/api/runs/{run_id}/reconciliation", params={"limit": 1}).json()
        assert page["total"] == body["run"]["counts"]["total_claims"] > 0
    else:
        assert set(body) == {"error"}
        assert body["error"]["total"] >= len(body["error"]["details"]) >= 1 or (
            body["error"]["code"] != "rejected_upload"
        )
        assert runs["count"] == before
