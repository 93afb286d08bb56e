// The lab's Google Cloud Storage server: exactly the part of the GCS JSON API and of Google's
// OAuth that pgBackRest's gcs driver uses (src/storage/gcs/storage.c, read.c, write.c), over
// HTTPS with the lab CA's certificate, one bucket kept as files in a folder:
//   POST /token                                   a service account's JWT (RS256, checked against the
//                                                 account's public key) for a bearer token
//   GET  /storage/v1/b/B/o?prefix&delimiter&pageToken   list (prefixes, items: name, size, updated)
//   GET  /storage/v1/b/B/o/OBJECT?fields=...      an object's size and time, 404 when missing
//   GET  /storage/v1/b/B/o/OBJECT?alt=media       its content (a Range header is honoured)
//   POST /upload/storage/v1/b/B/o?uploadType=media&name=N        a whole object (md5Hash, size back)
//   POST /upload/storage/v1/b/B/o?uploadType=resumable&name=N    a session (x-guploader-uploadid)
//   PUT  /upload/storage/v1/b/B/o?...&upload_id=ID  a chunk (Content-Range a-b/*: 308; a-b/total: done)
//   DELETE /storage/v1/b/B/o/OBJECT               remove
// and, with --metadata-port, the GCE metadata server's token for key_type auto (plain HTTP,
// `Metadata-Flavor: Google` required). Every storage request but a resumable chunk (which its
// upload id authorizes, as in GCS) needs `Authorization: Bearer <token>` with a token this
// server issued and that has not expired; a read-only token cannot write. Anything else is 400.
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    address: { type: 'string' },
    port: { type: 'string', default: '443' },
    name: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    directory: { type: 'string' },
    bucket: { type: 'string' },
    // The service account's key file: only its client_email and the public half of its key are used.
    'service-account': { type: 'string' },
    'metadata-port': { type: 'string' },
    'token-seconds': { type: 'string', default: '3600' },
    'pid-file': { type: 'string' },
  },
});
for (const required of ['address', 'name', 'cert', 'key', 'directory', 'bucket', 'service-account'])
  if (!options[required]) throw new Error(`gcs-server: --${required} is required`);

const account = JSON.parse(readFileSync(options['service-account'], 'utf8'));
const publicKey = createPublicKey(account.private_key);
const TOKEN_SECONDS = Number(options['token-seconds']);
const PAGE_SIZE = 1000;
const objects = join(options.directory, 'objects');
const uploads = join(options.directory, 'uploads');
mkdirSync(objects, { recursive: true });
rmSync(uploads, { recursive: true, force: true });
mkdirSync(uploads, { recursive: true });

/** Bearer tokens issued: token -> { expires (ms), write }. */
const tokens = new Map();
/** Resumable uploads: id -> { name, received }. */
const sessions = new Map();

const log = (line) => console.log(`${new Date().toISOString()} ${line}`);
const fileOf = (name) => join(objects, encodeURIComponent(name));

function send(res, status, body = '', headers = {}) {
  const content = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const type = typeof body === 'object' && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {};
  res.writeHead(status, { ...type, ...headers, 'content-length': Buffer.byteLength(content) });
  res.end(content);
}

/** GCS's error shape: pgBackRest prints the body with the status. */
const gcsError = (res, status, message) =>
  send(res, status, { error: { code: status, message, errors: [{ message, reason: message }] } });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function issueToken(write) {
  const token = `lab.${randomBytes(24).toString('base64url')}`;
  tokens.set(token, { expires: Date.now() + TOKEN_SECONDS * 1000, write });
  return { access_token: token, expires_in: TOKEN_SECONDS, token_type: 'Bearer' };
}

