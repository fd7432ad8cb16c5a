"""One parser for what people type, shared by the pages, the API and the
actions behind both.

    title = clean_line(title, _("Title"), limit=200, required=True)
    note = clean_text(note, _("Note"))
    amount = parse_money(raw, _("Amount"))
    day = parse_date(raw, _("Needed by"))

Every function returns the clean value or raises `DomainError` naming the
field, so a bad value is refused with a translated message and nothing
changes — whichever door it came through, whatever the browser checked.
Single-line fields are normalised (a line break becomes a space: a title
travels into e-mail subjects, where a line break is a header injection that
the mailer refuses); characters no database can store (NUL, other control
characters) are refused. The API's schemas use the same limits (`Line`,
`Text`, `Id`), so the OpenAPI document says what is accepted.
"""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, get_origin

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from pydantic import BaseModel, Field, StringConstraints

from xietong.errors import DomainError

Label = str | Promise

# The largest id a row can have (bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
# The range of dates anyone may type: far enough for every plan, near enough
# that date arithmetic and the working calendar never overflow.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_UTC_OFFSET = timedelta(hours=14)
MONEY_MAX = Decimal("9999999999999.99")  # 13 digits: 万亿 yuan, beyond any real amount
LINE_MAX = 200
TEXT_MAX = 4000

_BREAKS = re.compile(r"[\r\n\t\v\f\u0085\u2028\u2029]+")
_MONEY = re.compile(r"^(?:\d{1,13}|\d{1,3}(?:,\d{3}){1,4})(?:\.\d{1,2})?$")
_INT = re.compile(r"^[+-]?[0-9]+$")

# For the API's schemas: the same limits as the actions apply.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Line = Annotated[str, StringConstraints(max_length=LINE_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
ShortText = Annotated[str, StringConstraints(max_length=500)]


def one_line(text: Any, limit: int = LINE_MAX) -> str:
    """A title the product composes itself ("Accept or decline: …"), made
    safe for a subject line: breaks and control characters become spaces,
    and it is shortened with an ellipsis rather than refused."""
    raw = str(text if text is not None else "")
    if raw.isprintable():  # no break, no control character: nothing to replace (the sweeps' titles)
        flat = raw.strip()
    else:
        flat = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in _BREAKS.sub(" ", raw)).strip()
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _refuse_controls(text: str, label: Label, *, allowed: str) -> None:
    for char in text:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise DomainError(_("“%(field)s” contains a character that cannot be stored (a control character).")
                              % {"field": label}, code="bad_character")


def _limit(text: str, label: Label, limit: int, required: bool) -> str:
    if required and not text:
        raise DomainError(_("“%(field)s” is required.") % {"field": label}, code="required")
    if len(text) > limit:
        raise DomainError(_("“%(field)s” can be at most %(n)s characters.") % {"field": label, "n": limit},
                          code="too_long")
    return text


def clean_line(value: Any, label: Label, *, limit: int = LINE_MAX, required: bool = False) -> str:
    """A single-line field (a title, a name, a reason shown in a list): line
    breaks and tabs become one space, surrounding space is dropped."""
    text = _BREAKS.sub(" ", str(value if value is not None else "")).strip()
    _refuse_controls(text, label, allowed="")
    return _limit(text, label, limit, required)


def clean_text(value: Any, label: Label, *, limit: int = TEXT_MAX, required: bool = False) -> str:
    """A multi-line field (a description, a note): line breaks kept as \\n."""
    text = str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n").strip()
    _refuse_controls(text, label, allowed="\n\t")
    return _limit(text, label, limit, required)


def parse_money(raw: Any, label: Label, *, minimum: Decimal = Decimal("0"), maximum: Decimal = MONEY_MAX,
                positive: bool = False) -> Decimal:
    """Yuan with at most two decimals (fen): "1200", "1,200.50". Refused:
    "1,0,0", "-0", "1e3", more than two decimals, beyond 13 digits."""
    text = str(raw if raw is not None else "").strip().replace("，", ",")
    if text.startswith("-"):
        raise DomainError(_("“%(field)s” cannot be negative.") % {"field": label}, code="negative")
    if not _MONEY.match(text):
        if re.fullmatch(r"\d+\.\d{3,}", text):
            raise DomainError(_("“%(field)s” has at most two decimals (fen).") % {"field": label},
                              code="too_precise")
        if re.fullmatch(r"\d{14,}(\.\d*)?", text):
            raise DomainError(_("“%(field)s” is too large.") % {"field": label}, code="too_large")
        raise DomainError(_("“%(field)s” must be an amount in yuan, such as 1200 or 1,200.50.") % {"field": label},
                          code="bad_amount")
    amount = Decimal(text.replace(",", "")).quantize(Decimal("0.01"))
    if positive and amount <= 0:
        raise DomainError(_("“%(field)s” must be more than zero.") % {"field": label}, code="not_positive")
    if amount < minimum:
        raise DomainError(_("“%(field)s” must be at least %(n)s.") % {"field": label, "n": minimum}, code="too_small")
    if amount > maximum:
        raise DomainError(_("“%(field)s” must be at most %(n)s.") % {"field": label, "n": maximum}, code="too_large")
    return amount


