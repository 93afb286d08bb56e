// Bucket versioning for the lab's S3 server, in front of s3rver (which has none): what
// pgBackRest's repo-target-time reads (2.54 and later) and what a ransomware test needs.
// s3rver keeps each key's current object as before; this layer keeps the rest beside its
// folder, in <directory>.versions/<bucket>/: log/<key>.versions.json, each version of the key
// (newest last, delete markers included), and content/<key>.v/<version id>, the bytes of each
// version that is no longer current. A prefix is reset by removing its folders there and in s3rver's.
//   PUT/GET /<bucket>?versioning            PutBucketVersioning / GetBucketVersioning
//   GET /<bucket>?versions                  ListObjectVersions (prefix, delimiter, key-marker,
//                                           version-id-marker, max-keys)
//   GET/HEAD /<bucket>/<key>?versionId=ID   one version (Range too)
//   PUT, CompleteMultipartUpload, DELETE, DeleteObjects on a versioned bucket keep what they replace
// A bucket that is not versioned is left to s3rver as before. Deleting a version by id
// (a permanent delete) is not implemented: the lab's tests never need it.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import S3Error from 's3rver/lib/models/error.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const escapeXml = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c],
  );
const element = (name, value) => `<${name}>${escapeXml(value)}</${name}>`;
const xml = (body) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const newVersionId = () => randomBytes(16).toString('hex');

async function bodyText(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A key's path segments as folder names: each encoded, so no segment is empty, `.` or `..`. */
const segments = (key) => key.split('/').map((part) => encodeURIComponent(part).replace(/\./g, '%2E') || '%');

/**
 * Each key's versions (newest last) in a file of its own, read at each use: the files are the
 * truth, so the lab can reset a prefix by removing its folders under log/ and content/
 * while the server runs. The versioning status of each bucket is kept in memory and on disk.
 */
export class BucketVersions {
  /** @param store s3rver's FilesystemStore; @param root the folder of this layer's own files. */
  constructor(store, root, versioned = []) {
    this.store = store;
    this.root = root;
    this.status = new Map();
    this.locks = new Map();
    for (const bucket of existsSync(root) ? readdirSync(root) : []) {
      const file = join(root, bucket, 'versioning.json');
      if (existsSync(file)) this.status.set(bucket, JSON.parse(readFileSync(file, 'utf8')).status);
    }
    for (const bucket of versioned) if (this.status.get(bucket) !== 'Enabled') this.setStatus(bucket, 'Enabled');
  }

  isVersioned(bucket) {
    return this.status.has(bucket);
  }

  setStatus(bucket, status) {
    mkdirSync(join(this.root, bucket), { recursive: true });
    writeFileSync(join(this.root, bucket, 'versioning.json'), JSON.stringify({ status }));
    this.status.set(bucket, status);
  }

  logPath(bucket, key) {
    return `${join(this.root, bucket, 'log', ...segments(key))}.versions.json`;
  }

  contentPath(bucket, key, versionId) {
    return join(`${join(this.root, bucket, 'content', ...segments(key))}.v`, versionId);
  }

  /** A key's versions, newest last; an object s3rver holds from before versioning (or a reset) is the "null" version. */
  async versionsOf(bucket, key) {
    const file = this.logPath(bucket, key);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).versions;
    const metadata = await this.store.getMetadata(bucket, key).catch(() => undefined);
    return metadata ? [versionEntry('null', metadata, new Date(metadata['last-modified']))] : [];
  }

  async save(bucket, key, versions) {
    const file = this.logPath(bucket, key);
    await mkdir(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify({ key, versions }));
    await rename(`${file}.tmp`, file);
  }

  /** Where a version's bytes are: s3rver's file for the current one, ours for the others. */
  async fileOf(bucket, key, version) {
    const versions = await this.versionsOf(bucket, key);
    return version.versionId === versions.at(-1)?.versionId
      ? this.store.getResourcePath(bucket, key, 'object')
      : this.contentPath(bucket, key, version.versionId);
  }

  /** One write to a key at a time. */
  async locked(bucket, key, work) {
    const name = `${bucket}/${key}`;
    const run = (this.locks.get(name) ?? Promise.resolve()).then(work, work);
    this.locks.set(
      name,
      run.catch(() => {}),
    );
    return run;
  }

  /**
   * A write or delete of a key: its versions read, the current object copied aside under its
   * version id, `change` (s3rver's write, or the delete) done, and the version it returns
   * (none: the change did not happen) put on top; "null" while versioning is suspended,
   * which replaces the null one.
   */
  async change(bucket, key, change) {
    return this.locked(bucket, key, async () => {
      const before = await this.versionsOf(bucket, key);
      const current = before.at(-1);
      if (current && !current.deleteMarker) {
        const aside = this.contentPath(bucket, key, current.versionId);
        await mkdir(dirname(aside), { recursive: true });
        await copyFile(this.store.getResourcePath(bucket, key, 'object'), aside);
      }
      const versionId = this.status.get(bucket) === 'Enabled' ? newVersionId() : 'null';
      const entry = await change(versionId);
      if (!entry) return undefined;
      await this.save(bucket, key, [...before.filter((v) => versionId !== 'null' || v.versionId !== 'null'), entry]);
      return entry;
    });
  }

  /** A delete: the current object kept aside, s3rver's copy removed, a delete marker on top. */
  deleteKey(bucket, key) {
    return this.change(bucket, key, async (versionId) => {
      await this.store.deleteObject(bucket, key);
      return { versionId, lastModified: new Date().toISOString(), deleteMarker: true };
    });
  }

  /** Every key under the prefix that has versions (or a pre-versioning object), sorted. */
  async keysUnder(bucket, prefix) {
    const keys = new Set();
    const logRoot = join(this.root, bucket, 'log');
    // The folder of the prefix's whole segments; a partial last segment is filtered below.
    const from = join(logRoot, ...segments(prefix).slice(0, -1));
    if (existsSync(from))
      for (const file of readdirSync(from, { recursive: true })) {
        if (!String(file).endsWith('.versions.json')) continue;
        const key = JSON.parse(readFileSync(join(from, String(file)), 'utf8')).key;
        if (key.startsWith(prefix)) keys.add(key);
      }
    const { objects } = await this.store.listObjects(bucket, { prefix });
    for (const object of objects) keys.add(object.key);
    return [...keys].sort();
  }
}

