"""Path converters for record ids in page URLs.

Django's `<int:…>` takes any run of digits, and a 30-digit id overflows the
database (SQLite: "Python int too large", PostgreSQL: "bigint out of range")
before any view can say "not found". `<id:…>` takes 1–18 digits (a bigint
holds 19), `<n:…>` 1–9 (a 32-bit column such as a version number); anything
else simply matches no URL: a 404.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(value)


class NumberConverter(IdConverter):
    regex = "[1-9][0-9]{0,8}"


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(NumberConverter, "n")
