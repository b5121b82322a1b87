"""Getting files in: column specs, header normalisation, streaming receipt, line numbers."""
