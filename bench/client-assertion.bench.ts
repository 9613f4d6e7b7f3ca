/**
 * private_key_jwt client assertion creation, side by side on the same ES256 key: a raw node:crypto
 * signature over an assertion-sized input (the floor), Countersign's assertion signer, and jose's
 * `SignJWT` building the same claims. No target in the issue; reported so a regression shows.
 *
 * Run alone with `node --import tsx bench/client-assertion.bench.ts`, or with the others via `pnpm bench`.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import { createClientAssertionSigner } from '../packages/core/src/oauth/assertion.js';
import { createNodeSigner } from '../packages/core/src/keys/node-signer.js';
import { compare } from './support/side-by-side.js';

const issuer = 'https://as.example.com';
const clientId = 'payout-agent';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = createNodeSigner(privateKey);
const assertions = createClientAssertionSigner(signer, clientId);

const sample = await assertions.create({ audience: issuer });
const signingInput = Buffer.from(sample.slice(0, sample.lastIndexOf('.')), 'latin1');
const rawKey = { key: privateKey, dsaEncoding: 'ieee-p1363' as const };

const rawName = 'raw crypto.sign ES256 (same key, same input)';
const oursName = 'createClientAssertionSigner(...).create()';
const joseName = 'jose SignJWT (same claims and header)';
await compare({
  title: 'Client assertion (private_key_jwt), ES256',
  tasks: {
    [rawName]: () => sign('sha256', signingInput, rawKey),
    [oursName]: () => assertions.create({ audience: issuer }),
    [joseName]: () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ jti: randomBytes(16).toString('base64url') })
        .setProtectedHeader({ alg: 'ES256', typ: 'client-authentication+jwt', kid: signer.kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(privateKey);
    },
  },
  ratios: [
    { label: 'assertion / raw ES256 sign', numerator: oursName, denominator: rawName },
    { label: 'jose SignJWT / our assertion (speed-up)', numerator: joseName, denominator: oursName },
  ],
});
