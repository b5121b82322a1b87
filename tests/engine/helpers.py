"""Build received files from Python rows, for store-level tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile, receive_stream

CLAIMS_HEADER = ("claim_id", "patient_id", "date_of_service", "charges_amount")
INVOICES_HEADER = ("invoice_id", "claim_id", "transaction_value")


def received(
    kind: FileKind, header: Sequence[str], rows: Sequence[Sequence[object]], spool: Path
) -> ReceivedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return receive_stream(
        kind,
        f"{kind.value}.csv",
        io.BytesIO(buffer.getvalue().encode()),
        limit=1 << 30,
        spool_dir=spool,
    )
