// S3 server-side encryption through @aws-sdk/client-s3: SSE-KMS (named key and
// the AWS managed key) put/get against a plain-HTTP coffer, and SSE-C over
// TLS (coffer serve --tls-self-signed), including the refusals for a read
// without the key and with another key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startCoffer } from './coffer_server.mjs';

let plain;
let tls;
const bucket = `sse-${randomUUID().slice(0, 12)}`;

function clients(server, extra = {}) {
  const common = {
    endpoint: server.endpoint, region: server.region, maxAttempts: 1,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, ...extra,
  };
  return { s3: new S3Client({ ...common, forcePathStyle: true }), kms: new KMSClient(common) };
}

before(async () => {
  plain = await startCoffer();
  tls = await startCoffer(['--tls-self-signed']);
  assert.ok(tls.endpoint.startsWith('https://'), tls.endpoint);
});

after(async () => {
  await plain?.stop();
  await tls?.stop();
});

test('SSE-KMS put and get with a named key and with alias/aws/s3', async () => {
  const { s3, kms } = clients(plain);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata.Arn;
  const body = randomBytes(100 * 1024);
  const put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'kms', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key,
  }));
  assert.equal(put.ServerSideEncryption, 'aws:kms');
  assert.equal(put.SSEKMSKeyId, key);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'kms' }));
  assert.equal(got.SSEKMSKeyId, key);
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);
  const managed = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'managed', Body: 'm', ServerSideEncryption: 'aws:kms', BucketKeyEnabled: true,
  }));
  assert.match(managed.SSEKMSKeyId, /^arn:aws:kms:us-east-1:\d{12}:key\//);
  assert.equal(managed.BucketKeyEnabled, true);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'managed' }));
  assert.equal(head.SSEKMSKeyId, managed.SSEKMSKeyId);
  s3.destroy();
  kms.destroy();
});

test('SSE-C over TLS: round trip, no key, another key', async () => {
  const { s3 } = clients(tls, { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ rejectUnauthorized: false }) }) });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = randomBytes(32);
  const sse = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') };
  const body = randomBytes(70 * 1024);
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c', Body: body, ...sse }));
  assert.equal(put.SSECustomerAlgorithm, 'AES256');
  assert.equal(put.SSECustomerKeyMD5, createHash('md5').update(key).digest('base64'));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c', ...sse }));
  assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c' })),
    (err) => err.name === 'InvalidRequest' && err.$metadata.httpStatusCode === 400);
  const other = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: randomBytes(32).toString('base64') };
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c', ...other })),
    (err) => err.name === 'AccessDenied' && err.$metadata.httpStatusCode === 403);
  s3.destroy();
});
