"""Weekly meetings: recorded as one fact, counted against the books (reconciliation)."""
