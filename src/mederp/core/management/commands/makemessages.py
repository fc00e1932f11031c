"""`makemessages` that also extracts `N_("...")`, the project's alias of gettext_noop.

Permission descriptions (identity/permissions.py) are marked with `N_` so they are stored in
English and translated when shown; xgettext does not know that keyword unless told.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
