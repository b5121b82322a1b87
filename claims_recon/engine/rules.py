"""The reconciliation rules, written once as portable relational SQL.

Every store runs these statements unchanged (named parameters ``$name``; a store whose
driver wants another placeholder style converts them mechanically). Amount arithmetic stays
in DECIMAL: the percent tolerance is compared as ``|variance| * 100 <= |charges| * percent``
so no division, and no float, ever touches money.
"""

from __future__ import annotations

from decimal import Decimal

from claims_recon.domain.query import ResultFilter, Sort


def reconcile_sql(claims: str) -> str:
    """Per claim: its invoices' count and total, variance and exactly one status.

    ``claims`` is a relation (table or subquery chosen by the store, never user input) with
    columns claim_id, patient_id, date_of_service, charges_amount; the invoices are the
    stored dataset ``$invoices_dataset_id``.
    """
    return f"""
INSERT INTO results (run_id, claim_id, patient_id, date_of_service, charges_amount,
                     invoice_count, invoice_total, variance, status, has_refunds, seq)
WITH inv AS (
    SELECT claim_id,
           count(*) AS invoice_count,
           sum(transaction_value) AS invoice_total,
           sum(CASE WHEN transaction_value < 0 THEN 1 ELSE 0 END) AS refund_count
    FROM invoices
    WHERE dataset_id = $invoices_dataset_id
    GROUP BY claim_id
),
joined AS (
    SELECT c.claim_id, c.patient_id, c.date_of_service, c.charges_amount,
           coalesce(i.invoice_count, 0) AS invoice_count,
           CAST(i.invoice_total AS DECIMAL(18, 2)) AS invoice_total,
           CAST(i.invoice_total - c.charges_amount AS DECIMAL(18, 2)) AS variance,
           coalesce(i.refund_count, 0) > 0 AS has_refunds
    FROM {claims} c
    LEFT JOIN inv i ON i.claim_id = c.claim_id
)
SELECT $run_id, claim_id, patient_id, date_of_service, charges_amount,
       invoice_count, invoice_total, variance,
       CASE
           WHEN invoice_count = 0 THEN 'NO_INVOICES'
           WHEN abs(variance) <= CAST($tolerance_amount AS DECIMAL(18, 2))
             OR abs(variance) * 100
                <= abs(charges_amount) * CAST($tolerance_percent AS DECIMAL(5, 2))
             THEN 'BALANCED'
           WHEN variance < 0 THEN 'UNDERPAID'
           ELSE 'OVERPAID'
       END,
       has_refunds,
       -- rank, not row_number: the same numbers while claim IDs are unique, and a
       -- repeated ID shows as a tie, which DUPLICATE_CLAIMS finds without a hash table.
       CAST(rank() OVER (ORDER BY claim_id) AS INTEGER)
FROM joined
ORDER BY claim_id
"""


# The claims of an earlier run, for an upload that sends invoices only.
CLAIMS_OF_RUN = (
    "(SELECT claim_id, patient_id, date_of_service, charges_amount "
    "FROM results WHERE run_id = $claims_run_id)"
)

# Non-zero when a key appears more than once (a duplicate row in the uploaded file).
DUPLICATE_INVOICES = """
SELECT count(*) - count(DISTINCT invoice_id) FROM invoices WHERE dataset_id = $invoices_dataset_id
"""
# A run's seq is the rank of its claim_id, never above the row's position and equal to it
# for every row only when no ID repeats; so the ranks of n rows sum to 1 + 2 + ... + n
# exactly when the claim IDs are unique.
DUPLICATE_CLAIMS = """
SELECT count(*) * (count(*) + 1) - 2 * coalesce(sum(seq), 0) FROM results WHERE run_id = $run_id
"""

# Invoices whose claim_id matches no claim of the run.
ORPHANS = """
INSERT INTO orphans (run_id, invoice_id, claim_id, transaction_value)
SELECT $run_id, i.invoice_id, i.claim_id, i.transaction_value
FROM invoices i
WHERE i.dataset_id = $invoices_dataset_id
  AND NOT EXISTS (
      SELECT 1 FROM results r WHERE r.run_id = $run_id AND r.claim_id = i.claim_id
  )
"""

SUMMARY_TOTALS = """
SELECT count(*) AS total_claims,
       count(*) FILTER (WHERE status = 'BALANCED') AS balanced,
       count(*) FILTER (WHERE status = 'OVERPAID') AS overpaid,
       count(*) FILTER (WHERE status = 'UNDERPAID') AS underpaid,
       count(*) FILTER (WHERE status = 'NO_INVOICES') AS no_invoices,
       count(*) FILTER (WHERE has_refunds) AS claims_with_refunds,
       coalesce(sum(charges_amount), 0) AS total_charges,
       coalesce(sum(invoice_total), 0) AS total_invoiced,
       coalesce(sum(variance), 0) AS net_variance,
       coalesce(-sum(variance) FILTER (WHERE status = 'UNDERPAID'), 0) AS open_underpaid_balance,
       coalesce(sum(variance) FILTER (WHERE status = 'OVERPAID'), 0) AS overpaid_amount,
       coalesce(sum(charges_amount) FILTER (WHERE status = 'NO_INVOICES'), 0)
           AS uninvoiced_charges
FROM results WHERE run_id = $run_id
"""

