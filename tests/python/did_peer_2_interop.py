"""Bridge between the Rust interop tests and the Python `did-peer-2` package.

  resolve   stdin: JSON list of DIDs        stdout: JSON list of their documents
  accepts   stdin: JSON list of strings     stdout: JSON list of booleans (does resolve succeed?)
  generate  argv: count                     stdout: JSON list of {"did", "document"} made here

The DIDs made here use keys from `cryptography`, so nothing in them comes from mpc-id.
"""

import json
import sys

from base58 import b58encode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
import did_peer_2
from did_peer_2 import KeySpec


def multikey(codec: bytes, public_key) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + b58encode(codec + raw).decode()


def ed25519() -> str:
    return multikey(b"\xed\x01", Ed25519PrivateKey.generate().public_key())


def x25519() -> str:
    return multikey(b"\xec\x01", X25519PrivateKey.generate().public_key())


def services(i: int):
    """A different service shape for each DID: none, v2.1 object, legacy string, several."""
    shapes = [
        [],
        [{"type": "DIDCommMessaging", "serviceEndpoint": {"uri": f"https://m{i}.example/didcomm", "accept": ["didcomm/v2"], "routingKeys": []}}],
        [{"type": "DIDCommMessaging", "serviceEndpoint": f"https://m{i}.example", "routingKeys": [f"did:key:{ed25519()}#key"], "accept": ["didcomm/v2"]}],
        [
            {"type": "DIDCommMessaging", "serviceEndpoint": {"uri": "wss://ws.example/ws"}},
            {"type": "LinkedDomains", "serviceEndpoint": "https://example.org", "id": "#domain"},
            {"type": "DIDCommMessaging", "serviceEndpoint": {"uri": "http://127.0.0.1:8080"}},
        ],
    ]
    return shapes[i % len(shapes)]


def generate(count: int):
    out = []
    for i in range(count):
        keys = [KeySpec.key_agreement(x25519()), KeySpec.authentication(ed25519())]
        if i % 3 == 1:
            keys.append(KeySpec.assertion(ed25519()))
            keys.append(KeySpec.capability_invocation(ed25519()))
        if i % 3 == 2:
            keys.insert(0, KeySpec.capability_delegation(ed25519()))
        did = did_peer_2.generate(keys, services(i))
        out.append({"did": did, "document": did_peer_2.resolve(did)})
    return out


def accepts(did: str) -> bool:
    try:
        did_peer_2.resolve(did)
        return True
    except Exception:  # noqa: BLE001 - any refusal counts
        return False


def main():
    if sys.argv[1:2] == ["resolve"]:
        dids = json.load(sys.stdin)
        json.dump([did_peer_2.resolve(did) for did in dids], sys.stdout)
    elif sys.argv[1:2] == ["accepts"]:
        json.dump([accepts(did) for did in json.load(sys.stdin)], sys.stdout)
    elif sys.argv[1:2] == ["generate"]:
        json.dump(generate(int(sys.argv[2])), sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
