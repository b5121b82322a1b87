"""Pure domain: statuses, tolerance, money and the typed shapes of results. No I/O here."""
