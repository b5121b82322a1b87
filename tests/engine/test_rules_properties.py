"""Invariants of the reconciliation, checked against the pure-Python statement of the rule."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims_recon.domain.query import Page, ResultQuery
from claims_recon.domain.status import Status, Tolerance, classify
from claims_recon.engine import open_store
from claims_recon.errors import RejectedUpload
from claims_recon.ingest.columns import FileKind
from tests.engine.helpers import CLAIMS_HEADER, INVOICES_HEADER, received

cents = st.integers(min_value=-500_000, max_value=5_000_000).map(lambda c: Decimal(c).scaleb(-2))
claim_ids = st.sampled_from([f"C{i:03d}" for i in range(12)])


@st.composite
def datasets(draw):
    ids = draw(st.lists(claim_ids, min_size=1, max_size=10, unique=True))
    claims = [
        (
            cid,
            f"P{draw(st.integers(0, 3)):02d}",
            dt.date(2024, draw(st.integers(1, 12)), 1),
            draw(cents),
        )
        for cid in ids
    ]
    invoice_targets = draw(
        st.lists(claim_ids, min_size=1, max_size=25)
    )  # some match no claim: orphans
    invoices = [(f"I{n:04d}", cid, draw(cents)) for n, cid in enumerate(invoice_targets)]
    tolerance = Tolerance(
        amount=draw(st.sampled_from([Decimal("0.00"), Decimal("0.50"), Decimal("25.00")])),
        percent=draw(st.sampled_from([Decimal("0"), Decimal("1"), Decimal("12.5")])),
    )
    return claims, invoices, tolerance


@pytest.fixture
def store(settings):
    """One store per test (each store kind); every Hypothesis example adds a run to it."""
    opened = open_store(settings)
    yield opened
    opened.close()


def _run(store, tmp_path, claims, invoices, tolerance):
    run = store.create_run(
        received(FileKind.CLAIMS, CLAIMS_HEADER, claims, tmp_path),
        received(FileKind.INVOICES, INVOICES_HEADER, invoices, tmp_path),
        tolerance,
        max_problems=100,
    )
    rows = store.results(run.run_id, ResultQuery(page=Page(0, 1000))).data
    return {r.claim_id: r for r in rows}, store.summary(run.run_id)


common = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@common
@given(datasets())
def test_every_claim_matches_the_reference_rule(store, tmp_path, data):
    claims, invoices, tolerance = data
    results, summary = _run(store, tmp_path, claims, invoices, tolerance)
    by_claim = defaultdict(list)
    for _, cid, value in invoices:
        by_claim[cid].append(value)
    assert set(results) == {c[0] for c in claims}
    for cid, _, _, charges in claims:
        status, total, variance = classify(charges, by_claim.get(cid, []), tolerance)
        row = results[cid]
        assert (row.status, row.invoice_total, row.variance) == (status, total, variance)
        assert row.invoice_count == len(by_claim.get(cid, []))
        assert row.has_refunds == any(v < 0 for v in by_claim.get(cid, []))
    claim_set = {c[0] for c in claims}
    orphans = [v for _, cid, v in invoices if cid not in claim_set]
    assert summary.orphan_invoices == len(orphans)
    assert summary.orphan_total == sum(orphans, Decimal("0.00"))


@common
@given(datasets(), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_result(store, tmp_path, data, rnd: random.Random):
    claims, invoices, tolerance = data
    first, summary_first = _run(store, tmp_path, claims, invoices, tolerance)
    shuffled_claims, shuffled_invoices = claims[:], invoices[:]
    rnd.shuffle(shuffled_claims)
    rnd.shuffle(shuffled_invoices)
    second, summary_second = _run(store, tmp_path, shuffled_claims, shuffled_invoices, tolerance)
    assert first == second
    assert summary_first.model_dump(exclude={"run_id"}) == summary_second.model_dump(
        exclude={"run_id"}
    )


@common
@given(datasets())
def test_per_status_totals_add_up_to_grand_totals(store, tmp_path, data):
    claims, invoices, tolerance = data
    results, summary = _run(store, tmp_path, claims, invoices, tolerance)
    assert summary.total_claims == len(claims)
    assert (
        summary.balanced + summary.underpaid + summary.overpaid + summary.no_invoices
        == summary.total_claims
    )
    assert sum(b.count for b in summary.by_status) == summary.total_claims
    assert sum((b.charges for b in summary.by_status), Decimal(0)) == summary.total_charges
    assert sum((b.invoiced for b in summary.by_status), Decimal(0)) == summary.total_invoiced
    assert sum((m.charges for m in summary.by_month), Decimal(0)) == summary.total_charges
    assert sum(b.count for b in summary.variance_distribution) == (
        summary.total_claims - summary.no_invoices
    )
    matched = sum((v for _, cid, v in invoices if cid in results), Decimal("0.00"))
    assert summary.total_invoiced == matched
    assert summary.total_invoiced + summary.orphan_total == sum(
        (v for *_, v in invoices), Decimal("0.00")
    )
    underpaid = [r for r in results.values() if r.status is Status.UNDERPAID]
    assert summary.open_underpaid_balance == -sum((r.variance for r in underpaid), Decimal(0))


@common
@given(st.lists(claim_ids, min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_an_upload_is_refused_exactly_when_a_claim_id_repeats(store, tmp_path, ids, rnd):
    claims = [(cid, "P01", dt.date(2024, 1, 1), Decimal("10.00")) for cid in ids]
    rnd.shuffle(claims)
    repeated = sorted({cid for cid in ids if ids.count(cid) > 1})
    runs_before = store.list_runs(Page(0, 1000))[1]
    try:
        by_claim, _ = _run(store, tmp_path, claims, [("I1", ids[0], Decimal("1.00"))], Tolerance())
    except RejectedUpload as exc:
        assert repeated, exc
        found = sorted({p.value.strip() for p in exc.details if p.rule == "duplicate"})
        assert found == repeated
        assert store.list_runs(Page(0, 1000))[1] == runs_before
    else:
        assert not repeated
        assert sorted(by_claim) == sorted(ids)
