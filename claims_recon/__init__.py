"""claims-recon: reconcile healthcare claims against invoices and payments."""

__version__ = "0.1.0"
