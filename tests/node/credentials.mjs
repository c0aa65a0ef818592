// W3C Verifiable Credentials 2.0 as an independent implementation makes and checks them:
// Digital Bazaar's vc, data-integrity and eddsa-jcs-2022 cryptosuite. No document is fetched:
// contexts come from the packages, the issuer's key from the command line.
//
//   node credentials.mjs verify FILE ISSUER_DID KID MULTIKEY
//       verifies the credential in FILE, whose issuer's key KID is the Ed25519 MULTIKEY,
//       printing {"verified": true|false, "error": ...}
//   node credentials.mjs issue SUBJECT_DID TYPE
//       makes a did:key issuer and a credential of TYPE about SUBJECT_DID (valid one day),
//       printing {"issuer": ..., "credential": {...}}
import { readFileSync } from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { createSignCryptosuite, createVerifyCryptosuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import multikeyContext from '@digitalbazaar/multikey-context';
import securityContext from '@digitalbazaar/security-context';

const MULTIKEY_CONTEXT = multikeyContext.constants.CONTEXT_URL;
const SECURITY_CONTEXT = securityContext.SECURITY_CONTEXT_V2_URL;

// Contexts from the packages, and the issuer's documents from what the caller gave: nothing else.
function loader(documents) {
  return async (url) => {
    if (documents.has(url)) return { contextUrl: null, documentUrl: url, document: documents.get(url) };
    if (url === MULTIKEY_CONTEXT) return { contextUrl: null, documentUrl: url, document: multikeyContext.CONTEXT };
    if (securityContext.contexts.has(url)) return { contextUrl: null, documentUrl: url, document: securityContext.contexts.get(url) };
    return vc.defaultDocumentLoader(url);
  };
}

function issuerDocuments(did, kid, multikey) {
  const method = { '@context': MULTIKEY_CONTEXT, id: kid, type: 'Multikey', controller: did, publicKeyMultibase: multikey };
  const controller = {
    '@context': [SECURITY_CONTEXT, MULTIKEY_CONTEXT],
    id: did,
    verificationMethod: [method],
    assertionMethod: [kid],
    authentication: [kid],
  };
  return new Map([[kid, method], [did, controller]]);
}

async function verify(file, did, kid, multikey) {
  const credential = JSON.parse(readFileSync(file, 'utf8'));
  const suite = new DataIntegrityProof({ cryptosuite: createVerifyCryptosuite() });
  const result = await vc.verifyCredential({ credential, suite, documentLoader: loader(issuerDocuments(did, kid, multikey)) });
  const error = result.verified ? null : String(result.error?.errors?.[0]?.message ?? result.error?.message ?? result.error);
  console.log(JSON.stringify({ verified: result.verified, error }));
}

async function issue(subject, type) {
  const key = await Ed25519Multikey.generate();
  const did = `did:key:${key.publicKeyMultibase}`;
  key.controller = did;
  key.id = `${did}#${key.publicKeyMultibase}`;
  const now = Date.now();
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', type],
    issuer: did,
    validFrom: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    validUntil: new Date(now + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    credentialSubject: { id: subject, department: 'oncology' },
  };
  const suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite: createSignCryptosuite() });
  const documentLoader = loader(issuerDocuments(did, key.id, key.publicKeyMultibase));
  const signed = await vc.issue({ credential, suite, documentLoader });
  console.log(JSON.stringify({ issuer: did, credential: signed }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'verify') await verify(...args);
else if (mode === 'issue') await issue(...args);
else throw new Error(`unknown mode ${mode}`);
