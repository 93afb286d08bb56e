// The lab's AWS pieces that more than one server needs: checking a request's Signature
// Version 4 (as S3 does for every signed request) and the temporary credentials the
// emulated metadata service and STS hand out, which the S3 server then accepts.
// Temporary credentials are files <dir>/<access key id>.json ({ secret, token, expiration }),
// written by the issuer and read by the S3 server when a request names that key.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** RFC 3986 encoding, as SigV4 wants it in the canonical query. */
const encode = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header, or null. */
export function parseAuthorization(header) {
  const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(header ?? '');
  if (!match) return null;
  const parts = Object.fromEntries(
    match[1].split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    }),
  );
  const scope = (parts.Credential ?? '').split('/');
  if (scope.length !== 5 || !parts.SignedHeaders || !parts.Signature) return null;
  const [accessKeyId, date, region, service, terminator] = scope;
  return {
    accessKeyId,
    date,
    region,
    service,
    terminator,
    signedHeaders: parts.SignedHeaders.split(';'),
    signature: parts.Signature,
  };
}

/** The canonical query string of a raw query (`a=1&b`): each name and value decoded, encoded again, sorted. */
function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const at = pair.indexOf('=');
      const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      const decode = (text) => decodeURIComponent(text.replace(/\+/g, '%20'));
      return [encode(decode(name)), encode(decode(value))];
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * The signature a request should carry, signed with `secret`: method, the path as sent,
 * the query, the signed headers' values (trimmed, spaces folded) and x-amz-content-sha256.
 */
export function expectedSignature({ method, url, headers }, auth, secret) {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  const canonicalHeaders = auth.signedHeaders
    .map(
      (name) =>
        `${name}:${String(headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = headers['x-amz-content-sha256'] ?? sha256('');
  const canonical = [
    method,
    path,
    canonicalQuery(query),
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/${auth.terminator}`;
  const toSign = ['AWS4-HMAC-SHA256', headers['x-amz-date'] ?? '', scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), auth.terminator);
  return hmac(key, toSign).toString('hex');
}

/** New temporary credentials, valid for `seconds`, written where the S3 server finds them. */
export function issueCredentials(dir, seconds) {
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const credentials = {
    accessKeyId,
    secret: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x'),
    token: randomBytes(96).toString('base64'),
    expiration: new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${accessKeyId}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(credentials), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return credentials;
}

/** Temporary credentials an issuer wrote for this key id, or null. */
export function temporaryCredentials(dir, accessKeyId) {
  if (!dir || !/^ASIA[0-9A-F]{16}$/.test(accessKeyId)) return null;
  try {
    return JSON.parse(readFileSync(join(dir, `${accessKeyId}.json`), 'utf8'));
  } catch {
    return null;
  }
}
