"""A sicpa `didcomm` party using an mpc-id mediator, for the Rust interop tests.

  enroll BASE              stdout: {"did", "secrets"}; a did:peer:2 whose DIDComm service is the
                           mediator at BASE, granted mediation and registered there
  send IDENTITY BASE TO    stdin: message JSON; authcrypts it to TO, wraps it in a forward for
                           TO's routing key, and posts it to TO's endpoint
  pickup IDENTITY BASE     stdout: [{"message", "encrypted_from"}] for every waiting message, which
                           are then acknowledged

Only `didcomm`, `did-peer-2` and the standard library: nothing of mpc-id's is used here.
"""

import asyncio
import json
import sys
import urllib.error
import urllib.request
import uuid
import warnings

warnings.filterwarnings("ignore")

from base58 import b58decode  # noqa: E402
import did_peer_2  # noqa: E402
from did_peer_2 import KeySpec  # noqa: E402
from didcomm.common.algorithms import AnonCryptAlg  # noqa: E402
from didcomm.did_doc.did_doc import DIDDoc  # noqa: E402
from didcomm.pack_encrypted import PackEncryptedConfig, pack_encrypted  # noqa: E402
from didcomm.unpack import unpack  # noqa: E402

from didcomm_interop import PeerResolver, multikey, resolvers  # noqa: E402
from didcomm.common.resolvers import ResolversConfig  # noqa: E402
from didcomm.secrets.secrets_resolver_in_memory import SecretsResolverInMemory  # noqa: E402
from didcomm.secrets.secrets_util import (  # noqa: E402
    generate_ed25519_keys_as_jwk_dict,
    generate_x25519_keys_as_jwk_dict,
    jwk_to_secret,
)

CM = "https://didcomm.org/coordinate-mediation/3.0/"
PICKUP = "https://didcomm.org/messagepickup/3.0/"
ANON = PackEncryptedConfig(enc_alg_anon=AnonCryptAlg.A256CBC_HS512_ECDH_ES_A256KW, forward=False)


class Resolver(PeerResolver):
    """did:peer:2 as in didcomm_interop, plus X25519 did:key (mediators' routing keys)."""

    async def resolve(self, did):
        if did.startswith("did:key:z6LS"):
            key = did[len("did:key:"):]
            kid = f"{did}#{key}"
            return DIDDoc.deserialize({
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "verificationMethod": [{"id": kid, "type": "X25519KeyAgreementKey2020", "controller": did,
                                        "publicKeyMultibase": key}],
                "keyAgreement": [kid],
            })
        return await super().resolve(did)


def http(url, body=None):
    request = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                     headers={"content-type": "application/didcomm-encrypted+json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.read().decode()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{url}: HTTP {e.code}: {e.read().decode()}")


def config(me):
    secrets = SecretsResolverInMemory([jwk_to_secret(jwk) for jwk in me["secrets"]])
    return ResolversConfig(secrets_resolver=secrets, did_resolver=Resolver())


def mediator(base):
    doc = json.loads(http(f"{base}/.well-known/did-peer.json"))
    endpoint = doc["service"][0]["serviceEndpoint"]["uri"]
    return doc["id"], endpoint


async def ask(me, base, kind, body):
    mediator_did, endpoint = mediator(base)
    message = {"id": str(uuid.uuid4()), "type": kind, "from": me["did"], "to": [mediator_did], "body": body}
    packed = await pack_encrypted(resolvers_config=config(me), message=message, frm=me["did"], to=mediator_did,
                                  pack_config=ANON)
    reply = await unpack(config(me), http(endpoint, packed.packed_msg))
    return reply.message.as_dict()


async def enroll(base):
    mediator_did, endpoint = mediator(base)
    x_private, x_public = generate_x25519_keys_as_jwk_dict()
    ed_private, ed_public = generate_ed25519_keys_as_jwk_dict()
    service = {"type": "DIDCommMessaging",
               "serviceEndpoint": {"uri": endpoint, "accept": ["didcomm/v2"], "routingKeys": [f"{mediator_did}#key-1"]}}
    did = did_peer_2.generate([KeySpec.key_agreement(multikey(b"\xec\x01", x_public)),
                               KeySpec.authentication(multikey(b"\xed\x01", ed_public))], [service])
    x_private["kid"], ed_private["kid"] = f"{did}#key-1", f"{did}#key-2"
    me = {"did": did, "secrets": [x_private, ed_private]}
    grant = await ask(me, base, CM + "mediate-request", {})
    assert grant["type"] == CM + "mediate-grant", grant
    update = await ask(me, base, CM + "recipient-update", {"updates": [{"recipient_did": did, "action": "add"}]})
    assert update["body"]["updated"][0]["result"] == "success", update
    return me


async def send(me, to, message):
    target = did_peer_2.resolve(to)
    service = target["service"][0]["serviceEndpoint"]
    inner = await pack_encrypted(resolvers_config=config(me), message=message, frm=me["did"], to=to, pack_config=ANON)
    routing_key = service["routingKeys"][0]
    forward = {"id": str(uuid.uuid4()), "type": "https://didcomm.org/routing/2.0/forward", "body": {"next": to},
               "attachments": [{"data": {"json": json.loads(inner.packed_msg)}}]}
    outer = await pack_encrypted(resolvers_config=config(me), message=forward, to=routing_key.split("#")[0],
                                 pack_config=ANON)
    http(service["uri"], outer.packed_msg)
    return {"sent": message["id"]}


async def pickup(me, base):
    delivery = await ask(me, base, PICKUP + "delivery-request", {"limit": 100})
    out, ids = [], []
    for attachment in delivery.get("attachments", []) or []:
        data = attachment["data"]
        jwe = json.dumps(data["json"]) if "json" in data else data
        result = await unpack(config(me), jwe)
        out.append({"message": result.message.as_dict(), "encrypted_from": result.metadata.encrypted_from})
        ids.append(attachment["id"])
    if ids:
        await ask(me, base, PICKUP + "messages-received", {"message_id_list": ids})
    return out


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "enroll":
        out = asyncio.run(enroll(args[0]))
    elif command == "send":
        out = asyncio.run(send(load(args[0]), args[2], json.load(sys.stdin)))
    elif command == "pickup":
        out = asyncio.run(pickup(load(args[0]), args[1]))
    else:
        sys.exit(__doc__)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
