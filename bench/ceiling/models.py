from django.db import models


class Item(models.Model):
    """One table, as a bug tracker's issues: an owner, a state, a title."""

    owner = models.IntegerField()
    state = models.CharField(max_length=16, default="open")
    title = models.CharField(max_length=200)
    note = models.TextField(default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects: "models.Manager[Item]" = models.Manager()

    class Meta:
        app_label = "ceiling"
        db_table = "ceiling_item"
        managed = False  # bench/over_http.py creates it, with its one index

    def __str__(self) -> str:
        return self.title
