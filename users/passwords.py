"""A password change ends the user's sessions, whatever changed it (the admin, `manage.py changepassword`).

Django tells every configured password validator when a user's password has changed (`password_changed`, called by
the save that stores it), so this one, in AUTH_PASSWORD_VALIDATORS, checks nothing and reacts to that.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from users.services import sessions_end_all


class EndSessionsOnPasswordChange:
    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            sessions_end_all(user)

    def get_help_text(self) -> str:
        return _("Changing your password logs you out everywhere.")
