"""The compliance view's demo (README, scene "Compliance"): the daily
snapshots of the weeks the other modules' demo data covers, computed as the
worker would have after each day."""

from .snapshot import BACKFILL_DAYS, snapshots_due


def load_demo_compliance() -> str:
    made = snapshots_due(limit=BACKFILL_DAYS)
    return f"compliance: {made} daily snapshots computed and sealed"