const b64json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** Google's answer to a JWT bearer grant: a token, or why not (OAuth's error and error_description). */
function grant(form) {
  const refuse = (error, description) => ({ status: 400, body: { error, error_description: description } });
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
    return refuse('unsupported_grant_type', 'Invalid grant_type.');
  const parts = (form.get('assertion') ?? '').split('.');
  if (parts.length !== 3) return refuse('invalid_request', 'Invalid JWT: not three parts.');
  let header;
  let claims;
  try {
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
  } catch {
    return refuse('invalid_request', 'Invalid JWT: not base64url JSON.');
  }
  if (header.alg !== 'RS256') return refuse('invalid_request', `Invalid JWT: alg ${header.alg}, not RS256.`);
  if (claims.iss !== account.client_email) return refuse('invalid_grant', 'Invalid grant: account not found');
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    publicKey,
    Buffer.from(parts[2], 'base64url'),
  );
  if (!signed) return refuse('invalid_grant', 'Invalid JWT Signature.');
  let audience;
  try {
    audience = new URL(claims.aud);
  } catch {
    return refuse('invalid_grant', 'Invalid JWT: aud is not a URL.');
  }
  if (audience.hostname !== options.name || audience.pathname !== '/token')
    return refuse('invalid_grant', `Invalid JWT: aud ${claims.aud} is not this token endpoint.`);
  const now = Date.now() / 1000;
  if (!(claims.exp > now) || !(claims.iat <= now + 60) || claims.exp - claims.iat > 3600)
    return refuse(
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
    );
  const scopes = String(claims.scope ?? '').split(' ');
  const write = scopes.includes('https://www.googleapis.com/auth/devstorage.read_write');
  if (!write && !scopes.includes('https://www.googleapis.com/auth/devstorage.read_only'))
    return refuse('invalid_scope', 'Invalid OAuth scope.');
  return { status: 200, body: issueToken(write) };
}

/** The token a storage request carries, if this server issued it and it is still good. */
function authorized(req, write) {
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  const issued = scheme === 'Bearer' ? tokens.get(token) : undefined;
  if (!issued) return 'Invalid Credentials';
  if (issued.expires <= Date.now()) return 'Invalid Credentials: the token has expired';
  if (write && !issued.write) return 'Insufficient Permission: the token is read-only';
  return null;
}

function metadataOf(name) {
  const stat = statSync(fileOf(name), { throwIfNoEntry: false });
  return stat?.isFile() ? { name, size: String(stat.size), updated: stat.mtime.toISOString() } : null;
}

function listObjects(res, query) {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter');
  const after = query.get('pageToken');
  const names = readdirSync(objects)
    .map((file) => decodeURIComponent(file))
    .filter((name) => name.startsWith(prefix))
    .sort();
  // Each entry is an object or, with a delimiter, the prefix of a "folder" below `prefix`.
  const entries = [];
  for (const name of names) {
    const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
    const entry = cut >= 0 ? { prefix: name.slice(0, cut + delimiter.length) } : { name };
    const key = entry.prefix ?? entry.name;
    if (entries.at(-1)?.key !== key) entries.push({ key, ...entry });
  }
  const start = after ? entries.findIndex((entry) => entry.key > after) : 0;
  const page = start < 0 ? [] : entries.slice(start, start + PAGE_SIZE);
  const body = {};
  const items = page.filter((entry) => entry.name !== undefined).map((entry) => metadataOf(entry.name));
  const prefixes = page.filter((entry) => entry.prefix !== undefined).map((entry) => entry.prefix);
  if (prefixes.length) body.prefixes = prefixes;
  if (items.length) body.items = items.filter(Boolean);
  if (start >= 0 && start + PAGE_SIZE < entries.length) body.nextPageToken = page.at(-1).key;
  send(res, 200, body);
}

function getObject(req, res, name, query) {
  const meta = metadataOf(name);
  if (!meta) return gcsError(res, 404, `No such object: ${options.bucket}/${name}`);
  if (query.get('alt') !== 'media') return send(res, 200, meta);
  const content = readFileSync(fileOf(name));
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!range) return send(res, 200, content, { 'content-type': 'application/octet-stream' });
  const first = Number(range[1]);
  const last = range[2] === '' ? content.length - 1 : Math.min(Number(range[2]), content.length - 1);
  return send(res, 206, content.subarray(first, last + 1), {
    'content-type': 'application/octet-stream',
    'content-range': `bytes ${first}-${last}/${content.length}`,
  });
}

/** Stores an object from a file of its content, atomically; GCS's answer: md5Hash (base64) and size. */
function store(name, from) {
  const content = readFileSync(from);
  renameSync(from, fileOf(name));
  return { name, md5Hash: createHash('md5').update(content).digest('base64'), size: String(content.length) };
}

function upload(res, body, query) {
  const name = query.get('name');
  if (!name) return gcsError(res, 400, 'Required parameter: name');
  const temporary = join(uploads, randomBytes(12).toString('hex'));
  if (query.get('uploadType') === 'media') {
    writeFileSync(temporary, body);
    return send(res, 200, store(name, temporary));
  }
  if (query.get('uploadType') !== 'resumable') return gcsError(res, 400, 'uploadType must be media or resumable');
  const id = randomBytes(16).toString('hex');
  writeFileSync(temporary, '');
  sessions.set(id, { name, file: temporary, received: 0 });
  return send(res, 200, '', { 'x-guploader-uploadid': id });
}

