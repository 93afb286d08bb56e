// Signed S3 requests from a test, as pgBackRest signs them (SigV4, path style): to the lab's
// S3 server (test/lab/s3-server.mjs), or to one a unit test starts on a loopback address.
import { createHash } from 'node:crypto';
import { request } from 'node:https';
// @ts-expect-error: a plain ES module of the lab, without types
import { expectedSignature } from '../lab/aws-sigv4.mjs';

export interface S3Endpoint {
  /** Where to connect, and the Host header (and TLS name) to send. */
  address: string;
  port: number;
  host: string;
  ca: Buffer;
  keyId: string;
  secret: string;
}

export interface S3Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

/** One request, signed with the endpoint's key; `url` is the path and query as sent (`/bucket/key?versionId=…`). */
export function s3Request(
  endpoint: S3Endpoint,
  method: string,
  url: string,
  body = '',
  extra: Record<string, string> = {},
): Promise<S3Reply> {
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = {
    host: endpoint.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': sha256(body),
    ...extra,
  };
  const auth = {
    accessKeyId: endpoint.keyId,
    date: amzDate.slice(0, 8),
    region: 'us-east-1',
    service: 's3',
    terminator: 'aws4_request',
    signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'],
  };
  const signature = expectedSignature({ method, url, headers }, auth, endpoint.secret);
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${endpoint.keyId}/${auth.date}/us-east-1/s3/aws4_request, SignedHeaders=${auth.signedHeaders.join(';')}, Signature=${signature}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: endpoint.address,
        port: endpoint.port,
        servername: /^[\d.]+$/.test(endpoint.host.split(':')[0]) ? undefined : endpoint.host.split(':')[0],
        method,
        path: url,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        ca: endpoint.ca,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Each <tag>…</tag>'s text in an S3 answer, in order. */
export const xmlTexts = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1]);
