"""Comments, @mentions and attachments on any record (KER-6).

    comment_add(actor=me, subject=request, body="@张伟 请确认接口")
    attachment_add(actor=me, subject=request, upload=request.FILES["file"])

The caller has already checked that the actor may see the record
(`registry.subject_visible`); mentions notify only people who may see it too.
"""

import hashlib
import mimetypes
import re
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.audit.trail import Subject, event_record, subject_key
from xietong.errors import DomainError, PermissionDenied
from xietong.org.models import Person, Role
from xietong.org.queries import has_role

from .models import Attachment, Comment
from .notify import Message, notify_many
from .registry import subject_url, subject_visible

MENTION_RE = re.compile(r"@([\w.\-\u4e00-\u9fff]{1,64})")
MAX_COMMENT = 5000


def mentioned_people(body: str) -> list[Person]:
    """@username or @姓名; unknown names are left as text."""
    tokens = set(MENTION_RE.findall(body))
    if not tokens:
        return []
    return list(Person.objects.filter(Q(username__in=tokens) | Q(name__in=tokens), is_active=True))


@transaction.atomic
def comment_add(*, actor: Person, subject: Subject, body: str, url: str = "") -> Comment:
    body = body.strip()
    if not body:
        raise DomainError(_("Write something first."), code="comment_empty")
    if len(body) > MAX_COMMENT:
        raise DomainError(_("A comment can be at most %(n)s characters.") % {"n": MAX_COMMENT}, code="comment_long")
    subject_type, subject_id = subject_key(subject)
    if not subject_visible(actor, subject_type, subject_id):
        raise PermissionDenied()
    comment = Comment.objects.create(subject_type=subject_type, subject_id=subject_id, author=actor, body=body,
                                     created_at=timezone.now())
    mentions = [p for p in mentioned_people(body) if p.pk != actor.pk and subject_visible(p, subject_type, subject_id)]
    comment.mentions.set(mentions)
    event_record(actor=actor, verb="comment.add", subject=(subject_type, subject_id),
                 after={"comment": comment.pk, "mentions": [p.pk for p in mentions]})
    link = url or subject_url(subject_type, subject_id)
    earlier = Person.objects.filter(
        pk__in=Comment.objects.filter(subject_type=subject_type, subject_id=subject_id).exclude(
            author=actor).values("author_id")).exclude(pk__in=[p.pk for p in mentions])

    def mention_title() -> str:
        return str(_("%(name)s mentioned you")) % {"name": actor.name}

    def comment_title() -> str:
        return str(_("%(name)s commented")) % {"name": actor.name}

    notify_many([
        Message(recipients=mentions, kind="mention", key=f"comment:{comment.pk}:mention", url=link,
                title=mention_title, body=body[:500]),
        Message(recipients=list(earlier), kind="comment", key=f"comment:{comment.pk}:followers", url=link,
                title=comment_title, body=body[:500]),
    ])
    return comment


def comments_for(subject: Subject) -> QuerySet[Comment]:
    subject_type, subject_id = subject_key(subject)
    return Comment.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related(
        "author").order_by("created_at", "pk")


def attachments_for(subject: Subject) -> QuerySet[Attachment]:
    subject_type, subject_id = subject_key(subject)
    return Attachment.objects.filter(subject_type=subject_type, subject_id=subject_id,
                                     removed_at__isnull=True).select_related("uploaded_by").order_by("pk")


def _clean_name(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name.strip().replace("\x00", "")
    return base[:200] or "file"


@transaction.atomic
def attachment_add(*, actor: Person, subject: Subject, upload: UploadedFile) -> Attachment:
    subject_type, subject_id = subject_key(subject)
    if not subject_visible(actor, subject_type, subject_id):
        raise PermissionDenied()
    limit = settings.XIETONG_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size == 0:
        raise DomainError(_("The file is empty."), code="file_empty")
    if upload.size > limit:
        raise DomainError(_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
                          code="file_too_large")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = _clean_name(upload.name or "file")
    attachment = Attachment(subject_type=subject_type, subject_id=subject_id, name=name, size=upload.size,
                            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                            sha256=digest.hexdigest(), uploaded_by=actor, uploaded_at=timezone.now())
    attachment.file.save(name, upload, save=False)
    attachment.save()
    event_record(actor=actor, verb="attachment.add", subject=(subject_type, subject_id),
                 after={"attachment": attachment.pk, "name": name, "size": attachment.size,
                        "sha256": attachment.sha256})
    return attachment


@transaction.atomic
def attachment_remove(*, actor: Person, attachment: Attachment) -> None:
    """Hide a file from the record. The stored file stays for the audit trail."""
    if attachment.uploaded_by_id != actor.pk and not has_role(actor, Role.ADMIN):
        raise PermissionDenied()
    if Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(removed_at=timezone.now()) != 1:
        return
    event_record(actor=actor, verb="attachment.remove", subject=(attachment.subject_type, attachment.subject_id),
                 before={"attachment": attachment.pk, "name": attachment.name})
