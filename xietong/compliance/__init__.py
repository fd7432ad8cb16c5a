"""Compliance (SUP-2): the regulations' clauses, each checked over the data
by the module that owns it, computed by the worker into sealed daily
snapshots, and shown per department with the failing records."""