SUMMARY_ORPHANS = """
SELECT count(*), coalesce(sum(transaction_value), 0) FROM orphans WHERE run_id = $run_id
"""

SUMMARY_BY_STATUS = """
SELECT status, count(*), coalesce(sum(charges_amount), 0), coalesce(sum(invoice_total), 0),
       coalesce(sum(variance), 0)
FROM results WHERE run_id = $run_id
GROUP BY status ORDER BY status
"""

SUMMARY_BY_MONTH = """
SELECT extract(year FROM date_of_service) AS y, extract(month FROM date_of_service) AS m,
       count(*), coalesce(sum(charges_amount), 0), coalesce(sum(invoice_total), 0),
       coalesce(sum(variance), 0)
FROM results WHERE run_id = $run_id
GROUP BY y, m ORDER BY y, m
"""

# Open balance of a patient: what underpaid claims still miss plus claims with no invoice.
SUMMARY_TOP_PATIENTS = """
SELECT patient_id,
       sum(CASE WHEN status = 'UNDERPAID' THEN -variance ELSE charges_amount END) AS open_balance,
       count(*) AS claims
FROM results
WHERE run_id = $run_id AND status IN ('UNDERPAID', 'NO_INVOICES')
GROUP BY patient_id
HAVING sum(CASE WHEN status = 'UNDERPAID' THEN -variance ELSE charges_amount END) > 0
ORDER BY open_balance DESC, patient_id
LIMIT $top
"""

# Fixed, human-sized money buckets: a billing team reads "-500 to -100" at a glance.
_BUCKET_LABELS = (
    "< -1,000",
    "-1,000 to -500",
    "-500 to -100",
    "-100 to 0",
    "0 (exact)",
    "0 to 100",
    "100 to 500",
    "500 to 1,000",
    "≥ 1,000",
)


def variance_buckets() -> list[tuple[str, Decimal | None, Decimal | None]]:
    """(label, inclusive lower, exclusive upper) for each bucket; amounts are cents-exact."""
    shown = (
        Decimal("-1000"),
        Decimal("-500"),
        Decimal("-100"),
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("100"),
        Decimal("500"),
        Decimal("1000"),
    )
    lowers: list[Decimal | None] = [None, *shown]
    uppers: list[Decimal | None] = [*shown, None]
    return list(zip(_BUCKET_LABELS, lowers, uppers, strict=True))


def variance_distribution_sql() -> str:
    cases = []
    for index, (_, lower, upper) in enumerate(variance_buckets()):
        conds = []
        if lower is not None:
            conds.append(f"variance >= {lower}")
        if upper is not None:
            conds.append(f"variance < {upper}")
        cases.append(f"WHEN {' AND '.join(conds)} THEN {index}")
    return (
        "SELECT CASE " + " ".join(cases) + " END AS bucket, count(*) "
        "FROM results WHERE run_id = $run_id AND variance IS NOT NULL "
        "GROUP BY bucket ORDER BY bucket"
    )


RESULT_SELECT = (
    "claim_id, patient_id, date_of_service, charges_amount, invoice_count, "
    "invoice_total, variance, status, has_refunds"
)


def result_where(filt: ResultFilter, params: dict[str, object]) -> str:
    """WHERE clause for a run's results; fills ``params``. Column names are fixed here."""
    clauses = ["run_id = $run_id"]
    if filt.statuses:
        names = []
        for index, status in enumerate(filt.statuses):
            params[f"status_{index}"] = status.value
            names.append(f"$status_{index}")
        clauses.append(f"status IN ({', '.join(names)})")
    if filt.patient_id is not None:
        params["patient_id"] = filt.patient_id
        clauses.append("patient_id = $patient_id")
    if filt.claim_search:
        params["claim_search"] = "%" + _escape_like(filt.claim_search.lower()) + "%"
        clauses.append("lower(claim_id) LIKE $claim_search ESCAPE '\\'")
    if filt.date_from is not None:
        params["date_from"] = filt.date_from
        clauses.append("date_of_service >= $date_from")
    if filt.date_to is not None:
        params["date_to"] = filt.date_to
        clauses.append("date_of_service <= $date_to")
    if filt.variance_min is not None:
        params["variance_min"] = filt.variance_min
        clauses.append("variance >= CAST($variance_min AS DECIMAL(18, 2))")
    if filt.variance_max is not None:
        params["variance_max"] = filt.variance_max
        clauses.append("variance <= CAST($variance_max AS DECIMAL(18, 2))")
    if filt.has_refunds is not None:
        params["has_refunds"] = filt.has_refunds
        clauses.append("has_refunds = $has_refunds")
    return " AND ".join(clauses)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def result_order(sort: Sort) -> str:
    """ORDER BY with a stable tie-break; missing totals/variances always sort last.

    ``seq`` numbers a run's claims in claim_id order, so ordering by it is ordering by
    claim_id, on an integer.
    """
    direction = "DESC" if sort.descending else "ASC"
    if sort.column == "claim_id":
        return f"seq {direction}"
    return f"{sort.column} {direction} NULLS LAST, seq ASC"
