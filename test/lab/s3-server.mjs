// The lab's S3-compatible server: s3rver (patched, see patches/) over HTTPS with the lab
// CA's certificate, one bucket, and the lab's access key instead of s3rver's default.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

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
  },
});

// Only the lab's key pair is accepted: a request signed with anything else is refused.
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(options['access-key'], readFileSync(options['secret-key-file'], 'utf8').trim());

const server = new S3rver({
  address: options.address,
  port: Number(options.port),
  directory: options.directory,
  key: readFileSync(options.key),
  cert: readFileSync(options.cert),
  // s3rver serves s3.<endpoint> (path style) and <bucket>.s3.<endpoint>; any other Host header is taken for a bucket name.
  serviceEndpoint: options.endpoint,
  configureBuckets: [{ name: options.bucket }],
  silent: true,
});
await server.run();
console.log(`s3rver on https://${options.address}:${options.port}, bucket ${options.bucket}`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
