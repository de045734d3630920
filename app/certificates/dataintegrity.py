"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa), pure functions.

Canonicalise with RDFC-1.0 (pyld, JSON-LD contexts served only from the bundled files in
``contexts/``; nothing is ever fetched), hash proof configuration and document with SHA-256, and
sign ``hash(proof config) || hash(document)`` with Ed25519. Keys travel as Multikey
``publicKeyMultibase`` strings: ``z`` + base58btc(0xed01 + 32 bytes).
"""
from __future__ import annotations

import copy
import hashlib
import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
BUNDLED_CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}
CRYPTOSUITE = "eddsa-rdfc-2022"
ED25519_PUB_PREFIX = b"\xed\x01"


class ProofError(ValueError):
    """The document carries no usable eddsa-rdfc-2022 proof, or the proof does not hold."""


class ContextNotBundledError(ProofError):
    """A JSON-LD context that is not bundled was asked for: we never fetch one."""


@cache
def _context_document(url: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_DIR / BUNDLED_CONTEXTS[url]).read_text(encoding="utf-8"))


def bundled_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that answers only from the bundled contexts, never the network."""
    if url not in BUNDLED_CONTEXTS:
        raise ContextNotBundledError(f"JSON-LD context not bundled (never fetched): {url}")
    # tag "static": pyld then keeps the processed context for the life of the process
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context_document(url)),
            "tag": "static"}


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    try:
        return jsonld.normalize(document, {
            "algorithm": "URDNA2015", "format": "application/n-quads",
            "documentLoader": bundled_document_loader, "safe": True,
        })
    except jsonld.JsonLdError as error:
        cause = error
        while cause is not None:  # pyld wraps the loader's error; surface ours
            if isinstance(cause, ContextNotBundledError):
                raise cause from error
            cause = cause.__cause__ or cause.__context__
        raise ProofError(f"JSON-LD processing failed: {error}") from error


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """sha256(canonical proof config) || sha256(canonical document), per eddsa-rdfc-2022 §3.2.4."""
    config = {"@context": document["@context"], **proof_config}
    return (_config_digest(json.dumps(config, sort_keys=True))
            + hashlib.sha256(canonicalize(document).encode()).digest())


@lru_cache(maxsize=64)
def _config_digest(config_json: str) -> bytes:
    """sha256 of a canonical proof configuration. A bulk run signs many credentials with the same
    configuration (context, key, purpose, the same second): canonicalize it once."""
    return hashlib.sha256(canonicalize(json.loads(config_json)).encode()).digest()


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes_raw()
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + raw).decode("ascii")


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ProofError("publicKeyMultibase must be base58btc (z…)")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("publicKeyMultibase is not valid base58btc") from error
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise ProofError("publicKeyMultibase is not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def sign(document: dict[str, Any], private_key: Ed25519PrivateKey, *, verification_method: str,
         created: str, proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """Return a copy of ``document`` with an embedded eddsa-rdfc-2022 DataIntegrityProof."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_config = {
        "type": "DataIntegrityProof", "created": created, "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE, "proofPurpose": proof_purpose,
    }
    signature = private_key.sign(hash_data(unsecured, proof_config))
    proof = {**proof_config, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return {**unsecured, "proof": proof}


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's single eddsa-rdfc-2022 proof, checked for shape."""
    proof = document.get("proof")
    if isinstance(proof, list):
        proofs = [p for p in proof if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
        proof = proofs[0] if len(proofs) == 1 else None
    if not isinstance(proof, dict):
        raise ProofError("no eddsa-rdfc-2022 proof in the document")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("the proof is not a DataIntegrityProof with cryptosuite eddsa-rdfc-2022")
    for field in ("verificationMethod", "proofPurpose", "proofValue"):
        if not isinstance(proof.get(field), str):
            raise ProofError(f"the proof has no {field}")
    return proof


def verify(document: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    """Raise ProofError unless the embedded proof holds for ``public_key``."""
    proof = proof_of(document)
    if "@context" in proof and proof["@context"] != document.get("@context"):
        raise ProofError("the proof's @context differs from the document's")
    value = proof["proofValue"]
    if not value.startswith("z"):
        raise ProofError("proofValue must be base58btc (z…)")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("proofValue is not valid base58btc") from error
    unsecured = {key: v for key, v in document.items() if key != "proof"}
    proof_config = {key: v for key, v in proof.items() if key not in ("proofValue", "@context")}
    try:
        public_key.verify(signature, hash_data(unsecured, proof_config))
    except InvalidSignature as error:
        raise ProofError("the signature does not match the document") from error