function versionEntry(versionId, metadata, when) {
  return {
    versionId,
    lastModified: when.toISOString(),
    etag: metadata.etag,
    size: Number(metadata['content-length']),
    contentType: metadata['content-type'] ?? 'binary/octet-stream',
    meta: Object.fromEntries(Object.entries(metadata).filter(([name]) => name.startsWith('x-amz-meta-'))),
  };
}

/** ListObjectVersions' entries after the markers, in S3's order: keys (and common prefixes) ascending, each key's versions newest first. */
export async function listVersions(versions, bucket, query) {
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter ?? '';
  const maxKeys = Math.min(Number(query['max-keys'] ?? 1000) || 1000, 1000);
  const entries = [];
  for (const key of await versions.keysUnder(bucket, prefix)) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const common = key.slice(0, cut + delimiter.length);
      if (entries.at(-1)?.prefix !== common) entries.push({ key: common, prefix: common });
      continue;
    }
    const list = await versions.versionsOf(bucket, key);
    // Newest first within a key.
    for (let index = list.length - 1; index >= 0; index--)
      entries.push({ key, version: list[index], isLatest: index === list.length - 1 });
  }
  const start = afterMarkers(entries, query['key-marker'] ?? '', query['version-id-marker'] ?? '');
  const page = entries.slice(start, start + maxKeys);
  const truncated = start + maxKeys < entries.length;
  return { prefix, delimiter, maxKeys, page, truncated, next: truncated ? page.at(-1) : undefined };
}

/** Where a page starts: after the key marker's entries, or after its version when a version id marker is given. */
function afterMarkers(entries, keyMarker, versionIdMarker) {
  if (!keyMarker) return 0;
  if (versionIdMarker) {
    const at = entries.findIndex((entry) => entry.key === keyMarker && entry.version?.versionId === versionIdMarker);
    if (at >= 0) return at + 1;
  }
  const after = entries.findIndex((entry) => entry.key > keyMarker);
  return after < 0 ? entries.length : after;
}

function versionsXml(bucket, query, listing) {
  const { prefix, delimiter, maxKeys, page, truncated, next } = listing;
  const items = page.map((entry) => {
    if (entry.prefix) return `<CommonPrefixes>${element('Prefix', entry.prefix)}</CommonPrefixes>`;
    const { version } = entry;
    const common = [
      element('Key', entry.key),
      element('VersionId', version.versionId),
      element('IsLatest', entry.isLatest),
      element('LastModified', version.lastModified),
    ].join('');
    if (version.deleteMarker) return `<DeleteMarker>${common}</DeleteMarker>`;
    return `<Version>${common}${element('ETag', version.etag)}${element('Size', version.size)}${element('StorageClass', 'STANDARD')}</Version>`;
  });
  return xml(
    [
      `<ListVersionsResult xmlns="${XMLNS}">`,
      element('Name', bucket),
      element('Prefix', prefix),
      element('KeyMarker', query['key-marker'] ?? ''),
      element('VersionIdMarker', query['version-id-marker'] ?? ''),
      element('MaxKeys', maxKeys),
      ...(delimiter ? [element('Delimiter', delimiter)] : []),
      element('IsTruncated', truncated),
      ...(next
        ? [element('NextKeyMarker', next.key), element('NextVersionIdMarker', next.version?.versionId ?? '')]
        : []),
      ...items,
      '</ListVersionsResult>',
    ].join(''),
  );
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` of a size: the first and last byte, or undefined for the whole. */
function byteRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { start: Math.max(0, size - Number(match[2])), end: size - 1 };
  return { start: Number(match[1]), end: Math.min(match[2] === '' ? size - 1 : Number(match[2]), size - 1) };
}

/** GET or HEAD of one version by its id. */
async function readVersion(versions, ctx, bucket, key) {
  const list = await versions.versionsOf(bucket, key);
  const version = list.find((entry) => entry.versionId === ctx.query.versionId);
  if (!version) throw new S3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key });
  if (version.deleteMarker) {
    ctx.set('x-amz-delete-marker', 'true');
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  const range = byteRange(ctx.get('range'), version.size);
  ctx.set('x-amz-version-id', version.versionId);
  ctx.set('ETag', version.etag);
  ctx.set('Last-Modified', new Date(version.lastModified).toUTCString());
  ctx.set('Accept-Ranges', 'bytes');
  for (const [name, value] of Object.entries(version.meta)) ctx.set(name, value);
  ctx.type = version.contentType;
  if (range) {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${version.size}`);
  } else ctx.status = 200;
  ctx.length = range ? range.end - range.start + 1 : version.size;
  // A HEAD keeps its status and length without a body (Koa sends none).
  if (ctx.method === 'GET') ctx.body = createReadStream(await versions.fileOf(bucket, key, version), range ?? {});
}

