// The lab's AWS STS, for [repo.s3] key_type = "web-id": AssumeRoleWithWebIdentity as
// pgBackRest calls it (GET https://sts.amazonaws.com/?Action=AssumeRoleWithWebIdentity
// &RoleArn=…&RoleSessionName=…&Version=2011-06-15&WebIdentityToken=…). pgBackRest's host name is
// fixed, so the lab hosts' /etc/hosts send sts.amazonaws.com here; its certificate comes
// from the S3 server's CA, since pgBackRest checks STS's certificate against
// repoN-storage-ca-file. It trades the one role for the one token it was given (a wrong
// token or role gets AccessDenied) and writes the credentials where the lab's S3 server
// accepts them (aws-sigv4.mjs).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import { issueCredentials } from './aws-sigv4.mjs';

const { values: options } = parseArgs({
  options: {
    address: { type: 'string' },
    port: { type: 'string', default: '443' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'role-arn': { type: 'string' },
    'token-file': { type: 'string' },
    'credentials-dir': { type: 'string' },
    'credential-seconds': { type: 'string', default: '3600' },
  },
});

const xml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function refuse(response, code, message) {
  return answer(
    response,
    code === 'AccessDenied' ? 403 : 400,
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>lab</RequestId></ErrorResponse>\n`,
  );
}

function handle(request, response) {
  const query = new URL(request.url, 'https://sts.amazonaws.com').searchParams;
  if (query.get('Action') !== 'AssumeRoleWithWebIdentity' || query.get('Version') !== '2011-06-15')
    return refuse(response, 'InvalidAction', 'The lab STS serves AssumeRoleWithWebIdentity (Version 2011-06-15) only');
  const token = readFileSync(options['token-file'], 'utf8').trim();
  if ((query.get('WebIdentityToken') ?? '').trim() !== token)
    return refuse(
      response,
      'AccessDenied',
      "Not authorized to perform sts:AssumeRoleWithWebIdentity: the web identity token is not the lab's",
    );
  if (query.get('RoleArn') !== options['role-arn'])
    return refuse(
      response,
      'AccessDenied',
      `Not authorized to perform sts:AssumeRoleWithWebIdentity on ${query.get('RoleArn')}`,
    );
  const issued = issueCredentials(options['credentials-dir'], Number(options['credential-seconds']));
  const session = xml(query.get('RoleSessionName') ?? 'session');
  return answer(
    response,
    200,
    `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:lab:pgbackrest</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>${xml(options['role-arn'].replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${session}</Arn>
      <AssumedRoleId>AROALAB:${session}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${issued.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xml(issued.secret)}</SecretAccessKey>
      <SessionToken>${xml(issued.token)}</SessionToken>
      <Expiration>${issued.expiration}</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>lab</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`,
  );
}

const server = createServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) }, handle);
server.listen(Number(options.port), options.address, () =>
  console.log(
    `STS AssumeRoleWithWebIdentity on https://${options.address}:${options.port}, role ${options['role-arn']}`,
  ),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
