"""A module whose periodic sweep always fails: what a real worker must survive."""

from typing import Any

from django.apps import AppConfig


def boom(*, now: Any) -> int:
    raise RuntimeError("boom: a module sweep that always fails")


class BoomConfig(AppConfig):
    name = "tests.boom"
    label = "boom"

    def ready(self) -> None:
        from xietong.work.registry import register_sweep

        register_sweep("boom", boom)
