// The lab's S3-compatible server: s3rver (patched, see patches/) over HTTPS with the lab
// CA's certificate, one bucket, and the lab's access key instead of s3rver's default.
// s3rver itself checks only that a SigV4 request names a known access key; the middleware
// below checks what S3 does: the signature (a wrong secret key gets 403
// SignatureDoesNotMatch), and for temporary credentials (from the emulated metadata service
// and STS, aws-sigv4.mjs) the session token. With --kms-key-id it refuses a PUT under
// --kms-prefix that does not ask for SSE-KMS with that key, and --sse-log records each one
// that does, so a test can prove pgBackRest sent repo-s3-kms-key-id. Each --versioned-bucket
// is a further bucket with versioning on from the start (s3-versions.mjs: what
// repo-target-time reads); any bucket can also be switched with PutBucketVersioning.
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';
import S3Error from 's3rver/lib/models/error.js';
import { expectedSignature, parseAuthorization, temporaryCredentials } from './aws-sigv4.mjs';
import { BucketVersions, versioningMiddleware } from './s3-versions.mjs';

const { values: options } = parseArgs({
  options: {
    address: { type: 'string' },
    endpoint: { type: 'string' },
    port: { type: 'string' },
    directory: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    bucket: { type: 'string' },
    'access-key': { type: 'string' },
    'secret-key-file': { type: 'string' },
    'credentials-dir': { type: 'string' },
    'kms-key-id': { type: 'string' },
    'kms-prefix': { type: 'string', default: '' },
    'sse-log': { type: 'string' },
    'versioned-bucket': { type: 'string', multiple: true, default: [] },
  },
});

// Only the lab's key pair is accepted: a request signed with anything else is refused.
const labKeys = new Map([[options['access-key'], readFileSync(options['secret-key-file'], 'utf8').trim()]]);
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
for (const [id, secret] of labKeys) AWSAccount.DUMMY_ACCOUNT.createKeyPair(id, secret);

/** The object key a request names (path style /<bucket>/<key>, or host style <bucket>.<endpoint>/<key>). */
function objectKey(ctx) {
  const path = decodeURIComponent(ctx.path);
  if ((ctx.get('host') ?? '').startsWith(`${options.bucket}.`)) return path.slice(1);
  return path.startsWith(`/${options.bucket}/`) ? path.slice(options.bucket.length + 2) : '';
}

/** The secret a request's key id signs with, after checking a temporary key's session token. */
function signingSecret(ctx, auth) {
  if (labKeys.has(auth.accessKeyId)) return labKeys.get(auth.accessKeyId);
  const temporary = temporaryCredentials(options['credentials-dir'], auth.accessKeyId);
  if (!temporary)
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: auth.accessKeyId,
    });
  const token = ctx.get('x-amz-security-token');
  if (!token || token !== temporary.token || !auth.signedHeaders.includes('x-amz-security-token'))
    throw new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
  if (Date.parse(temporary.expiration) < Date.now())
    throw new S3Error('ExpiredToken', 'The provided token has expired.');
  // s3rver's own check then finds the key.
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(auth.accessKeyId, temporary.secret);
  return temporary.secret;
}

/** SSE-KMS: a new object (PUT, or a multipart upload's start) under the prefix must ask for the lab's key. */
function checkSse(ctx) {
  const creates =
    (ctx.method === 'PUT' && ctx.query.partNumber === undefined) || (ctx.method === 'POST' && 'uploads' in ctx.query);
  if (!creates) return;
  const key = objectKey(ctx);
  const sse = ctx.get('x-amz-server-side-encryption');
  const kmsKeyId = ctx.get('x-amz-server-side-encryption-aws-kms-key-id');
  if (
    options['kms-key-id']
    && key.startsWith(options['kms-prefix'])
    && (sse !== 'aws:kms' || kmsKeyId !== options['kms-key-id'])
  )
    throw new S3Error(
      'AccessDenied',
      `Access Denied: objects under ${options['kms-prefix'] || '/'} need x-amz-server-side-encryption: aws:kms with key ${options['kms-key-id']} (got ${sse || 'none'}${kmsKeyId ? ` with ${kmsKeyId}` : ''})`,
    );
  if (sse && options['sse-log']) appendFileSync(options['sse-log'], `${sse} ${kmsKeyId || '-'} ${key}\n`);
}

async function sigv4(ctx, next) {
  const auth = parseAuthorization(ctx.get('authorization'));
  if (!auth)
    throw new S3Error('AccessDenied', 'Access Denied: the lab takes only requests signed with AWS4-HMAC-SHA256');
  const secret = signingSecret(ctx, auth);
  const request = { method: ctx.method, url: ctx.req.url, headers: ctx.req.headers };
  if (expectedSignature(request, auth, secret) !== auth.signature)
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: auth.accessKeyId },
    );
  checkSse(ctx);
  await next();
}

const server = new S3rver({
  address: options.address,
  port: Number(options.port),
  directory: options.directory,
  key: readFileSync(options.key),
  cert: readFileSync(options.cert),
  // s3rver serves s3.<endpoint> (path style) and <bucket>.s3.<endpoint>; any other Host header is taken for a bucket name.
  serviceEndpoint: options.endpoint,
  configureBuckets: [options.bucket, ...options['versioned-bucket']].map((name) => ({ name })),
  silent: true,
});
// After s3rver's logger, before everything else (Koa composes its middleware at listen).
server.middleware.splice(1, 0, sigv4);
// Last before s3rver's router, once its vhost middleware has made every path /<bucket>/<key>.
const versions = new BucketVersions(server.store, `${options.directory}.versions`, options['versioned-bucket']);
server.middleware.splice(server.middleware.length - 1, 0, versioningMiddleware(versions));
await server.run();
console.log(
  `s3rver on https://${options.address}:${options.port}, bucket ${options.bucket}${options['versioned-bucket'].map((name) => `, versioned bucket ${name}`).join('')}, SigV4 checked${options['kms-key-id'] ? `, SSE-KMS ${options['kms-key-id']} required under /${options['kms-prefix']}` : ''}`,
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
