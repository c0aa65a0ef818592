"""did:webvh interop with an independent implementation (PyPI `did-webvh`).

  verify DID_URL LOG     resolve DID_URL (may carry ?versionNumber=) from the local did.jsonl
                         LOG, verifying every entry; print the resolution result as JSON
  create DIR             provision a DID with pre-rotation and update it once, in DIR; print
                         {"did": ..., "log": path}
"""

import asyncio
import json
import sys
import time
from pathlib import Path

from did_webvh.provision import auto_provision_did
from did_webvh.resolver import resolve
from did_webvh.update import auto_update_did


async def create(target: Path) -> dict:
    doc_dir, state, _ = await auto_provision_did(
        "example.org/parties/python", "ed25519", "pw", target_dir=target
    )
    document = dict(state.document)
    document["service"] = [
        {
            "id": "#didcomm",
            "type": "DIDCommMessaging",
            "serviceEndpoint": {"uri": "https://example.org/didcomm", "accept": ["didcomm/v2"]},
        }
    ]
    (doc_dir / "did.json").write_text(json.dumps(document))
    # versionTime has whole seconds and must increase; the resolver refuses future times.
    time.sleep(1.1)
    await auto_update_did(doc_dir, "pw")
    return {"did": state.document_id, "log": str(doc_dir / "did.jsonl")}


def main() -> None:
    mode = sys.argv[1]
    if mode == "verify":
        result = asyncio.run(resolve(sys.argv[2], local_history=Path(sys.argv[3])))
    elif mode == "create":
        result = asyncio.run(create(Path(sys.argv[2])))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
