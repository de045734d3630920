"""Open Badges 3.0 credentials: the 1EdTech eddsa-rdfc-2022 vector, our signed credentials, keys,
the public JSON (credential, issuer, Multikey, status list) and `flask certificates verify`."""
from __future__ import annotations

import copy
import json
import socket
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from app.certificates import badges, dataintegrity, keys
from app.certificates.models import RevocationReason, SigningKey
from app.core.db import utcnow
from app.extensions import db
from tests.certificate_support import make_certificate, make_course  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).parent / "fixtures" / "openbadges"
VECTOR = json.loads((FIXTURES / "eddsa-rdfc-2022-vector.json").read_text())


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    from app.certificates import rate_limit

    rate_limit.reset()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Contexts come from bundled files: any attempt to reach beyond this machine fails the test."""
    connect, create_connection = socket.socket.connect, socket.create_connection

    def guarded_connect(sock, address, *args):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"network access attempted: {address}")
        return connect(sock, address, *args)

    def guarded_create_connection(address, *args, **kwargs):
        if address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"network access attempted: {address}")
        return create_connection(address, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("pyld's default document loader was used")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    monkeypatch.setattr(jsonld, "_default_document_loader", refuse, raising=False)


def _vector_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["private_key_seed_hex"]))


def _vector_signed() -> dict:
    options = VECTOR["proof_options"]
    return dataintegrity.sign(VECTOR["unsigned_credential"], _vector_key(),
                              verification_method=options["verificationMethod"], created=options["created"])


# --- 1EdTech's published test vector, reproduced exactly -------------------------------------------

def test_vector_canonical_forms_match_1edtech():
    document = VECTOR["unsigned_credential"]
    proof_config = {"@context": document["@context"], **VECTOR["proof_options"]}
    assert dataintegrity.canonicalize(document) == (FIXTURES / "vector-document-canon.nq").read_text()
    assert dataintegrity.canonicalize(proof_config) == (FIXTURES / "vector-proof-canon.nq").read_text()


def test_vector_hashes_signature_and_proof_value_match_1edtech():
    document, expected = VECTOR["unsigned_credential"], VECTOR["expected"]
    hashed = dataintegrity.hash_data(document, VECTOR["proof_options"])
    assert hashed[:32].hex() == expected["proof_hash_hex"]
    assert hashed[32:].hex() == expected["document_hash_hex"]
    assert _vector_key().sign(hashed).hex() == expected["signature_hex"]
    signed = _vector_signed()
    assert signed["proof"] == {**VECTOR["proof_options"], "proofValue": expected["proof_value"]}
    assert {k: v for k, v in signed.items() if k != "proof"} == document


def test_vector_key_is_the_published_multikey():
    public = _vector_key().public_key()
    assert public.public_bytes_raw().hex() == VECTOR["public_key_hex"]
    assert dataintegrity.public_key_multibase(public) == VECTOR["public_key_multibase"]
    decoded = dataintegrity.public_key_from_multibase(VECTOR["public_key_multibase"])
    dataintegrity.verify(_vector_signed(), decoded)


@pytest.mark.parametrize("path", [("name",), ("credentialSubject", "achievement", "name"), ("proof", "created")])
def test_vector_proof_fails_when_the_document_changes(path):
    signed = _vector_signed()
    target = signed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = target[path[-1]].replace("e", "f", 1) if "e" in target[path[-1]] else target[path[-1]] + "x"
    with pytest.raises(dataintegrity.ProofError):
        dataintegrity.verify(signed, _vector_key().public_key())


def test_a_context_that_is_not_bundled_is_refused_not_fetched():
    document = {**VECTOR["unsigned_credential"], "@context": ["https://example.com/evil-context.jsonld"]}
    with pytest.raises(dataintegrity.ContextNotBundledError):
        dataintegrity.canonicalize(document)


# --- Our credentials ---------------------------------------------------------------------------------

@pytest.fixture
def certified(make_user, make_certificate, org):
    trainee = make_user("trainee", full_name="María José Núñez")
    return make_certificate(trainee, language="es", snapshot={
        "name": "María José Núñez",
        "course": {"title": "Manejo de Problemas Plus", "version": "2.1"},
        "organisation": {"name": org.name},
        "evidence": [{"label": "Todas las lecciones completadas"}, {"label": "Asistencia ≥ 80 %"}],
    })


def _public_key(signing_key: SigningKey):
    return dataintegrity.public_key_from_multibase(signing_key.public_key_multibase)


def test_credential_is_an_open_badge_with_everything_the_issue_asks(app, certified, org):
    credential = badges.build_credential(certified)
    base = app.config["BASE_URL"]
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"{base}/verify/{certified.token}.json"
    assert credential["issuer"] == {"id": f"{base}/issuers/{org.slug}", "type": ["Profile"], "name": org.name,
                                    "url": base}
    assert credential["validFrom"] == badges.xsd_datetime(certified.valid_from)
    assert credential["validUntil"] == badges.xsd_datetime(certified.valid_until)
    assert credential["name"] == "Manejo de Problemas Plus"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "María José Núñez"
    achievement = subject["achievement"]
    assert achievement["id"].startswith(f"{base}/issuers/{org.slug}/achievements/")
    assert achievement["name"] == "Manejo de Problemas Plus" and achievement["description"]
    assert "Todas las lecciones completadas; Asistencia ≥ 80 %" in achievement["criteria"]["narrative"]
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(certified.id)
    assert status["statusListCredential"] == f"{base}/issuers/{org.slug}/status"
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    signing_key = keys.current_key(org)
    assert proof["verificationMethod"] == f"{base}/issuers/{org.slug}/keys/{signing_key.key_id}"
    dataintegrity.verify(credential, _public_key(signing_key))
    # Every term is defined by the contexts (pyld's safe mode refuses dropped terms).
    dataintegrity.canonicalize({k: v for k, v in credential.items() if k != "proof"})


def test_no_valid_until_when_the_certificate_never_expires(make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"), valid_days=None)
    assert "validUntil" not in badges.build_credential(certificate)


def test_english_certificate_gets_english_words(make_user, make_certificate):
    certificate = make_certificate(make_user("trainee"), language="en")
    narrative = badges.build_credential(certificate)["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert narrative.startswith("Met every requirement")


def test_key_is_created_with_the_first_certificate_as_a_0600_file(app, certified, org):
    assert keys.current_key(org) is None
    badges.build_credential(certified)
    signing_key = keys.current_key(org)
    path = keys.private_key_path(signing_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent == Path(app.instance_path) / "keys"
    assert signing_key.public_key_multibase.startswith("z6Mk")
    assert keys.load_private_key(signing_key).public_key().public_bytes_raw() == \
        _public_key(signing_key).public_bytes_raw()
    badges.build_credential(certified)  # a second certificate reuses the key
    assert db.session.query(SigningKey).filter_by(organisation_id=org.id).count() == 1


# --- Public JSON ---------------------------------------------------------------------------------

def test_json_route_serves_the_stored_signed_credential(client, certified):
    first = client.get(f"/verify/{certified.token}.json")
    assert first.status_code == 200 and first.mimetype == "application/ld+json"
    assert first.json["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    db.session.refresh(certified)
    assert certified.credential == first.json
    assert client.get(f"/verify/{certified.token}.json").json == first.json  # signed once, then stored
    assert client.get("/verify/not-a-token.json").status_code == 404


def test_verification_method_url_answers_a_multikey_controlled_by_the_issuer(app, client, certified, org):
    credential = client.get(f"/verify/{certified.token}.json").json
    method = credential["proof"]["verificationMethod"]
    document = client.get(method.removeprefix(app.config["BASE_URL"])).json
    assert document["type"] == "Multikey" and document["id"] == method
    assert document["controller"] == credential["issuer"]["id"]
    dataintegrity.verify(credential, dataintegrity.public_key_from_multibase(document["publicKeyMultibase"]))
    private_pem = keys.private_key_path(keys.current_key(org)).read_text()
    assert "PRIVATE" not in json.dumps(document) and private_pem.splitlines()[1] not in json.dumps(document)
    profile = client.get(credential["issuer"]["id"].removeprefix(app.config["BASE_URL"])).json
    assert profile["id"] == credential["issuer"]["id"] and profile["name"] == org.name and profile["type"] == ["Profile"]
    achievement = credential["credentialSubject"]["achievement"]
    served = client.get(achievement["id"].removeprefix(app.config["BASE_URL"])).json
    assert served["id"] == achievement["id"] and served["type"] == ["Achievement"] and served["criteria"]["narrative"]
    assert client.get(f"/issuers/{org.slug}/achievements/no-such-course").status_code == 404
    assert client.get(f"/issuers/{org.slug}/keys/no-such-key").status_code == 404
    assert client.get("/issuers/no-such-org").status_code == 404


def _status(app, client, credential) -> bool:
    entry = credential["credentialStatus"]
    response = client.get(entry["statusListCredential"].removeprefix(app.config["BASE_URL"]))
    assert response.status_code == 200
    status_list = response.json
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["issuer"] == credential["issuer"]["id"]
    method = status_list["proof"]["verificationMethod"].removeprefix(app.config["BASE_URL"])
    key = client.get(method).json["publicKeyMultibase"]
    dataintegrity.verify(status_list, dataintegrity.public_key_from_multibase(key))
    bitstring = badges.decode_status_list(status_list["credentialSubject"]["encodedList"])
    assert len(bitstring) * 8 >= badges.STATUS_LIST_BITS
    return badges.status_bit(bitstring, int(entry["statusListIndex"]))


def test_revocation_shows_in_the_status_list_and_nowhere_else_changes(app, client, certified, make_user,
                                                                      make_certificate):
    other = make_certificate(make_user("trainee"))
    credential = client.get(f"/verify/{certified.token}.json").json
    other_credential = client.get(f"/verify/{other.token}.json").json
    assert _status(app, client, credential) is False
    certified.revoked_at, certified.revocation_reason = utcnow(), RevocationReason.CONDUCT
    db.session.flush()
    assert _status(app, client, credential) is True
    assert _status(app, client, other_credential) is False
    assert client.get(f"/verify/{certified.token}.json").json == credential  # the signed credential is unchanged


def test_status_list_encoding_is_leftmost_bit_first():
    bitstring = badges.decode_status_list(badges.encoded_status_list([0, 9, 200_000]))
    assert bitstring[0] == 0x80 and bitstring[1] == 0x40
    assert len(bitstring) * 8 == 2 * badges.STATUS_LIST_BITS and badges.status_bit(bitstring, 200_000)
    assert not badges.status_bit(bitstring, 1)


# --- Rotation and the CLI --------------------------------------------------------------------------

def _verify(app, tmp_path, document, *extra):
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document, ensure_ascii=False) if isinstance(document, dict) else document)
    return app.test_cli_runner().invoke(args=["certificates", "verify", str(path), *extra])


def test_cli_verifies_our_credentials_and_fails_when_one_byte_changes(app, tmp_path, certified):
    credential = badges.build_credential(certified)
    result = _verify(app, tmp_path, credential)
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and "Status: valid." in result.output
    text = json.dumps(credential, ensure_ascii=False)
    tampered = text.replace("María José Núñez", "María José Nuñez")  # one byte of the name
    assert tampered != text
    result = _verify(app, tmp_path, tampered)
    assert result.exit_code == 1 and "INVALID" in result.output
    value = credential["proof"]["proofValue"]
    flipped = value[:-1] + ("2" if value[-1] != "2" else "3")
    assert _verify(app, tmp_path, text.replace(value, flipped)).exit_code == 1
    assert _verify(app, tmp_path, "{not json").exit_code == 1


def test_cli_verifies_another_issuers_credential_given_its_key(app, tmp_path):
    result = _verify(app, tmp_path, _vector_signed(), "--key", VECTOR["public_key_multibase"])
    assert result.exit_code == 0, result.output
    wrong = dataintegrity.public_key_multibase(Ed25519PrivateKey.generate().public_key())
    assert _verify(app, tmp_path, _vector_signed(), "--key", wrong).exit_code == 1
    unknown = _verify(app, tmp_path, _vector_signed())
    assert unknown.exit_code != 0 and "--key" in unknown.output


def test_rotation_keeps_old_keys_published_and_verifiable(app, client, tmp_path, certified, org, make_user,
                                                          make_certificate):
    old_credential = badges.build_credential(certified)
    certified.credential = old_credential
    old_key = keys.current_key(org)
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--organisation", org.slug])
    assert result.exit_code == 0, result.output
    new_key = keys.current_key(org)
    assert new_key.key_id != old_key.key_id and old_key.retired_at is not None
    assert stat.S_IMODE(keys.private_key_path(new_key).stat().st_mode) == 0o600
    new_credential = badges.build_credential(make_certificate(make_user("trainee")))
    assert new_credential["proof"]["verificationMethod"].endswith(new_key.key_id)
    for credential in (old_credential, new_credential):
        assert _verify(app, tmp_path, credential).exit_code == 0
        method = credential["proof"]["verificationMethod"].removeprefix(app.config["BASE_URL"])
        assert client.get(method).status_code == 200
    with pytest.raises(dataintegrity.ProofError):  # the old credential is not the new key's
        dataintegrity.verify(copy.deepcopy(old_credential), _public_key(new_key))
    assert app.test_cli_runner().invoke(args=["keys", "rotate", "--organisation", "nope"]).exit_code != 0


@pytest.fixture
def key_server():
    """A real HTTP server on 127.0.0.1 answering one JSON document at /key (another issuer's Multikey)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    served: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's name)
            body = json.dumps(served).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/key"
    server.shutdown()
    server.server_close()
    thread.join()


def test_cli_fetches_another_issuers_key_and_checks_its_controller(app, tmp_path, key_server):
    served, url = key_server
    issuer = VECTOR["unsigned_credential"]["issuer"]["id"]
    served.update({"type": "Multikey", "controller": issuer, "publicKeyMultibase": VECTOR["public_key_multibase"]})
    result = _verify(app, tmp_path, _vector_signed(), "--key-url", url)
    assert result.exit_code == 0, result.output
    served["controller"] = "https://impostor.example/issuer"
    result = _verify(app, tmp_path, _vector_signed(), "--key-url", url)
    assert result.exit_code == 1 and "controller" in result.output
