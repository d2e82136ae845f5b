// S3 through @aws-sdk/client-s3 (path-style) against a running coffer, with
// the SDK's default checksum behaviour: CRC32 on every PutObject/UploadPart,
// sent as a header for in-memory bodies and as an aws-chunked trailer
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER over Transfer-Encoding: chunked) for
// stream bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectsCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, GetObjectAttributesCommand, NoSuchKey, NoSuchBucket,
} from '@aws-sdk/client-s3';
import { startCoffer } from './coffer_server.mjs';

const MiB = 1024 * 1024;
let server;
let s3;
let sentHeaders = [];  // the headers of each request as it goes on the wire
const bucket = `node-${randomUUID().slice(0, 12)}`;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes) => createHash('md5').update(bytes).digest();

// CRC-32 (IEEE), base64 of the big-endian value, as S3 reports it.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

// A Readable that yields `data` in uneven pieces, so the SDK cannot know the
// body's bytes up front and must stream it.
function streamOf(data, piece = 100 * 1024 + 3) {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) { this.push(null); return; }
      this.push(data.subarray(offset, offset + piece));
      offset += piece;
    },
  });
}

async function bytesOf(key) {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body.transformToByteArray());
}

before(async () => {
  server = await startCoffer();
  s3 = new S3Client({
    endpoint: server.endpoint, region: server.region, maxAttempts: 1, forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  s3.middlewareStack.add((next) => async (args) => {
    sentHeaders.push({ ...args.request.headers });
    return next(args);
  }, { step: 'finalizeRequest', priority: 'low', name: 'cofferCaptureHeaders' });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  s3?.destroy();
  await server?.stop();
});

test('PutObject with a string body (CRC32 header) and GetObject', async () => {
  const text = 'hello from node — ünïcödé';
  sentHeaders = [];
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'str.txt', Body: text, ContentType: 'text/plain' }));
  assert.ok(sentHeaders.at(-1)['x-amz-checksum-crc32'], 'the SDK sent no CRC32 header');
  const bytes = Buffer.from(text, 'utf8');
  assert.equal(put.ETag, `"${md5(bytes).toString('hex')}"`);
  assert.equal(put.ServerSideEncryption, 'AES256');
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'str.txt' }));
  assert.equal(got.ContentType, 'text/plain');
  assert.equal(got.ContentLength, bytes.length);
  assert.equal(await got.Body.transformToString(), text);
  const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'str.txt', ObjectAttributes: ['Checksum'] }));
  assert.equal(attrs.Checksum?.ChecksumCRC32, crc32(bytes));
});

test('PutObject with a 3 MiB Readable stream (aws-chunked, CRC32 trailer)', async () => {
  const data = randomBytes(3 * MiB);
  sentHeaders = [];
  const put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'stream.bin', Body: streamOf(data), ContentLength: data.length,
  }));
  // The SDK really sent an aws-chunked body with a CRC32 trailer.
  const sent = sentHeaders.at(-1);
  assert.match(sent['content-encoding'] ?? '', /aws-chunked/);
  assert.equal(sent['x-amz-trailer'], 'x-amz-checksum-crc32');
  assert.match(sent['x-amz-content-sha256'], /^STREAMING-(UNSIGNED-PAYLOAD|AWS4-HMAC-SHA256-PAYLOAD)-TRAILER$/);
  assert.equal(sent['x-amz-decoded-content-length'], String(data.length));
  assert.equal(put.ETag, `"${md5(data).toString('hex')}"`);
  const back = await bytesOf('stream.bin');
  assert.equal(back.length, data.length);
  assert.equal(sha256(back), sha256(data));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'stream.bin' }));
  assert.equal(head.ContentLength, data.length);
  assert.ok(!head.ContentEncoding, `aws-chunked leaked into Content-Encoding: ${head.ContentEncoding}`);
  const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'stream.bin', ObjectAttributes: ['Checksum', 'ObjectSize'] }));
  assert.equal(attrs.ObjectSize, data.length);
  assert.equal(attrs.Checksum?.ChecksumCRC32, crc32(data));
});

test('ListObjectsV2 and DeleteObjects', async () => {
  const keys = ['list/a', 'list/b', 'list/c/d', 'list/e'];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
  const all = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/' }));
  assert.deepEqual(all.Contents.map((c) => c.Key), keys);
  assert.equal(all.KeyCount, 4);
  const delimited = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', Delimiter: '/' }));
  assert.deepEqual(delimited.Contents.map((c) => c.Key), ['list/a', 'list/b', 'list/e']);
  assert.deepEqual(delimited.CommonPrefixes.map((p) => p.Prefix), ['list/c/']);
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 2 }));
  assert.equal(page.IsTruncated, true);
  const rest = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', ContinuationToken: page.NextContinuationToken }));
  assert.deepEqual([...page.Contents, ...rest.Contents].map((c) => c.Key), keys);

  const deleted = await s3.send(new DeleteObjectsCommand({
    Bucket: bucket, Delete: { Objects: [{ Key: 'list/a' }, { Key: 'list/c/d' }, { Key: 'list/missing' }] },
  }));
  assert.deepEqual(deleted.Deleted.map((d) => d.Key).sort(), ['list/a', 'list/c/d', 'list/missing']);
  assert.ok(!deleted.Errors || deleted.Errors.length === 0);
  const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'list/b' }], Quiet: true } }));
  assert.ok(!quiet.Deleted || quiet.Deleted.length === 0);
  const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/' }));
  assert.deepEqual(left.Contents.map((c) => c.Key), ['list/e']);
});

test('HeadObject on a missing key is NotFound; GetObject is NoSuchKey', async () => {
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no/such/key' })), (err) => {
    assert.equal(err.name, 'NotFound');
    assert.equal(err.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'no/such/key' })), (err) => {
    assert.ok(err instanceof NoSuchKey, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: `${bucket}-missing` })), (err) => {
    assert.ok(err instanceof NoSuchBucket, `${err.name}: ${err.message}`);
    return true;
  });
});

test('multipart upload with ChecksumAlgorithm CRC32', async () => {
  const Key = 'mp/big.bin';
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB + 11)];
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ChecksumAlgorithm: 'CRC32' }));
  assert.ok(UploadId);
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const up = await s3.send(new UploadPartCommand({
      Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32',
    }));
    assert.equal(up.ETag, `"${md5(Body).toString('hex')}"`);
    assert.equal(up.ChecksumCRC32, crc32(Body));
    done.push({ PartNumber: i + 1, ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32 });
  }
  const complete = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: done },
  }));
  const expectedEtag = `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3"`;
  assert.equal(complete.ETag, expectedEtag);
  const whole = Buffer.concat(parts);
  const back = await bytesOf(Key);
  assert.equal(sha256(back), sha256(whole));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, PartNumber: 3 }));
  assert.equal(head.PartsCount, 3);
  assert.equal(head.ContentLength, parts[2].length);
});
