// The lab's S3 server learns bucket versioning (test/lab/s3-versions.mjs), proven without
// the lab: the server runs here on a loopback address of its own with a throwaway
// certificate, and every request is signed as pgBackRest signs it (SigV4).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Endpoint, type S3Reply, s3Request, xmlTexts } from '../support/s3-client.js';

// Not the lab's 127.0.1.x/127.0.2.x, and a port no lab server listens on.
const ADDRESS = '127.0.0.73';
const PORT = 18_443;
const KEY_ID = 'UNITTESTKEY';
const SECRET = 'unit-test-secret';
const PLAIN = 'plain-bucket';
const VERSIONED = 'versioned-bucket';

let dir: string;
let server: ChildProcess;

let endpoint: S3Endpoint;
const s3 = (method: string, url: string, body = '', extra: Record<string, string> = {}) =>
  s3Request(endpoint, method, url, body, extra);

const put = (bucket: string, key: string, body: string) => s3('PUT', `/${bucket}/${key}`, body);
const versionIdOf = (reply: S3Reply) => String(reply.headers['x-amz-version-id'] ?? '');
const all = xmlTexts;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bsync-s3v-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${ADDRESS}`,
      '-addext',
      `subjectAltName=IP:${ADDRESS}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const ca = readFileSync(join(dir, 'cert.pem'));
  endpoint = { address: ADDRESS, port: PORT, host: `${ADDRESS}:${PORT}`, ca, keyId: KEY_ID, secret: SECRET };
  writeFileSync(join(dir, 'secret'), SECRET);
  server = spawn(
    process.execPath,
    [
      join(__dirname, '../lab/s3-server.mjs'),
      ...['--address', ADDRESS, '--port', String(PORT), '--endpoint', 'unit.test', '--directory', join(dir, 'data')],
      ...['--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--bucket', PLAIN],
      ...['--versioned-bucket', VERSIONED, '--access-key', KEY_ID, '--secret-key-file', join(dir, 'secret')],
      ...['--credentials-dir', join(dir, 'credentials')],
    ],
    { env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Ready once it says where it listens; its error output otherwise.
  await new Promise<void>((resolve, reject) => {
    let errors = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('s3rver on')) resolve();
    });
    server.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    server.on('exit', (code) => reject(new Error(`s3-server.mjs exited ${code}: ${errors}`)));
  });
});

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('bucket versioning on the lab S3 server', () => {
  it('says which buckets are versioned; a bucket it does not have is refused', async () => {
    expect((await s3('GET', `/${VERSIONED}?versioning`)).body).toContain('<Status>Enabled</Status>');
    expect((await s3('GET', `/${PLAIN}?versioning`)).body).not.toContain('<Status>');
    const config = '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>';
    expect((await s3('PUT', '/extra?versioning', config)).status).toBe(404);
  });

  it('keeps every version of an overwritten object and reads each by its id', async () => {
    const first = await put(VERSIONED, 'stanza/backup.info', 'first');
    const second = await put(VERSIONED, 'stanza/backup.info', 'second');
    expect(first.status).toBe(200);
    expect(versionIdOf(first)).toMatch(/^[0-9a-f]{32}$/);
    expect(versionIdOf(second)).not.toBe(versionIdOf(first));
    expect((await s3('GET', '/versioned-bucket/stanza/backup.info')).body).toBe('second');
    const old = await s3('GET', `/${VERSIONED}/stanza/backup.info?versionId=${versionIdOf(first)}`);
    expect([old.status, old.body, versionIdOf(old)]).toEqual([200, 'first', versionIdOf(first)]);
    const head = await s3('HEAD', `/${VERSIONED}/stanza/backup.info?versionId=${versionIdOf(first)}`);
    expect([head.status, head.headers['content-length']]).toEqual([200, '5']);
    const range = await s3('GET', `/${VERSIONED}/stanza/backup.info?versionId=${versionIdOf(first)}`, '', {
      range: 'bytes=1-3',
    });
    expect([range.status, range.body]).toEqual([206, 'irs']);
    expect((await s3('GET', `/${VERSIONED}/stanza/backup.info?versionId=nosuch`)).body).toContain('NoSuchVersion');
  });

  it('turns a delete into a delete marker, one object or many at once, and the old content stays readable', async () => {
    const kept = await put(VERSIONED, 'stanza/archive.info', 'archive');
    const deleted = await s3('DELETE', `/${VERSIONED}/stanza/archive.info`);
    expect([deleted.status, deleted.headers['x-amz-delete-marker']]).toEqual([204, 'true']);
    expect((await s3('GET', `/${VERSIONED}/stanza/archive.info`)).status).toBe(404);
    expect((await s3('GET', `/${VERSIONED}/stanza/archive.info?versionId=${versionIdOf(kept)}`)).body).toBe('archive');
    const marker = await s3('GET', `/${VERSIONED}/stanza/archive.info?versionId=${versionIdOf(deleted)}`);
    expect(marker.status).toBe(405);

    const wal = await put(VERSIONED, 'stanza/wal/000000010000000000000001', 'wal');
    const many = '<Delete><Quiet>true</Quiet><Object><Key>stanza/wal/000000010000000000000001</Key></Object></Delete>';
    expect((await s3('POST', `/${VERSIONED}?delete`, many)).status).toBe(200);
    expect((await s3('GET', `/${VERSIONED}/stanza/wal/000000010000000000000001`)).status).toBe(404);
    const back = await s3('GET', `/${VERSIONED}/stanza/wal/000000010000000000000001?versionId=${versionIdOf(wal)}`);
    expect(back.body).toBe('wal');
  });

  it('lists versions and delete markers, newest first, with common prefixes and pages as pgBackRest asks for them', async () => {
    await put(VERSIONED, 'list/a', 'a1');
    await put(VERSIONED, 'list/a', 'a2');
    await s3('DELETE', `/${VERSIONED}/list/a`);
    await put(VERSIONED, 'list/b', 'b1');
    await put(VERSIONED, 'list/sub/c', 'c1');
    const whole = await s3('GET', `/${VERSIONED}?versions&prefix=list%2F&delimiter=%2F`);
    expect(whole.status).toBe(200);
    expect(all(whole.body, 'Key')).toEqual(['list/a', 'list/a', 'list/a', 'list/b']);
    expect(all(whole.body, 'IsLatest')).toEqual(['true', 'false', 'false', 'true']);
    expect(whole.body).toMatch(/<DeleteMarker><Key>list\/a<\/Key>/);
    expect(all(whole.body, 'Prefix')).toEqual(['list/', 'list/sub/']);
    expect(all(whole.body, 'IsTruncated')).toEqual(['false']);

    // Two at a time, each page from the markers the one before returned.
    const seen: string[] = [];
    let markers = '';
    for (let page = 0; page < 5; page++) {
      const reply = await s3('GET', `/${VERSIONED}?delimiter=%2F&max-keys=2&prefix=list%2F&versions${markers}`);
      seen.push(...all(reply.body, 'VersionId'), ...all(reply.body, 'Prefix').slice(1));
      if (all(reply.body, 'IsTruncated')[0] === 'false') break;
      const [key] = all(reply.body, 'NextKeyMarker');
      const [version] = all(reply.body, 'NextVersionIdMarker');
      markers = `&key-marker=${encodeURIComponent(key)}&version-id-marker=${encodeURIComponent(version ?? '')}`;
    }
    expect(seen).toEqual([...all(whole.body, 'VersionId'), 'list/sub/']);
  });

  it('forgets a prefix whose folders the lab removed, while it runs (lab.sh reset)', async () => {
    await put(VERSIONED, 'reset/a', 'one');
    await put(VERSIONED, 'reset/a', 'two');
    expect(all((await s3('GET', `/${VERSIONED}?versions&prefix=reset%2F`)).body, 'Key')).toEqual([
      'reset/a',
      'reset/a',
    ]);
    for (const folder of [
      'data/versioned-bucket/reset',
      'data.versions/versioned-bucket/log/reset',
      'data.versions/versioned-bucket/content/reset',
    ])
      rmSync(join(dir, folder), { recursive: true });
    expect(all((await s3('GET', `/${VERSIONED}?versions&prefix=reset%2F`)).body, 'Key')).toEqual([]);
    expect((await s3('GET', `/${VERSIONED}?versioning`)).body).toContain('<Status>Enabled</Status>');
  });

  it('leaves a bucket without versioning as s3rver keeps it: an overwrite replaces, no version ids', async () => {
    const first = await put(PLAIN, 'x', 'one');
    await put(PLAIN, 'x', 'two');
    expect(first.headers['x-amz-version-id']).toBeUndefined();
    expect((await s3('GET', `/${PLAIN}/x`)).body).toBe('two');
    const list = await s3('GET', `/${PLAIN}?versions`);
    expect(list.body).not.toContain('<VersionId>');
  });
});
