"""Background jobs (Django's tasks API; django-tasks-db stores them)."""

from django.tasks import task

from .sweep import sweep_run


@task
def sweep() -> dict[str, int]:
    """Run the periodic sweeps once (the "run the sweep now" button)."""
    return sweep_run()
