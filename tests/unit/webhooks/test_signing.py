"""Standard Webhooks v1 signing, checked against the ``standardwebhooks`` package's own signer."""

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from gameservices.webhooks import signing


@pytest.mark.parametrize("body", [b"{}", b'{"type":"score.changed","data":{"userId":"\xc3\xa9"}}', b""])
def test_a_signature_is_what_the_reference_signer_makes(body: bytes) -> None:
    secret = signing.new_secret()
    ours = signing.sign(signing.secret_key(secret), "msg_1", 1_767_225_600, body)
    reference = Webhook(secret).sign("msg_1", datetime.fromtimestamp(1_767_225_600, UTC), body)
    assert ours == reference


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(signing.secret_key(first)) == 32


def test_the_header_carries_one_signature_per_key_current_first() -> None:
    keys = (b"k" * 32, b"o" * 32)
    headers = signing.headers(keys, "id1", 10, b"{}")
    assert headers["webhook-id"] == "id1" and headers["webhook-timestamp"] == "10"
    assert headers["webhook-signature"].split(" ") == [signing.sign(key, "id1", 10, b"{}") for key in keys]


def test_a_secret_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        signing.secret_key("whsec_not base64!")
