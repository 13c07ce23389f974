"""Signing keys as files: private keys that mint tokens, and the JWKS that trusts them.

A private key file holds a JWK (JSON, with ``d``) or a PEM private key; Ed25519 signs
EdDSA, RSA signs RS256, EC P-256 signs ES256. Its key id (``kid``) is the JWK's own, else
its RFC 7638 thumbprint. A JWKS entry may carry ``kerjasama_roles``: tokens signed with
that key may then carry no other role (a service's key mints only its service tokens).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from plumbing.errors import ConfigError

ROLE_LIMIT = "kerjasama_roles"
"""JWK member: the only roles a token signed with this key may carry."""
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n"),
                       "EC": ("crv", "kty", "x", "y")}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a JWK (base64url, unpadded)."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None:
        raise ValueError(f"no thumbprint for key type {jwk.get('kty')!r}")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"),
                           sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def key_id(jwk: Mapping[str, Any]) -> str:
    """The key's ``kid``, else its thumbprint."""
    return str(jwk.get("kid") or thumbprint(jwk))


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The public part of a JWK, with its key id and algorithm."""
    public = {k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS}
    public["kid"] = key_id(public)
    public.setdefault("alg", jwt.PyJWK(dict(public)).algorithm_name)
    public["use"] = "sig"
    return public


def _jwk_of(key: Any) -> dict[str, Any]:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
            key.curve, ec.SECP256R1):
        return ECAlgorithm.to_jwk(key, as_dict=True)
    raise ValueError(f"unsupported key {type(key).__name__} (use Ed25519, RSA or EC P-256)")


@dataclass(frozen=True)
class SigningKey:
    """A private key that signs tokens."""

    key: Any
    algorithm: str
    kid: str

    def mint(self, subject: str, roles: Sequence[str], *, issuer: str, audience: str,
             ttl_seconds: int, now: float | None = None) -> str:
        """A token for ``subject`` with ``roles``, valid ``ttl_seconds`` from now."""
        issued = int(time.time() if now is None else now)
        return jwt.encode({"sub": subject, "roles": list(roles), "iss": issuer, "aud": audience,
                           "iat": issued, "exp": issued + ttl_seconds}, self.key,
                          algorithm=self.algorithm, headers={"kid": self.kid})


def _parse_private(text: str) -> dict[str, Any]:
    if text.lstrip().startswith("{"):
        jwk = json.loads(text)
        if not isinstance(jwk, dict) or "d" not in jwk:
            raise ValueError("not a private JWK (no 'd')")
        return jwk
    key = serialization.load_pem_private_key(text.encode(), password=None)
    return _jwk_of(key)


def read_signing_key(path: Path, variable: str) -> SigningKey:
    """The private key in ``path`` (JWK or PEM); ConfigError naming ``variable``."""
    try:
        jwk = _parse_private(path.read_text(encoding="utf-8"))
        parsed = jwt.PyJWK(jwk)
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    except (ValueError, TypeError, KeyError, jwt.PyJWKError) as exc:
        raise ConfigError(f"{variable}: {path} is not a private key (a JWK or PEM of "
                          f"Ed25519, RSA or EC P-256): {exc}") from None
    return SigningKey(parsed.key, parsed.algorithm_name, key_id(jwk))


def generate_jwk(roles: Iterable[str] | None = None) -> dict[str, Any]:
    """A new Ed25519 private JWK (optionally limited to ``roles``)."""
    jwk = _jwk_of(ed25519.Ed25519PrivateKey.generate())
    jwk.update(kid=thumbprint(jwk), alg="EdDSA", use="sig")
    if roles is not None:
        jwk[ROLE_LIMIT] = sorted(roles)
    return jwk


def read_public_keys(path: Path) -> list[dict[str, Any]]:
    """The public keys in a JWKS, a single JWK or a PEM key (public or private) file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        document = json.loads(text)
        found = document.get("keys") if "keys" in document else [document]
        if not isinstance(found, list):
            raise ValueError(f"{path}: 'keys' is not a list")
        return [public_jwk(k) for k in found]
    try:
        key: Any = serialization.load_pem_public_key(text.encode())
    except ValueError:
        key = serialization.load_pem_private_key(text.encode(), password=None).public_key()
    return [public_jwk(_jwk_of(key))]


def write_private(path: Path, jwk: Mapping[str, Any]) -> None:
    """Write a private JWK readable by its owner only (never over an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(dict(jwk), file, indent=2)
        file.write("\n")


def add_to_jwks(path: Path, keys: Iterable[Mapping[str, Any]]) -> list[str]:
    """Add the public part of ``keys`` to the JWKS in ``path`` (created when missing).

    A key whose id is already there is left as it is. Returns the ids added.
    """
    existing: list[dict[str, Any]] = (json.loads(path.read_text(encoding="utf-8"))["keys"]
                                      if path.exists() else [])
    known = {key_id(k) for k in existing}
    added = []
    for key in keys:
        public = public_jwk(key)
        if public["kid"] not in known:
            existing.append(public)
            known.add(public["kid"])
            added.append(public["kid"])
    if added or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"keys": existing}, indent=2) + "\n", encoding="utf-8")
        temporary.chmod(0o644)
        temporary.replace(path)
    return added


def ensure_key_file(path: Path, size: int = 32) -> Path:
    """``path``, created (private to its owner) with one random key of ``size`` bytes, in
    base64, unless it exists: the key file of a development run, never one committed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                       encoding="utf-8") as out:
            out.write(base64.b64encode(os.urandom(size)).decode() + "\n")
    return path
