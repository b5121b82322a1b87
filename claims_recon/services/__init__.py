"""Use cases: upload → run → reconcile → summary / browse / export. The store is passed in."""
