"""Personal data shown to whom does not need it (seed 000 §6): masked.

A leaf: every layer may use it (org's person pages, the audit trail's
history, customer-service cases)."""

from typing import Any


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7 if len(digits) > 7 else len(digits) - 4) + digits[-4:]


def mask_email(email: str) -> str:
    if "@" not in email:
        return "***"
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    name = name.strip()
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def mask_address(address: str) -> str:
    address = address.strip()
    return (address[:6] + "****") if len(address) > 6 else ("*" * len(address))


def mask_plate(plate: str) -> str:
    plate = plate.strip()
    return (plate[:2] + "***" + plate[-1:]) if len(plate) > 3 else "*" * len(plate)


def mask_value(field: str, value: Any) -> Any:
    """A personal field of a stored record, by its name: e-mails and phones
    keep their shape, anything else its first character."""
    if not isinstance(value, str) or not value:
        return value
    if "email" in field:
        return mask_email(value)
    if "phone" in field:
        return mask_phone(value)
    return value[:1] + "***"
