"""A sicpa `didcomm` party using an mpc-id mediator, for the Rust interop tests.

  enroll BASE              stdout: {"did", "secrets"}; a did:peer:2 whose DIDComm service is the
                           mediator at BASE, granted mediation and registered there
  send IDENTITY BASE TO    stdin: message JSON; packed for TO as the library does by default
                           (authcrypt, then a forward to TO's routing key, anoncrypted), and
                           posted to the endpoint the library names
  pickup IDENTITY BASE     stdout: [{"message", "encrypted_from"}] for every waiting message, which
                           are then acknowledged
  live IDENTITY BASE N     turns on live delivery over a WebSocket, prints {"live": true} once the
                           mediator says so, then waits for N pushed messages, acknowledges them on
                           the socket, and prints [{"message", "encrypted_from"}]

Every call uses the library's defaults (no algorithm is chosen here: its anoncrypt default is
XC20P, its forward wrapping its own), as a user of the library would call it. Only `didcomm`,
`did-peer-2`, `websockets` and the standard library: nothing of mpc-id's is used here.
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
from didcomm.did_doc.did_doc import DIDDoc  # noqa: E402
from didcomm.pack_encrypted import pack_encrypted  # noqa: E402
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


class Resolver(PeerResolver):
    """did:peer:2 as in didcomm_interop, with its DIDComm services, plus X25519 did:key.

    sicpa `didcomm` 0.3 has no did:peer resolver (its users supply one) and reads DIDComm
    services in the shape before DIDComm v2.1 (`serviceEndpoint` a URI string, `accept` and
    `routingKeys` beside it); v2.1 documents nest them in a `serviceEndpoint` object. This
    resolver hands the library the same service in the shape it reads, as its users must.
    """

    async def resolve(self, did):
        if did.startswith("did:peer:2"):
            services = did_peer_2.resolve(did).get("service", [])
            doc = (await super().resolve(did)).serialize()
            doc["service"] = []
            for n, service in enumerate(services):
                endpoint = service.get("serviceEndpoint")
                if service.get("type") != "DIDCommMessaging" or not isinstance(endpoint, dict):
                    continue
                sid = service.get("id") or f"#service-{n}" if n else "#service"
                doc["service"].append({
                    "id": did + sid if sid.startswith("#") else sid,
                    "type": "DIDCommMessaging",
                    "serviceEndpoint": endpoint["uri"],
                    "accept": endpoint.get("accept", ["didcomm/v2"]),
                    "routingKeys": endpoint.get("routingKeys", []),
                    "recipientKeys": [],
                })
            return DIDDoc.deserialize(doc)
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
    packed = await pack_encrypted(resolvers_config=config(me), message=message, frm=me["did"], to=mediator_did)
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
    # The library resolves TO, seals the message, wraps it in a forward for each routing key of
    # TO's DIDComm service, and says where to post the result.
    packed = await pack_encrypted(resolvers_config=config(me), message=message, frm=me["did"], to=to)
    http(packed.service_metadata.service_endpoint, packed.packed_msg)
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


async def opened(me, jwe):
    result = await unpack(config(me), jwe)
    return {"message": result.message.as_dict(), "encrypted_from": result.metadata.encrypted_from}


async def live(me, base, count):
    import websockets

    # The WebSocket endpoint, as the mediator's DID document lists it among its DIDComm services.
    doc = json.loads(http(f"{base}/.well-known/did-peer.json"))
    mediator_did = doc["id"]
    url = next(s["serviceEndpoint"]["uri"] for s in doc["service"]
               if s["serviceEndpoint"]["uri"].startswith(("ws://", "wss://")))

    async def request(socket, kind, body):
        message = {"id": str(uuid.uuid4()), "type": kind, "from": me["did"], "to": [mediator_did], "body": body}
        packed = await pack_encrypted(resolvers_config=config(me), message=message, frm=me["did"], to=mediator_did)
        await socket.send(packed.packed_msg)

    out, ids = [], []
    async with websockets.connect(url) as socket:
        await request(socket, PICKUP + "live-delivery-change", {"live_delivery": True})
        while len(out) < count:
            frame = await asyncio.wait_for(socket.recv(), timeout=30)
            message = (await unpack(config(me), frame)).message.as_dict()
            if message["type"] == PICKUP + "status":
                assert message["body"]["live_delivery"] is True, message
                print(json.dumps({"live": True}), flush=True)
            elif message["type"] == PICKUP + "delivery":
                for attachment in message.get("attachments", []) or []:
                    data = attachment["data"]
                    out.append(await opened(me, json.dumps(data["json"]) if "json" in data else data))
                    ids.append(attachment["id"])
            else:
                raise SystemExit(f"unexpected {message['type']}: {message}")
        await request(socket, PICKUP + "messages-received", {"message_id_list": ids})
        reply = (await unpack(config(me), await asyncio.wait_for(socket.recv(), timeout=30))).message.as_dict()
        assert reply["body"]["message_count"] == 0, reply
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
    elif command == "live":
        out = asyncio.run(live(load(args[0]), args[1], int(args[2])))
    else:
        sys.exit(__doc__)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
