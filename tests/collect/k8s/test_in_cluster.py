"""In-cluster configuration, as the CronJob in deploy/ runs pcicheck: no kubeconfig, the pod's service
account token and CA, KUBERNETES_SERVICE_HOST/PORT. The real kubernetes client's load_incluster_config
against the local API server over HTTPS; only the client's two well-known file locations are pointed
at the test's files (they are fixed paths under /var/run/secrets in a pod)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pcicheck.collect.k8s.live import K8sOptions, collect_k8s
from pcicheck.demo.kubeapi import KubeApiHandle, load_manifests, serve
from tests.collect.k8s.test_live import SAMPLE, comparable


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a cluster CA would issue the API server's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "ca.crt", folder / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@contextmanager
def in_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pod_token: str) -> Iterator[KubeApiHandle]:
    """The API server over HTTPS accepting `pod-t0ken`, and this process set up as a pod whose service
    account token file holds `pod_token`."""
    from kubernetes.config import incluster_config

    ca, key = certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(ca, key)
    token = tmp_path / "token"
    token.write_text(pod_token)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with serve(load_manifests([SAMPLE]), token="pod-t0ken", tls=tls) as handle:
        host, port = handle.url.removeprefix("https://").split(":")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
        yield handle


def test_a_pod_scans_its_cluster_with_its_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with in_a_pod(tmp_path, monkeypatch, "pod-t0ken") as handle:
        snapshot = collect_k8s(K8sOptions())
        with serve(load_manifests([SAMPLE]), token="t") as plain:
            reference = collect_k8s(K8sOptions(kubeconfig=str(plain.kubeconfig(tmp_path / "kubeconfig"))))
    host, port = handle.url.removeprefix("https://").split(":")
    assert snapshot.errors == ()
    assert snapshot.identity["k8s"]["cluster"] == "in-cluster"
    assert snapshot.identity["k8s"]["user"] == "in-cluster service account"
    assert snapshot.identity["k8s"]["server"] == f"https://{host}:{port}"
    assert comparable(snapshot.resources) == comparable(reference.resources)
    assert all(status == 200 for _, _, status in handle.requests)  # the token file's token was sent


def test_a_wrong_service_account_token_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pcicheck.errors import CollectionFailed

    with in_a_pod(tmp_path, monkeypatch, "stale"), pytest.raises(CollectionFailed, match="refused pcicheck \\(401"):
        collect_k8s(K8sOptions())
