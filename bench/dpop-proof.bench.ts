/**
 * DPoP proof creation, side by side on the same key: a raw node:crypto signature over a proof-sized
 * input (the floor), Countersign's prover, and the `dpop` package's `generateProof` (WebCrypto).
 * Targets (issue 2): a proof costs at most 1.3x the raw signature, and is at least 3x faster than
 * `generateProof`.
 *
 * Run alone with `node --import tsx bench/dpop-proof.bench.ts`, or with the others via `pnpm bench`.
 */
import { generateKeyPairSync, sign, webcrypto, type KeyObject } from 'node:crypto';
import { generateProof, type KeyPair } from 'dpop';
import { createDpopProver } from '../packages/core/src/dpop/proof.js';
import { createNobleSigner } from '../packages/core/src/keys/noble-signer.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';
import { compare } from './support/side-by-side.js';

const url = 'https://api.example.com/v1/accounts?page=2';
const htu = 'https://api.example.com/v1/accounts';
// A realistic access token (a JWT of about 800 characters) and a server nonce.
const accessToken = `eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${'x'.repeat(700)}.${'s'.repeat(86)}`;
const nonce = 'eyJ7S_zG.eyJH0-Z.HX4w-7v';

/** The same private key as a node KeyObject and as a WebCrypto key pair (for the `dpop` package). */
async function keyPairs(alg: 'ES256' | 'EdDSA'): Promise<{ privateKey: KeyObject; webKeys: KeyPair }> {
  const { privateKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const algorithm = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
  const { d: _private, ...publicJwk } = jwk;
  const webKeys = {
    privateKey: await webcrypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('jwk', publicJwk, algorithm, true, ['verify']),
  } as unknown as KeyPair;
  return { privateKey, webKeys };
}

for (const alg of ['ES256', 'EdDSA'] as const) {
  const { privateKey, webKeys } = await keyPairs(alg);
  const prover = createDpopProver(createNodeSigner(privateKey));
  // The raw signature signs exactly what a proof signs, with options built once (as the signer does).
  const sample = prover.proof({ method: 'GET', url, accessToken, nonce }) as string;
  const signingInput = Buffer.from(sample.slice(0, sample.lastIndexOf('.')), 'latin1');
  const rawKey = alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
  const digest = alg === 'ES256' ? 'sha256' : null;
  let counter = 0;

  const rawName = `raw crypto.sign ${alg} (same key, same input)`;
  const oursName = `createDpopProver(...).proof() ${alg}`;
  const oursNewUrlName = `proof(), a different URL every call`;
  const dpopName = `dpop generateProof() ${alg}`;
  await compare({
    title: `DPoP proof, ${alg}`,
    tasks: {
      [rawName]: () => sign(digest, signingInput, rawKey),
      [oursName]: () => prover.proof({ method: 'GET', url, accessToken, nonce }),
      [oursNewUrlName]: () => prover.proof({ method: 'GET', url: `https://api.example.com/v1/accounts/${counter++}`, accessToken, nonce }),
      [dpopName]: () => generateProof(webKeys, htu, 'GET', nonce, accessToken),
    },
    ratios: [
      { label: `proof / raw ${alg} sign`, numerator: oursName, denominator: rawName, target: { max: 1.3 } },
      { label: `proof with an uncached URL / raw ${alg} sign`, numerator: oursNewUrlName, denominator: rawName },
      { label: `dpop generateProof / our proof (speed-up)`, numerator: dpopName, denominator: oursName, target: { min: 3 } },
    ],
  });
}

// The pure-JavaScript fallback, for runtimes without node:crypto: what it costs, not a target.
{
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const node = createDpopProver(createNodeSigner(privateKey));
  const noble = createDpopProver(createNobleSigner('ES256', Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')));
  const edNoble = createDpopProver(createNobleSigner('EdDSA'));
  await compare({
    title: 'DPoP proof, pure-JavaScript fallback (@noble/curves) against node:crypto',
    tasks: {
      'proof() ES256, node:crypto signer': () => node.proof({ method: 'GET', url, accessToken, nonce }),
      'proof() ES256, noble signer': () => noble.proof({ method: 'GET', url, accessToken, nonce }),
      'proof() EdDSA, noble signer': () => edNoble.proof({ method: 'GET', url, accessToken, nonce }),
    },
    ratios: [{ label: 'noble ES256 proof / node:crypto ES256 proof', numerator: 'proof() ES256, noble signer', denominator: 'proof() ES256, node:crypto signer' }],
  });
}