def parse_decimal(raw: Any, label: Label, *, minimum: Decimal, maximum: Decimal, places: int = 6) -> Decimal:
    """A plain number (a quantity, a threshold) within bounds, at most `places` decimals."""
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"-?\d{1,18}(\.\d{1," + str(places) + r"})?", text):
        raise DomainError(_("“%(field)s” must be a number.") % {"field": label}, code="bad_number")
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover — the pattern admits only numbers
        raise DomainError(_("“%(field)s” must be a number.") % {"field": label}, code="bad_number") from None
    if number == 0:
        number = abs(number)  # "-0" is 0
    if number < minimum:
        raise DomainError(_("“%(field)s” must be at least %(n)s.") % {"field": label, "n": minimum}, code="too_small")
    if number > maximum:
        raise DomainError(_("“%(field)s” must be at most %(n)s.") % {"field": label, "n": maximum}, code="too_large")
    return number


def parse_int(raw: Any, label: Label, *, minimum: int, maximum: int) -> int:
    text = str(raw if raw is not None else "").strip()
    if isinstance(raw, bool) or not _INT.match(text):
        raise DomainError(_("“%(field)s” must be a whole number.") % {"field": label}, code="bad_number")
    number = int(text) if len(text) <= 19 else (maximum + 1 if text[0] != "-" else minimum - 1)
    if not minimum <= number <= maximum:
        raise DomainError(_("“%(field)s” must be between %(lo)s and %(hi)s.")
                          % {"field": label, "lo": minimum, "hi": maximum}, code="out_of_range")
    return number


def parse_id(raw: Any) -> int | None:
    """An id from a form or a query string, or None when it is not one."""
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if number >= 1 else None


def check_date(day: date, label: Label, *, earliest: date = FIRST_DAY, latest: date = LAST_DAY) -> date:
    if not earliest <= day <= latest:
        raise DomainError(_("“%(field)s” must be between %(first)s and %(last)s.")
                          % {"field": label, "first": earliest.isoformat(), "last": latest.isoformat()},
                          code="date_out_of_range")
    return day


def parse_date(raw: Any, label: Label, *, earliest: date = FIRST_DAY, latest: date = LAST_DAY) -> date:
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return check_date(raw, label, earliest=earliest, latest=latest)
    try:
        day = date.fromisoformat(str(raw if raw is not None else "").strip())
    except ValueError:
        raise DomainError(_("“%(field)s” must be a date (YYYY-MM-DD).") % {"field": label}, code="bad_date") \
            from None
    return check_date(day, label, earliest=earliest, latest=latest)


# The range check_instant allows, in UTC (naive), worked out once.
_FIRST_INSTANT = datetime.combine(FIRST_DAY, datetime.min.time())
_LAST_INSTANT = datetime.combine(LAST_DAY, datetime.min.time()) - timedelta(days=1)


def check_instant(at: datetime, label: Label) -> datetime:
    """A moment in the range of dates anyone may type, with its time zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise DomainError(_("“%(field)s” needs a time zone, e.g. 2026-09-30T10:00:00+08:00.") % {"field": label},
                          code="naive_datetime")
    offset = at.utcoffset() or timedelta(0)
    if abs(offset) > MAX_UTC_OFFSET:
        # Python allows ±23:59; real zones span −12 to +14, and PostgreSQL refuses beyond ±15:59.
        raise DomainError(_("“%(field)s” has a time zone offset that does not exist.") % {"field": label},
                          code="bad_offset")
    try:
        utc = at.replace(tzinfo=None) - offset
    except OverflowError:
        utc = None
    # Compared in UTC with a day's margin at the end, so that converting to
    # the company's zone and adding a few working days never overflows.
    if utc is None or not _FIRST_INSTANT <= utc <= _LAST_INSTANT:
        raise DomainError(_("“%(field)s” must be between %(first)s and %(last)s.")
                          % {"field": label, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                          code="date_out_of_range")
    return at


def parse_form[M: BaseModel](schema: type[M], data: Any, labels: Mapping[str, Label]) -> M:
    """A page's POST read with the API's schema for the same action (one
    parser for both): empty fields are left out (their defaults apply), and a
    refusal names the fields by their translated labels."""
    from pydantic import ValidationError

    fields = schema.model_fields
    values: dict[str, Any] = {}
    for key, field in fields.items():
        if key not in data:
            continue
        if get_origin(field.annotation) is list or "list[" in str(field.annotation):
            many = data.getlist(key) if hasattr(data, "getlist") else data.get(key)
            values[key] = [v for v in many if str(v).strip() != ""]
        elif str(data.get(key)).strip() != "":
            values[key] = data.get(key)
    try:
        return schema.model_validate(values)
    except ValidationError as error:
        names = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
        shown = ", ".join(str(labels.get(name, name)) for name in names)
        raise DomainError(_("Some fields are missing or invalid: %(fields)s") % {"fields": shown},
                          code="validation") from None
