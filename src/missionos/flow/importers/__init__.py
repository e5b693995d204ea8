"""Importers: each turns a tracker's data into `WorkItemRecord`s and `TransitionRecord`s for `upsert_work`."""
