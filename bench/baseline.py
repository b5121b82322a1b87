"""The naive per-row baseline: how a first prototype reconciles, for scale.

``csv`` module, one Python object per row, a dict join and float money: the approach the
project replaced. Run as its own process (``python bench/baseline.py --claims C --invoices
I``) so its time and peak memory are its own; prints one JSON object on stdout. Floats make
its totals inexact, which is part of the point: it is a speed and memory reference only.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
from pathlib import Path


class Claim:
    def __init__(self, row: dict[str, str]) -> None:
        self.claim_id = row["claim_id"]
        self.patient_id = row["patient_id"]
        self.date_of_service = row["date_of_service"]
        self.charges_amount = float(row["charges_amount"])


class Invoice:
    def __init__(self, row: dict[str, str]) -> None:
        self.invoice_id = row["invoice_id"]
        self.claim_id = row["claim_id"]
        self.transaction_value = float(row["transaction_value"])


def load(path: Path, make: type) -> list:  # type: ignore[type-arg]
    with path.open(newline="", encoding="utf-8") as handle:
        return [make(row) for row in csv.DictReader(handle)]


def reconcile(claims: list[Claim], invoices: list[Invoice]) -> list[dict[str, object]]:
    by_claim: dict[str, list[Invoice]] = {}
    for invoice in invoices:
        by_claim.setdefault(invoice.claim_id, []).append(invoice)
    results = []
    for claim in claims:
        paid = by_claim.get(claim.claim_id, [])
        total = sum(i.transaction_value for i in paid) if paid else None
        variance = None if total is None else round(total - claim.charges_amount, 2)
        if variance is None:
            status = "NO_INVOICES"
        elif variance == 0:
            status = "BALANCED"
        elif variance < 0:
            status = "UNDERPAID"
        else:
            status = "OVERPAID"
        results.append(
            {
                "claim_id": claim.claim_id,
                "patient_id": claim.patient_id,
                "date_of_service": claim.date_of_service,
                "charges_amount": claim.charges_amount,
                "invoice_count": len(paid),
                "invoice_total": total,
                "variance": variance,
                "status": status,
                "has_refunds": any(i.transaction_value < 0 for i in paid),
            }
        )
    return results


def run(claims_path: Path, invoices_path: Path) -> dict[str, object]:
    cpu_before = _cpu_s()
    started = time.perf_counter()
    claims = load(claims_path, Claim)
    invoices = load(invoices_path, Invoice)
    results = reconcile(claims, invoices)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "rows": len(results),
        "cpu_s": round(_cpu_s() - cpu_before, 4),
        # Linux reports ru_maxrss in KiB.
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, required=True)
    parser.add_argument("--invoices", type=Path, required=True)
    args = parser.parse_args(argv)
    json.dump(run(args.claims, args.invoices), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
