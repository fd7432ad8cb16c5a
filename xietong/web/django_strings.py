"""Strings Django itself shows in our pages but does not translate into zh-Hans.

Listed here so ``make messages`` keeps them in our catalogue, which Django
reads before its own (``LOCALE_PATHS``).
"""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = (
    # django.db.models.fields.BLANK_CHOICE_LABEL: the empty choice of a select.
    gettext_noop("- Select an option -"),
)
