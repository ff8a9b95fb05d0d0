"""JWT pairs bound to an AuthSession (see users.models.AuthSession for why)."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import AuthSession

SESSION_CLAIM = "sid"
GENERATION_CLAIM = "gen"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str

    def as_dict(self) -> dict[str, str]:
        return {"access": self.access, "refresh": self.refresh}


def token_pair_for_session(session: AuthSession) -> TokenPair:
    refresh = RefreshToken()
    access = AccessToken()
    for token in (refresh, access):
        token["user_id"] = str(session.user_id)
        token[SESSION_CLAIM] = str(session.id)
        token[GENERATION_CLAIM] = session.generation
    return TokenPair(access=str(access), refresh=str(refresh))
