"""The headline numbers of a run's dashboard, taken from its stored summary."""

from __future__ import annotations

from dataclasses import dataclass

from claims_recon.domain.models import Summary
from claims_recon.web import formatting as fmt
from claims_recon.web.links import run_path


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str  # the summary field it shows; tests compare the card with the JSON by it
    label: str
    value: str
    note: str
    negative: bool = False
    link: str | None = None
    link_label: str | None = None


def dashboard_kpis(run_id: int, s: Summary) -> list[Kpi]:
    claims = run_path(run_id, "claims")
    with_invoices = s.total_claims - s.no_invoices
    return [
        Kpi(
            "total_claims",
            "Claims",
            fmt.count(s.total_claims),
            f"{fmt.count(s.claims_with_refunds)} with refunds",
            link=claims,
            link_label="Browse all claims",
        ),
        Kpi(
            "total_charges",
            "Charges",
            fmt.money(s.total_charges),
            f"{fmt.money(s.uninvoiced_charges)} not invoiced yet",
        ),
        Kpi(
            "total_invoiced",
            "Invoiced",
            fmt.money(s.total_invoiced),
            "Refunds included; orphans excluded",
        ),
        Kpi(
            "net_variance",
            "Net variance",
            fmt.money(s.net_variance),
            f"Invoiced minus charges, over {fmt.count(with_invoices)} invoiced claims",
            negative=s.net_variance < 0,
        ),
        Kpi(
            "share_balanced",
            "Balanced",
            fmt.percent(s.balanced, s.total_claims),
            f"{fmt.count(s.balanced)} of {fmt.count(s.total_claims)} claims",
            link=f"{claims}?status=BALANCED",
            link_label="Balanced claims",
        ),
        Kpi(
            "open_underpaid_balance",
            "Open underpaid balance",
            fmt.money(s.open_underpaid_balance),
            f"Across {fmt.count(s.underpaid)} underpaid claims",
            link=f"{claims}?status=UNDERPAID&sort=variance",
            link_label="Underpaid claims",
        ),
        Kpi(
            "overpaid_amount",
            "Overpaid amount",
            fmt.money(s.overpaid_amount),
            f"Across {fmt.count(s.overpaid)} overpaid claims",
            link=f"{claims}?status=OVERPAID&sort=-variance",
            link_label="Overpaid claims",
        ),
        Kpi(
            "orphan_invoices",
            "Orphan invoices",
            fmt.count(s.orphan_invoices),
            f"{fmt.money(s.orphan_total)} matching no claim",
            link=run_path(run_id, "orphans"),
            link_label="Orphan invoices",
        ),
    ]
