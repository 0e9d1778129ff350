import hashlib

from sqlalchemy import select

from cityreport.extensions import db
from cityreport.open311.models import ApiKey
from cityreport.open311.services import create_api_key, list_api_keys, revoke_api_key, verify_api_key


def test_create_stores_only_a_hash_and_prefix(db_session):
    key, plaintext = create_api_key("FixMyStreet mirror")
    assert len(plaintext) >= 40
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert key.prefix == plaintext[:8]
    stored = db.session.scalars(select(ApiKey).where(ApiKey.id == key.id)).one()
    assert plaintext not in (stored.key_hash, stored.name)


def test_verify_accepts_the_key_and_records_use(db_session):
    key, plaintext = create_api_key("app")
    assert key.last_used_at is None
    assert verify_api_key(plaintext) is key
    assert key.last_used_at is not None


def test_verify_refuses_wrong_empty_and_revoked_keys(db_session):
    key, plaintext = create_api_key("app")
    assert verify_api_key(plaintext + "x") is None
    assert verify_api_key("") is None
    assert verify_api_key(None) is None
    revoke_api_key(key.id)
    assert key.active is False and key.revoked_at is not None
    assert verify_api_key(plaintext) is None
    assert key in list_api_keys()


def test_cli_creates_lists_and_revokes(runner):
    result = runner.invoke(args=["api-keys", "create", "Partner app"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    key = verify_api_key(plaintext)
    assert key is not None and key.name == "Partner app"

    listed = runner.invoke(args=["api-keys", "list"])
    assert f"{key.prefix}…" in listed.output and "active" in listed.output and plaintext not in listed.output

    revoked = runner.invoke(args=["api-keys", "revoke", str(key.id)])
    assert revoked.exit_code == 0, revoked.output
    assert verify_api_key(plaintext) is None
    assert "revoked" in runner.invoke(args=["api-keys", "list"]).output

    missing = runner.invoke(args=["api-keys", "revoke", "99999"])
    assert missing.exit_code == 2 and "no API key" in missing.output
