// The lab's EC2 instance metadata service, for [repo.s3] key_type = "auto": what pgBackRest
// asks at http://169.254.169.254 (IMDSv2: a session token first, then the instance's role
// and its temporary credentials). Only IMDSv2 is served, as AWS now sets new instances up:
// a request without a valid session token gets 401. Every lab host shares the machine's
// network, so every host is "an instance with the role --role". The credentials are
// written where the lab's S3 server accepts them (aws-sigv4.mjs).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { issueCredentials } from './aws-sigv4.mjs';

const { values: options } = parseArgs({
  options: {
    address: { type: 'string', default: '169.254.169.254' },
    port: { type: 'string', default: '80' },
    role: { type: 'string' },
    'credentials-dir': { type: 'string' },
    // How long the credentials it hands out last (AWS: hours; pgBackRest renews 5 minutes before).
    'credential-seconds': { type: 'string', default: '3600' },
  },
});

const sessions = new Map(); // token -> expiry (ms)
const PATH = '/latest/meta-data/iam/security-credentials';
let issued = null;

function answer(response, status, body, type = 'text/plain') {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function handle(request, response) {
  const url = new URL(request.url, 'http://metadata');
  if (request.method === 'PUT' && url.pathname === '/latest/api/token') {
    const ttl = Number(request.headers['x-aws-ec2-metadata-token-ttl-seconds']);
    if (!(ttl >= 1 && ttl <= 21600)) return answer(response, 400, 'Bad Request');
    const token = randomBytes(32).toString('base64');
    sessions.set(token, Date.now() + ttl * 1000);
    return answer(response, 200, token);
  }
  if (request.method !== 'GET') return answer(response, 405, 'Method Not Allowed');
  const expiry = sessions.get(request.headers['x-aws-ec2-metadata-token'] ?? '');
  if (!expiry || expiry < Date.now()) return answer(response, 401, 'Unauthorized');
  if (url.pathname === PATH || url.pathname === `${PATH}/`) return answer(response, 200, options.role);
  if (url.pathname !== `${PATH}/${options.role}`) return answer(response, 404, 'Not Found');
  const seconds = Number(options['credential-seconds']);
  if (!issued || Date.parse(issued.expiration) - Date.now() < (seconds * 1000) / 2)
    issued = issueCredentials(options['credentials-dir'], seconds);
  const body = {
    Code: 'Success',
    LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    Type: 'AWS-HMAC',
    AccessKeyId: issued.accessKeyId,
    SecretAccessKey: issued.secret,
    Token: issued.token,
    Expiration: issued.expiration,
  };
  return answer(response, 200, JSON.stringify(body, null, 2), 'application/json');
}

const server = createServer(handle);
server.listen(Number(options.port), options.address, () =>
  console.log(`instance metadata (IMDSv2) on http://${options.address}:${options.port}, role ${options.role}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
