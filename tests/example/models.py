from django.conf import settings
from django.db import models


class Note(models.Model):
    """A note a department shares; its readers acknowledge it within a time limit."""

    title = models.CharField(max_length=200)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # Set by its approval handler when a note submitted for approval is approved.
    approved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title
