// The lab's Azure Blob server: Azurite's blob service over HTTPS with the lab CA's certificate,
// one account (the lab's name and key) and one container, which pgBackRest does not create itself.
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseArgs } from 'node:util';
import { BlobServerFactory } from 'azurite/dist/src/blob/BlobServerFactory.js';

const { values: options } = parseArgs({
  options: {
    address: { type: 'string' },
    port: { type: 'string' },
    name: { type: 'string' },
    location: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    account: { type: 'string' },
    'account-key-file': { type: 'string' },
    container: { type: 'string' },
    'pid-file': { type: 'string' },
  },
});

const accountKey = readFileSync(options['account-key-file'], 'utf8').trim();
// Azurite falls back to its well-known devstoreaccount1 key when AZURITE_ACCOUNTS does not parse, so refuse bad keys here.
if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey) || Buffer.from(accountKey, 'base64').length < 32) {
  throw new Error(`${options['account-key-file']}: not a base64 key of 32 bytes or more`);
}
// Read by Azurite's account store (also every 60 s): only this account exists.
process.env.AZURITE_ACCOUNTS = `${options.account}:${accountKey}`;

// Azurite's own command line (azurite-blob) reads these from argv; in-process its telemetry is never started.
const environment = {
  blobHost: () => options.address,
  blobPort: () => Number(options.port),
  blobKeepAliveTimeout: () => undefined,
  location: async () => options.location,
  debug: async () => undefined,
  silent: () => true,
  loose: () => false,
  skipApiVersionCheck: () => false,
  cert: () => options.cert,
  key: () => options.key,
  pwd: () => '',
  oauth: () => undefined,
  // The account is the first path segment (pgBackRest's repo-azure-uri-style=path), not the host's first label.
  disableProductStyleUrl: () => true,
  inMemoryPersistence: () => false,
  extentMemoryLimit: () => undefined,
};

const server = await new BlobServerFactory().createServer(environment);
await server.start();

// Create Container, signed with the account's shared key: it also proves the key and the certificate work.
function createContainer() {
  const path = `/${options.account}/${options.container}`;
  // 2019-02-02 is the version pgBackRest 2.45 sends; Azurite refuses only versions newer than it knows.
  const headers = { 'x-ms-date': new Date().toUTCString(), 'x-ms-version': '2019-02-02', 'content-length': '0' };
  const canonicalHeaders = `x-ms-date:${headers['x-ms-date']}\nx-ms-version:${headers['x-ms-version']}`;
  const stringToSign = `PUT\n\n\n\n\n\n\n\n\n\n\n\n${canonicalHeaders}\n/${options.account}${path}\nrestype:container`;
  const signature = createHmac('sha256', Buffer.from(accountKey, 'base64'))
    .update(stringToSign, 'utf8')
    .digest('base64');
  headers.authorization = `SharedKey ${options.account}:${signature}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.address,
        port: Number(options.port),
        // Checked against the certificate's name, as pgBackRest does, not against the address.
        servername: options.name,
        ca: readFileSync(options.ca),
        method: 'PUT',
        path: `${path}?restype=container`,
        headers,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const created = await createContainer();
// 409 ContainerAlreadyExists: the data folder is kept across restarts.
if (created.status !== 201 && !(created.status === 409 && created.body.includes('ContainerAlreadyExists'))) {
  await server.close();
  throw new Error(`creating container ${options.container} failed: HTTP ${created.status} ${created.body}`);
}
// Written only now, so that lab.sh waits for a server that has its container.
writeFileSync(options['pid-file'], `${process.pid}\n`);
console.log(
  `azurite on https://${options.address}:${options.port}, account ${options.account}, container ${options.container}`,
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
