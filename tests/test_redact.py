from pcicheck.redact import looks_like_credential, redact_text, redact_value, strip_url_credentials


def test_access_key_ids_and_private_keys_are_redacted() -> None:
    assert redact_text("user AKIAIOSFODNN7EXAMPLE denied") == "user AKIA****MPLE denied"
    assert redact_text("ASIAY34FZKBOKMUTVV7A") == "ASIA****VV7A"
    pem = "x -----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- y"
    assert redact_text(pem) == "x <redacted private key> y"
    assert redact_value({"k": ["AKIAIOSFODNN7EXAMPLE", 3, None]}) == {"k": ["AKIA****MPLE", 3, None]}
    assert redact_text("alias/AKIA") == "alias/AKIA"  # too short to be a key id


def test_credential_names_and_value_shapes() -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "GITHUB_TOKEN", "api-key"):
        assert looks_like_credential(name), name
    assert looks_like_credential("DEPLOY_ID", "AKIAIOSFODNN7EXAMPLE")
    assert not looks_like_credential("STAGE", "prod")


def test_url_credentials_are_removed_and_reported() -> None:
    assert strip_url_credentials("https://bob:hunter2@bitbucket.org/acme/app.git") == (
        "https://bitbucket.org/acme/app.git",
        True,
    )
    # A user name alone may be a token (GitHub accepts one there): it is removed and counts.
    assert strip_url_credentials("https://x-token-auth@bitbucket.org/a/b") == ("https://bitbucket.org/a/b", True)
    assert strip_url_credentials("https://git.example/r.git?access_token=abc&ref=main") == (
        "https://git.example/r.git?ref=main",
        True,
    )
    # A credential pasted into the path gets the one redaction every string gets.
    assert strip_url_credentials("https://git.example/AKIAIOSFODNN7EXAMPLE/r") == (
        "https://git.example/AKIA****MPLE/r",
        True,
    )
    token = "ghp_" + "a1" * 18
    assert strip_url_credentials(f"https://git.example/{token}/r") == (
        "https://git.example/<redacted github token ****a1a1>/r",
        True,
    )
    assert strip_url_credentials("https://git.example/r#access_token=abc") == ("https://git.example/r", True)
    assert strip_url_credentials("https://github.com/acme/app.git?ref=main") == (
        "https://github.com/acme/app.git?ref=main",
        False,
    )
    assert strip_url_credentials("acme-builds/app.zip") == ("acme-builds/app.zip", False)
    assert strip_url_credentials("https://[::1/broken") == (None, True)  # unparseable: not kept, counts
