"""A module whose periodic sweep always fails: what a real worker must survive."""

from typing import Any

from xietong.platform import ModuleConfig


def boom(*, now: Any) -> int:
    raise RuntimeError("boom: a module sweep that always fails")


class BoomConfig(ModuleConfig):
    name = "tests.boom"
    label = "boom"
