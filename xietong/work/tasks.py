"""Background jobs (Django's tasks API; django-tasks-db stores them)."""

from django.tasks import task

from .delivery import deliveries_send_due
from .sweep import sweep_run


@task
def deliver_outbox() -> dict[str, int]:
    """Send the outbox now (enqueued when a change writes to it)."""
    return deliveries_send_due(limit=500)


@task
def sweep() -> dict[str, int]:
    """Run the periodic sweeps once (the "run the sweep now" button)."""
    return sweep_run()
