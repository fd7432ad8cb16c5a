"""Deployment checks (`manage.py check --deploy`) for the audit trail (KER-4)."""

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def audit_trail_configured(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    problems = []
    if not getattr(settings, "XIETONG_AUDIT_KEY", ""):
        problems.append(Warning(
            "XIETONG_AUDIT_KEY is not set: the audit trail's hashes prove nothing against someone who can write "
            "the database.", hint="Set XIETONG_AUDIT_KEY (or XIETONG_AUDIT_KEY_FILE) to a long random secret that "
            "is not stored with the database; see docs/kernel.md.", id="xietong.W001"))
    if not getattr(settings, "XIETONG_AUDIT_ANCHOR_DIR", ""):
        problems.append(Warning(
            "XIETONG_AUDIT_ANCHOR_DIR is not set: the audit trail has nothing outside the database to be checked "
            "against.", hint="Point it at a folder the database's administrators cannot write (another volume or "
            "host, a bucket with object lock); see docs/kernel.md.", id="xietong.W002"))
    return problems
