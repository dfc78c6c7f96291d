"""Where the Salt Edge fixtures are: a copy of
``shared/reference/fixtures/saltedge`` (licences and SOURCES.md with it), so
that CI needs nothing outside the repository; the synthetic key pair is a
throwaway one written for the project (CC0, test only)."""

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "saltedge"
PRIVATE_PEM = (FIXTURES / "synthetic/test_client_private.pem").read_text()
PUBLIC_PEM = (FIXTURES / "synthetic/test_client_public.pem").read_text()


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


def fixture_json(name):
    return json.loads(fixture_bytes(name))
