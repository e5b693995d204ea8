"""The `accounts` context: users, API tokens and the append-only audit log.

Every write to plans, flags, mappings, attestations, tokens or users calls `audit.record(...)` in the same
transaction as the write, so the log and the data never disagree.
"""
