"""One rule for e-mail addresses and phone numbers (core/contact.py), used by every form that takes one."""

from __future__ import annotations

import pytest

from cityreport.core.contact import is_email, normalise_email, normalise_phone


@pytest.mark.parametrize("raw,expected", [
    (" Ana@Example.ORG ", "ana@example.org"),
    ("o'brien@example.ro", "o'brien@example.ro"),  # an apostrophe is atext (RFC 5322)
    ("ana+cityreport@example.ro", "ana+cityreport@example.ro"),
    ("ionuț@primăria.ro", "ionuț@primăria.ro"),  # RFC 6531 addresses and an IDN domain
    ("registratura@primarie.local", "registratura@primarie.local"),  # an intranet's own domain
    ("no-at-sign", None), ("a@b", None), ("", None), (None, None), ("a b@c.ro", None),
    ('"quoted"@x.ro', None), ("a..b@x.ro", None), (".a@x.ro", None), ("a@x.ro,", None), ("a,b@x.ro", None),
    ("<a@x.ro>", None), ("a@-x.ro", None), ("a@x-.ro", None), ("a@x_y.ro", None), ("a@1.2.3.4", None),
    ("a@@x.ro", None), ("x" * 65 + "@x.ro", None), ("a@" + "x" * 250 + ".ro", None),
])
def test_email_addresses_are_normalised_or_refused(raw, expected):
    assert normalise_email(raw) == expected
    assert is_email(raw) is (expected is not None)


@pytest.mark.parametrize("raw,expected", [
    ("0721 123 456", "0721 123 456"), (" +40 721 123 456 ", "+40 721 123 456"), ("(0264) 59.60.70", "(0264) 59.60.70"),
    ("0721-123-456", "0721-123-456"), ("abc", None), ("------", None), ("12345", None), ("0721 123 456 ext 2", None),
    ("+40 7211234567890123", None), ("", None), (None, None),
])
def test_phone_numbers_are_read_or_refused(raw, expected):
    assert normalise_phone(raw) == expected
