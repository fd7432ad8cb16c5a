"""What happens when an approval ends, by template (APR-6, POL-2).

A template names a handler by key; the code is registered here, never stored
in the template. `validate` runs at submit (and resubmit) and raises
DomainError; `major` says whether the application is a major change (the
route's `$major`, POL-2); `approved` runs in the transaction of the final
approval, so the change and the approval commit together or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

from xietong.platform.manifest import HANDLERS as _HANDLERS

if TYPE_CHECKING:
    from xietong.org.models import Person

    from .models import Approval


@dataclass(frozen=True)
class Handler:
    key: str
    label: str | Promise
    # approved(approval, subject): `subject` is the record submitted with it
    # (approval_submit(subject=…)), or None for a form filled in on its own.
    approved: Callable[["Approval", Any], None]
    # validate(applicant, values, approval): `approval` is the one being
    # resubmitted, None at the first submission.
    validate: Callable[["Person", dict[str, Any], "Approval | None"], None] | None = None
    major: Callable[[dict[str, Any]], bool] | None = None
    # Rejected or withdrawn: ended(approval, subject).
    ended: Callable[["Approval", Any], None] | None = None


# Every handler, as the modules' manifests declared them (`approval_handlers`);
# approvals' own are in effects.py.
HANDLERS: dict[str, Handler] = _HANDLERS
