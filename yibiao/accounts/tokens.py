"""Issuing and checking data-API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from yibiao.replica import not_read_back

from . import scope
from .models import ApiToken, User


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(actor: User, user: User, name: str) -> str:
    """A new token for an officer's department system; the plain key is shown once."""
    scope.require(actor, "manage_users")
    if not scope.can(user, "hold_api_token"):
        raise scope.OutOfScope("接口令牌只发给部门账号")
    key = "yb_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=digest(key))
    return key


def user_for(key: str) -> User | None:
    token = (ApiToken.objects.select_related("user__org_unit", "user__department")
             .filter(key_hash=digest(key), revoked=False).first())
    if token is None or not token.user.is_active:
        return None
    with not_read_back():  # bookkeeping: the API's reads after it may still come from the replica
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