function uploadChunk(req, res, body, query) {
  const session = sessions.get(query.get('upload_id') ?? '');
  if (!session) return gcsError(res, 404, 'No such upload session');
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(req.headers['content-range'] ?? '');
  if (!range || Number(range[1]) !== session.received || Number(range[2]) - Number(range[1]) + 1 !== body.length)
    return gcsError(res, 400, `Bad Content-Range ${req.headers['content-range']} after ${session.received} bytes`);
  appendFileSync(session.file, body);
  session.received += body.length;
  if (range[3] === '*') return send(res, 308, '', { range: `bytes=0-${session.received - 1}` });
  if (Number(range[3]) !== session.received)
    return gcsError(res, 400, `the upload ends at ${range[3]} bytes but ${session.received} came`);
  sessions.delete(query.get('upload_id'));
  return send(res, 200, store(session.name, session.file));
}

function deleteObject(res, name) {
  if (!metadataOf(name)) return gcsError(res, 404, `No such object: ${options.bucket}/${name}`);
  rmSync(fileOf(name));
  return send(res, 204);
}

async function storage(req, res) {
  const url = new URL(req.url, `https://${options.name}`);
  const body = await readBody(req);
  if (req.method === 'POST' && url.pathname === '/token') {
    const answer = grant(new URLSearchParams(body.toString('utf8')));
    log(`token ${answer.status}${answer.body.error ? ` ${answer.body.error}: ${answer.body.error_description}` : ''}`);
    return send(res, answer.status, answer.body);
  }
  const match = /^(\/upload)?\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
  if (!match) return gcsError(res, 404, `Not Found: ${url.pathname}`);
  const [, isUpload, bucket, encoded] = match;
  if (bucket !== options.bucket) return gcsError(res, 404, `The specified bucket does not exist: ${bucket}`);
  const name = encoded === undefined ? undefined : decodeURIComponent(encoded);
  const query = url.searchParams;
  // A resumable upload's chunks carry no token: the upload id is the authorization.
  if (isUpload && req.method === 'PUT') return uploadChunk(req, res, body, query);
  const refused = authorized(req, req.method !== 'GET');
  if (refused) return gcsError(res, refused.startsWith('Insufficient') ? 403 : 401, refused);
  if (isUpload && req.method === 'POST' && name === undefined) return upload(res, body, query);
  if (req.method === 'GET' && name === undefined && !isUpload) return listObjects(res, query);
  if (req.method === 'GET' && name !== undefined && !isUpload) return getObject(req, res, name, query);
  if (req.method === 'DELETE' && name !== undefined && !isUpload) return deleteObject(res, name);
  return gcsError(res, 400, `${req.method} ${url.pathname} is not part of what this server serves`);
}

function handle(handler) {
  return (req, res) => {
    handler(req, res)
      .then(() => log(`${req.method} ${req.url.replace(/upload_id=[^&]+/, 'upload_id=...')} ${res.statusCode}`))
      .catch((error) => {
        log(`${req.method} ${req.url} failed: ${error.stack}`);
        if (!res.headersSent) gcsError(res, 500, 'Internal Error');
      });
  };
}

const server = createServer(
  { cert: readFileSync(options.cert), key: readFileSync(options.key), keepAliveTimeout: 60_000 },
  handle(storage),
);
await new Promise((resolve, reject) =>
  server.once('error', reject).listen(Number(options.port), options.address, resolve),
);

// The GCE metadata server pgBackRest asks with key_type auto (a fixed URL: metadata.google.internal, port 80).
const METADATA_PATH = '/computeMetadata/v1/instance/service-accounts/default/token';
async function metadata(req, res) {
  await readBody(req);
  if (new URL(req.url, 'http://metadata').pathname !== METADATA_PATH) return send(res, 404, 'Not Found\n');
  if ((req.headers['metadata-flavor'] ?? '').toLowerCase() !== 'google')
    return send(res, 403, 'Missing Metadata-Flavor:Google header.\n');
  return send(res, 200, issueToken(true));
}
if (options['metadata-port']) {
  const meta = createHttpServer(handle(metadata));
  await new Promise((resolve, reject) =>
    meta.once('error', reject).listen(Number(options['metadata-port']), options.address, resolve),
  );
}

if (options['pid-file']) writeFileSync(options['pid-file'], `${process.pid}\n`);
log(
  `gcs on https://${options.name}:${options.port} (${options.address}), bucket ${options.bucket}, account ${account.client_email}${options['metadata-port'] ? `, metadata on http://${options.address}:${options['metadata-port']}` : ''}`,
);
process.on('SIGTERM', () => process.exit(0));
