"""Write sample claims.csv, invoices.csv and patients.csv.

With no arguments the files go to $HOST_OUTPUT_DIR, or next to this script when it is unset, so
`python data/generate_data.py` keeps working from any directory and inside containers. The
same command is `claims-recon generate`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

try:
    from claims_recon.cli.generate import generate
except ImportError:  # a plain checkout, run as a script without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from claims_recon.cli.generate import generate

SCRIPT_DIR = Path(__file__).resolve().parent

app = typer.Typer(add_completion=False)
app.command()(generate)


def main() -> None:
    # The seed's behaviour: files land beside this script unless HOST_OUTPUT_DIR says where.
    args = sys.argv[1:]
    if not os.environ.get("HOST_OUTPUT_DIR") and not any(
        a == "--out" or a.startswith("--out=") for a in args
    ):
        args = [*args, "--out", str(SCRIPT_DIR)]
    app(args)


if __name__ == "__main__":
    main()
