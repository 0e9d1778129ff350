"""Open311 database work: API keys for POST, and per-category service attributes.

Functions flush and never commit: the request or command boundary does.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from cityreport.errors import NotFound
from cityreport.extensions import db
from cityreport.models_base import utcnow
from cityreport.open311.models import ApiKey

PREFIX_LENGTH = 8


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(name: str) -> tuple[ApiKey, str]:
    """Make a key; the plaintext is returned once and only its SHA-256 is stored."""
    plaintext = secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip()[:120], key_hash=hash_key(plaintext), prefix=plaintext[:PREFIX_LENGTH],
                 active=True)
    db.session.add(key)
    db.session.flush()
    return key, plaintext


def revoke_api_key(key_id: int) -> None:
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound()
    if key.active:
        key.active = False
        key.revoked_at = utcnow()
    db.session.flush()


def list_api_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


def verify_api_key(plaintext: str | None) -> ApiKey | None:
    """The active key matching ``plaintext``, or None.

    The lookup is by SHA-256, so the comparison never runs over the secret itself: an attacker
    timing the database lookup learns about a hash of their guess, not about the stored key.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    digest = hash_key(plaintext)
    key = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if key is None or not key.active or not secrets.compare_digest(key.key_hash, digest):
        return None
    key.last_used_at = utcnow()
    db.session.flush()
    return key
