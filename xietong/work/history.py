"""Who may read a record's history page (KER-4, SUP-3); what they see of it
is xietong.audit.history (masked personal data)."""

from xietong.audit.models import Event
from xietong.org.models import Person, Role
from xietong.org.queries import has_role

from .registry import subject_exists, subject_visible


def may_read_history(viewer: Person, subject_type: str, subject_id: str) -> bool:
    """Whoever may see the record; auditors (read-all, SUP-3) any record that
    exists or has history (a policy parameter, a calendar day). A record that
    never existed has no history page: 404."""
    if subject_visible(viewer, subject_type, subject_id):
        return True
    if not has_role(viewer, Role.AUDITOR) or len(subject_id) > 64 or len(subject_type) > 64:
        return False
    return subject_exists(subject_type, subject_id) or Event.objects.filter(
        subject_type=subject_type, subject_id=subject_id).exists()
