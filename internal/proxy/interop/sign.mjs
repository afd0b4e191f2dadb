// Signs a bucket-delivery token the way customers' Node backends do.
// Input on stdin: {"lib": "jose"|"jsonwebtoken", "private_key", "kid", "uri", "exp", "claims"}.
// Output: the token on stdout.
import { readFileSync } from 'node:fs';
import { SignJWT, importPKCS8 } from 'jose';
import jwt from 'jsonwebtoken';

const input = JSON.parse(readFileSync(0, 'utf8'));
const payload = { ...(input.claims || {}) };
if (input.uri !== undefined) payload.uri = input.uri;

let token;
if (input.lib === 'jose') {
  const key = await importPKCS8(input.private_key, 'RS256');
  let s = new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: input.kid, typ: 'JWT' });
  if (input.exp) s = s.setExpirationTime(input.exp);
  token = await s.sign(key);
} else if (input.lib === 'jsonwebtoken') {
  if (input.exp) payload.exp = input.exp;
  token = jwt.sign(payload, input.private_key, { algorithm: 'RS256', keyid: input.kid, noTimestamp: true });
} else {
  throw new Error(`unknown lib ${input.lib}`);
}
process.stdout.write(token);
