"""A throw-away certificate authority, the server certificate for 127.0.0.1 and
client certificates for mutual TLS.  Uses only cryptography 3.4-era APIs."""

import datetime as _dt
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Fixed validity window: deterministic, and immune to frozen or shifted clocks.
NOT_BEFORE = _dt.datetime(2020, 1, 1)
NOT_AFTER = _dt.datetime(2049, 12, 31)


_KEYS = {}


def new_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def cached_key(slot):
    """One RSA key per slot and process: keys are not data, and generating three
    per simulator start would dominate the test run time."""
    if slot not in _KEYS:
        _KEYS[slot] = new_key()
    return _KEYS[slot]


def _name(cn, org="Ponto Simulator"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _pem_key(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


class CertificateAuthority:
    def __init__(self, directory, cn="Ponto Simulator Test CA", key=None):
        self.directory = directory
        self.key = key or new_key()
        self.serial = 1000
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(self.key.public_key())
            .serial_number(self._serial())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = self._write(
            "ca.pem", self.cert.public_bytes(serialization.Encoding.PEM)
        )

    def _serial(self):
        self.serial += 1
        return self.serial

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def issue(self, cn, server=False, hosts=(), key=None):
        key = key or new_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(self._serial())
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(NOT_AFTER)
            .add_extension(
                x509.BasicConstraints(ca=False, path_length=None), critical=True
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=True,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage(
                    [
                        ExtendedKeyUsageOID.SERVER_AUTH
                        if server
                        else ExtendedKeyUsageOID.CLIENT_AUTH
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()
                ),
                critical=False,
            )
        )
        if hosts:
            names = []
            for host in hosts:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(
                x509.SubjectAlternativeName(names), critical=False
            )
        return key, builder.sign(self.key, hashes.SHA256())

    def server_files(self, hosts=("127.0.0.1", "localhost", "::1")):
        key, cert = self.issue(
            "127.0.0.1", server=True, hosts=hosts, key=cached_key("server")
        )
        return (
            self._write("server.pem", cert.public_bytes(serialization.Encoding.PEM)),
            self._write("server.key", _pem_key(key)),
        )


def client_files(ca, directory, cn, signed_by_sim=True, password="sim-p12-password"):
    """PEM certificate, unencrypted PEM key and a password-protected PKCS#12."""
    if signed_by_sim:
        key, cert = ca.issue(cn)
    else:  # a certificate from an unknown CA, that the simulator must refuse
        rogue_dir = os.path.join(directory, "rogue-ca")
        os.makedirs(rogue_dir, exist_ok=True)
        key, cert = CertificateAuthority(rogue_dir, "Rogue CA").issue(cn)
    stem = os.path.join(
        directory,
        "client-{}-{}".format(
            "".join(c if c.isalnum() else "_" for c in cn), ca.serial
        ),
    )
    with open(stem + ".pem", "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(stem + ".key", "wb") as fh:
        fh.write(_pem_key(key))
    p12 = pkcs12.serialize_key_and_certificates(
        cn.encode(),
        key,
        cert,
        [ca.cert] if signed_by_sim else None,
        serialization.BestAvailableEncryption(password.encode()),
    )
    with open(stem + ".p12", "wb") as fh:
        fh.write(p12)
    return {
        "cert": stem + ".pem",
        "key": stem + ".key",
        "p12": stem + ".p12",
        "p12_password": password,
        "cn": cn,
    }
