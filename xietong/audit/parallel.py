"""`audit verify --jobs N`: chains and seals checked by N spawned processes
(verify_worker is their side)."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from django.db import connection

from . import verify_worker
from .trail import AnchorBreak, ChainBreak, SealBreak, audit_verify, verify_anchors


def verify_parallel(*, jobs: int) -> list[ChainBreak | SealBreak | AnchorBreak]:
    """Chains and seals, split over `jobs` processes on PostgreSQL; the
    anchors in this one."""
    # Inside a transaction, other processes could not see its rows: stay here.
    if jobs <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return list(audit_verify())
    # Spawned, not forked: a fresh interpreter owes nothing to this process's
    # threads and connections. A child that fails breaks the pool (an error),
    # it is not silently replaced.
    work = [("chains", i, jobs) for i in range(jobs)] + [("seals", i, jobs) for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=verify_worker.init, initargs=(connection.settings_dict["NAME"],)) as pool:
        parts = list(pool.map(verify_worker.verify_part, work))
    return [b for part in parts for b in part] + list(verify_anchors())
