// The invitation page's one script: checks the invitation's signature in this browser, against
// the Ed25519 key its sender's DID itself carries (did:key, did:peer:2), with WebCrypto; and
// copies the join command. It sends nothing anywhere and loads nothing.
"use strict";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58(text) {
  let bytes = [0];
  for (const c of text) {
    let carry = ALPHABET.indexOf(c);
    if (carry < 0) throw new Error("not base58btc");
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  for (const c of text) { if (c === "1") bytes.push(0); else break; }
  return new Uint8Array(bytes.reverse());
}

function base64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// The raw Ed25519 key that `kid` names inside its own DID, or a reason why there is none.
function keyOf(kid) {
  const [did, fragment] = kid.split("#");
  let multikey;
  if (did.startsWith("did:key:")) {
    multikey = did.slice("did:key:".length);
    if (fragment !== multikey) throw new Error("its key id is not the did:key's own key");
  } else if (did.startsWith("did:peer:2.")) {
    const match = /^key-(\d+)$/.exec(fragment || "");
    if (!match) throw new Error("its key id is not a did:peer:2 key");
    const keys = did.split(".").slice(1).filter((element) => element[0] !== "S");
    const element = keys[Number(match[1]) - 1];
    if (!element || element[0] !== "V") throw new Error("its key id names no authentication key of the DID");
    multikey = element.slice(1);
  } else {
    const method = did.split(":")[1];
    throw new Error(`a did:${method} DID's keys come from its ${method === "webvh" ? "verified log" : "host"}, ` +
      "which this page does not fetch; the command below checks it");
  }
  if (multikey[0] !== "z") throw new Error("the key is not base58btc");
  const bytes = base58(multikey.slice(1));
  if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) throw new Error("the key is not Ed25519");
  return bytes.slice(2);
}

function show(state, text) {
  const check = document.getElementById("check");
  check.className = "check " + state;
  check.textContent = text;
}

async function checkSignature() {
  if (!window.isSecureContext || !crypto.subtle) {
    show("unchecked", "Signature not checked here: this page was not served over HTTPS, where browsers " +
      "offer their cryptography. mpc-id checks it when you run the command below.");
    return;
  }
  let jws, invitation, kid;
  try {
    jws = JSON.parse(document.getElementById("invitation").textContent);
    const signature = jws.signatures[0];
    const header = JSON.parse(new TextDecoder().decode(base64url(signature.protected)));
    invitation = JSON.parse(new TextDecoder().decode(base64url(jws.payload)));
    kid = header.kid || signature.header.kid;
    if (header.alg !== "EdDSA") throw new Error(`it is signed with ${header.alg}, not EdDSA`);
    if (kid.split("#")[0] !== invitation.from) throw new Error("it is signed by a key of another DID than its sender's");
    const raw = keyOf(kid);
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      show("unchecked", "Signature not checked here: this browser's WebCrypto has no Ed25519. " +
        "mpc-id checks it when you run the command below.");
      return;
    }
    const data = new TextEncoder().encode(signature.protected + "." + jws.payload);
    const good = await crypto.subtle.verify({ name: "Ed25519" }, key, base64url(signature.signature), data);
    if (!good) {
      show("refused", "Refused: the signature does NOT verify against the key of " + invitation.from +
        ". This is not the invitation its sender signed; do not use it.");
      return;
    }
    if (invitation.expires_time * 1000 < Date.now()) {
      show("refused", "The signature verifies, but the invitation has expired; ask for a new one.");
      return;
    }
    const [did, fragment] = kid.split("#");
    const shortDid = did.length > 32 ? did.slice(0, 20) + "\u2026" + did.slice(-6) : did;
    show("verified", "Signature verified: checked in your browser against the DID's key (Ed25519, " +
      shortDid + "#" + fragment + "). This page's server was not trusted for it.");
  } catch (e) {
    show("unchecked", "Signature not checked in your browser: " + e.message + ".");
  }
}

function copyButton() {
  const button = document.getElementById("copy");
  const command = document.getElementById("command").textContent;
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(command);
      button.textContent = "Copied";
    } catch (e) {
      button.textContent = "Copy failed: select the command above";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  copyButton();
  checkSignature();
});