async function putVersioning(versions, ctx, bucket) {
  const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(await bodyText(ctx.req))?.[1];
  if (!status) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate.');
  versions.setStatus(bucket, status);
  ctx.status = 200;
  ctx.body = '';
}

function getVersioning(versions, ctx, bucket) {
  const status = versions.status.get(bucket);
  ctx.type = 'application/xml';
  ctx.body = xml(
    `<VersioningConfiguration xmlns="${XMLNS}">${status ? element('Status', status) : ''}</VersioningConfiguration>`,
  );
}

/** DeleteObjects on a versioned bucket: a delete marker for each key (s3rver would lose the objects). */
async function deleteObjects(versions, ctx, bucket) {
  const body = await bodyText(ctx.req);
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(body);
  const keys = [...body.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((match) =>
    match[1].replace(
      /&(amp|lt|gt|quot|apos);/g,
      (_, name) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name],
    ),
  );
  const deleted = [];
  for (const key of keys) {
    const marker = await versions.deleteKey(bucket, key);
    deleted.push(
      `<Deleted>${element('Key', key)}${element('DeleteMarker', true)}${element('DeleteMarkerVersionId', marker.versionId)}</Deleted>`,
    );
  }
  ctx.type = 'application/xml';
  ctx.body = xml(`<DeleteResult xmlns="${XMLNS}">${quiet ? '' : deleted.join('')}</DeleteResult>`);
}

/** A write s3rver performs (PUT, a multipart upload's completion): the old object kept, the new one's version said. */
async function versionedWrite(versions, ctx, next, bucket, key) {
  const version = await versions.change(bucket, key, async (versionId) => {
    await next();
    if (ctx.status !== 200) return undefined;
    return versionEntry(versionId, await versions.store.getMetadata(bucket, key), new Date());
  });
  if (version) ctx.set('x-amz-version-id', version.versionId);
}

/** The bucket and key of a request once s3rver's vhost middleware has made its path /<bucket>/<key>. */
function target(ctx) {
  const path = decodeURIComponent(ctx.path);
  const slash = path.indexOf('/', 1);
  return slash < 0 ? { bucket: path.slice(1), key: '' } : { bucket: path.slice(1, slash), key: path.slice(slash + 1) };
}

/** Koa middleware, placed just before s3rver's router. */
export function versioningMiddleware(versions) {
  return async function versioning(ctx, next) {
    const { bucket, key } = target(ctx);
    const { method, query } = ctx;
    if (!key && 'versioning' in query && (method === 'PUT' || method === 'GET')) {
      if (!(await versions.store.getBucket(bucket)))
        throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      return method === 'PUT' ? putVersioning(versions, ctx, bucket) : getVersioning(versions, ctx, bucket);
    }
    if (!bucket || !versions.isVersioned(bucket)) return next();
    if (!key) {
      if (method === 'GET' && 'versions' in query) {
        ctx.type = 'application/xml';
        ctx.body = versionsXml(bucket, query, await listVersions(versions, bucket, query));
        return;
      }
      if (method === 'POST' && 'delete' in query) return deleteObjects(versions, ctx, bucket);
      return next();
    }
    if ((method === 'GET' || method === 'HEAD') && query.versionId !== undefined)
      return readVersion(versions, ctx, bucket, key);
    if (method === 'PUT' && query.partNumber === undefined) return versionedWrite(versions, ctx, next, bucket, key);
    if (method === 'POST' && query.uploadId !== undefined) return versionedWrite(versions, ctx, next, bucket, key);
    if (method === 'DELETE' && query.uploadId === undefined) {
      if (query.versionId !== undefined)
        throw new S3Error('NotImplemented', 'the lab S3 server does not delete versions permanently');
      const marker = await versions.deleteKey(bucket, key);
      ctx.set('x-amz-delete-marker', 'true');
      ctx.set('x-amz-version-id', marker.versionId);
      ctx.status = 204;
      return;
    }
    await next();
    const latest = (await versions.versionsOf(bucket, key)).at(-1);
    if ((method === 'GET' || method === 'HEAD') && latest && !latest.deleteMarker && ctx.status < 300)
      ctx.set('x-amz-version-id', latest.versionId);
  };
}
