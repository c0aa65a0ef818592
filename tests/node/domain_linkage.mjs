// The DIF Well Known DID Configuration as an independent implementation reads and writes it:
// Sphereon's wellknown-dids-client (structure and rules), with jose for EdDSA JWTs.
//
//   node domain_linkage.mjs verify FILE DID ORIGIN MULTIKEY
//       verifies FILE's credentials for DID (whose Ed25519 key is MULTIKEY), printing
//       {"status": "VALID"|"INVALID", "origins": [...]}
//   node domain_linkage.mjs issue ORIGIN [EXISTING]
//       makes a did:key and a configuration linking it to ORIGIN (kept with EXISTING's entries),
//       printing {"did": ..., "configuration": {...}}
import { readFileSync } from 'node:fs';
import pkg from '@sphereon/wellknown-dids-client';
import bs58 from 'bs58';
import * as jose from 'jose';

const { WellKnownDidVerifier, WellKnownDidIssuer, ProofFormatTypesEnum } = pkg;
const ED25519_MULTICODEC = [0xed, 0x01];

function publicJwk(multikey) {
  const bytes = bs58.decode(multikey.replace(/^z/, ''));
  if (bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) throw new Error('not an Ed25519 multikey');
  return { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes.slice(2)).toString('base64url') };
}

async function verify(file, did, origin, multikey) {
  const configuration = JSON.parse(readFileSync(file, 'utf8'));
  const key = await jose.importJWK(publicJwk(multikey), 'EdDSA');
  const verifier = new WellKnownDidVerifier({
    verifySignatureCallback: async ({ credential }) => {
      try {
        await jose.jwtVerify(credential, key, { algorithms: ['EdDSA'] });
        return { verified: true };
      } catch {
        return { verified: false };
      }
    },
  });
  let result;
  try {
    result = await verifier.verifyResource({ configuration, did });
  } catch (rejected) {
    result = { status: 'INVALID', message: rejected.message ?? String(rejected) };
  }
  // The library leaves the origin to its caller when given the file: check it as a fetcher would.
  const origins = configuration.linked_dids
    .filter((item) => typeof item === 'string')
    .map((jwt) => jose.decodeJwt(jwt).vc)
    .filter((vc) => vc.credentialSubject.id === did)
    .map((vc) => vc.credentialSubject.origin);
  const valid = String(result.status).toUpperCase() === 'VALID';
  const status = valid && origins.includes(origin) ? 'VALID' : 'INVALID';
  console.log(JSON.stringify({ status, origins, detail: result }));
}

async function issue(origin, existing) {
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const raw = Buffer.from((await jose.exportJWK(publicKey)).x, 'base64url');
  const multikey = 'z' + bs58.encode(Buffer.concat([Buffer.from(ED25519_MULTICODEC), raw]));
  const did = `did:key:${multikey}`;
  const now = Math.floor(Date.now() / 1000);
  const issuer = new WellKnownDidIssuer({
    issueCallback: async ({ credential }) =>
      new jose.SignJWT({ vc: credential })
        .setProtectedHeader({ alg: 'EdDSA', kid: `${did}#${multikey}` })
        .setIssuer(did)
        .setSubject(did)
        .setNotBefore(now)
        .setExpirationTime(now + 86400)
        .sign(privateKey),
  });
  const configuration = await issuer.issueDidConfigurationResource({
    issuances: [{
      did,
      origin,
      expirationDate: new Date((now + 86400) * 1000).toISOString(),
      options: { proofFormat: ProofFormatTypesEnum.JSON_WEB_TOKEN },
    }],
    ...(existing ? { configuration: JSON.parse(readFileSync(existing, 'utf8')) } : {}),
  });
  console.log(JSON.stringify({ did, configuration }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'verify') await verify(...args);
else if (mode === 'issue') await issue(...args);
else throw new Error(`unknown mode ${mode}`);
