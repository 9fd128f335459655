from pcicheck.redact import redact_text, redact_value


def test_access_key_ids_and_private_keys_are_redacted() -> None:
    assert redact_text("user AKIAIOSFODNN7EXAMPLE denied") == "user AKIA****MPLE denied"
    assert redact_text("ASIAY34FZKBOKMUTVV7A") == "ASIA****VV7A"
    pem = "x -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- y"
    assert redact_text(pem) == "x <redacted private key> y"
    assert redact_value({"k": ["AKIAIOSFODNN7EXAMPLE", 3, None]}) == {"k": ["AKIA****MPLE", 3, None]}
    assert redact_text("alias/AKIA") == "alias/AKIA"  # too short to be a key id
