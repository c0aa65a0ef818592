"""Bridge between the Rust interop tests and sicpa's Python `didcomm` (with `did-peer-2`).

  identity                 stdout: {"did", "secrets": [private JWKs with kid]}  (a party made here)
  pack IDENTITY TO MODE    stdin: message JSON; stdout: JWE from IDENTITY's DID to DID TO;
                           MODE is authcrypt or anoncrypt
  unpack IDENTITY          stdin: JWE or JWS; stdout: {"message", "authenticated", "encrypted_from",
                           "non_repudiation", "sign_from"}
  sign IDENTITY            stdin: message JSON; stdout: JWS signed with IDENTITY's Ed25519 key

IDENTITY is a file holding the output of `identity`. DIDs are did:peer:2 on both sides, resolved
here by `did-peer-2` and adapted to the verification-method types `didcomm` understands.
"""

import asyncio
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from base58 import b58encode  # noqa: E402
from base64 import urlsafe_b64decode  # noqa: E402
import did_peer_2  # noqa: E402
from did_peer_2 import KeySpec  # noqa: E402
from didcomm.common.algorithms import AnonCryptAlg  # noqa: E402
from didcomm.common.resolvers import ResolversConfig  # noqa: E402
from didcomm.did_doc.did_doc import DIDDoc  # noqa: E402
from didcomm.did_doc.did_resolver import DIDResolver  # noqa: E402
from didcomm.pack_encrypted import PackEncryptedConfig, pack_encrypted  # noqa: E402
from didcomm.pack_signed import pack_signed  # noqa: E402
from didcomm.secrets.secrets_resolver_in_memory import SecretsResolverInMemory  # noqa: E402
from didcomm.secrets.secrets_util import (  # noqa: E402
    generate_ed25519_keys_as_jwk_dict,
    generate_x25519_keys_as_jwk_dict,
    jwk_to_secret,
)
from didcomm.unpack import unpack  # noqa: E402


def b64(data: str) -> bytes:
    return urlsafe_b64decode(data + "=" * (-len(data) % 4))


def multikey(codec: bytes, jwk: dict) -> str:
    return "z" + b58encode(codec + b64(jwk["x"])).decode()


class PeerResolver(DIDResolver):
    """did:peer:2 through `did-peer-2`, with Multikey methods given the 2020 types didcomm reads."""

    async def resolve(self, did):
        doc = did_peer_2.resolve(did)
        for method in doc.get("verificationMethod", []):
            method["id"] = did + method["id"] if method["id"].startswith("#") else method["id"]
            method["type"] = (
                "X25519KeyAgreementKey2020"
                if method["publicKeyMultibase"].startswith("z6LS")
                else "Ed25519VerificationKey2020"
            )
        for relationship in ("authentication", "keyAgreement", "assertionMethod"):
            doc[relationship] = [did + r if r.startswith("#") else r for r in doc.get(relationship, [])]
        doc.pop("service", None)
        return DIDDoc.deserialize(doc)


def identity():
    x_private, x_public = generate_x25519_keys_as_jwk_dict()
    ed_private, ed_public = generate_ed25519_keys_as_jwk_dict()
    did = did_peer_2.generate(
        [KeySpec.key_agreement(multikey(b"\xec\x01", x_public)), KeySpec.authentication(multikey(b"\xed\x01", ed_public))],
        [],
    )
    x_private["kid"] = f"{did}#key-1"
    ed_private["kid"] = f"{did}#key-2"
    return {"did": did, "secrets": [x_private, ed_private]}


def resolvers(identity_file):
    with open(identity_file) as f:
        me = json.load(f)
    secrets = SecretsResolverInMemory([jwk_to_secret(jwk) for jwk in me["secrets"]])
    return me, ResolversConfig(secrets_resolver=secrets, did_resolver=PeerResolver())


async def pack(identity_file, to, mode):
    me, config = resolvers(identity_file)
    message = json.load(sys.stdin)
    result = await pack_encrypted(
        resolvers_config=config,
        message=message,
        to=to,
        frm=me["did"] if mode == "authcrypt" else None,
        # sicpa's default for anoncrypt is XC20P; DIDComm v2.1 peers use A256CBC-HS512.
        pack_config=PackEncryptedConfig(enc_alg_anon=AnonCryptAlg.A256CBC_HS512_ECDH_ES_A256KW, forward=False),
    )
    return json.loads(result.packed_msg)


async def unpack_message(identity_file):
    _, config = resolvers(identity_file)
    result = await unpack(config, sys.stdin.read())
    return {
        "message": result.message.as_dict(),
        "authenticated": result.metadata.authenticated,
        "encrypted_from": result.metadata.encrypted_from,
        "non_repudiation": result.metadata.non_repudiation,
        "sign_from": result.metadata.sign_from,
    }


async def sign(identity_file):
    me, config = resolvers(identity_file)
    result = await pack_signed(resolvers_config=config, message=json.load(sys.stdin), sign_frm=me["did"])
    return json.loads(result.packed_msg)


def main():
    command = sys.argv[1:2]
    if command == ["identity"]:
        out = identity()
    elif command == ["pack"]:
        out = asyncio.run(pack(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif command == ["sign"]:
        out = asyncio.run(sign(sys.argv[2]))
    elif command == ["unpack"]:
        out = asyncio.run(unpack_message(sys.argv[2]))
    else:
        sys.exit(__doc__)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
