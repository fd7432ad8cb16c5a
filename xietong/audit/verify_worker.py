"""The child side of `audit verify --jobs N`: imports nothing from Django
until it has set Django up, so that a spawned interpreter can load it."""


def init(database_name: str) -> None:
    import django

    django.setup()
    from django.db import connections

    # The parent's database (a test run renames it).
    connections["default"].settings_dict["NAME"] = database_name


def verify_part(work: tuple[str, int, int]) -> list:
    from xietong.audit.trail import verify_chains, verify_seals

    kind, i, n = work
    return list((verify_chains if kind == "chains" else verify_seals)(part=(i, n)))
