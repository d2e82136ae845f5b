// Multipart flexible checksums through the latest @aws-sdk/client-s3 with its
// default checksum behaviour (CRC32 computed on every UploadPart). Expected
// values are computed here from the bytes, never taken from the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  S3Client, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListPartsCommand,
} from '@aws-sdk/client-s3';
import { startCoffer } from './coffer_server.mjs';

const MiB = 1024 * 1024;
let server;
let s3;
const bucket = `node-mpck-${randomUUID().slice(0, 12)}`;

// CRC-32 (IEEE) as 4 big-endian bytes, from node's zlib.
function crc32Bytes(bytes) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlibCrc32(bytes));
  return out;
}
const crc32 = (bytes) => crc32Bytes(bytes).toString('base64');
const composite = (parts) => `${crc32(Buffer.concat(parts.map(crc32Bytes)))}-${parts.length}`;

before(async () => {
  server = await startCoffer();
  s3 = new S3Client({
    endpoint: server.endpoint, region: server.region, maxAttempts: 1, forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  s3?.destroy();
  await server?.stop();
});

// Uploads `parts` with the SDK's default part checksums; returns CompletedParts.
async function uploadParts(Key, UploadId, parts) {
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const up = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body }));
    assert.equal(up.ChecksumCRC32, crc32(Body));
    done.push({ PartNumber: i + 1, ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32 });
  }
  return done;
}

test('FULL_OBJECT CRC32: the object checksum is the CRC32 of the whole body', async () => {
  const Key = 'full.bin';
  const parts = [randomBytes(5 * MiB), randomBytes(MiB + 7)];
  const whole = Buffer.concat(parts);
  const created = await s3.send(new CreateMultipartUploadCommand({
    Bucket: bucket, Key, ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT',
  }));
  assert.equal(created.ChecksumType, 'FULL_OBJECT');
  const done = await uploadParts(Key, created.UploadId, parts);
  await assert.rejects(s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key, UploadId: created.UploadId, MultipartUpload: { Parts: done },
    ChecksumCRC32: crc32(Buffer.from('another body')), ChecksumType: 'FULL_OBJECT',
  })), (err) => {
    assert.equal(err.name, 'BadDigest');
    return true;
  });
  const complete = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key, UploadId: created.UploadId, MultipartUpload: { Parts: done },
    ChecksumCRC32: crc32(whole), ChecksumType: 'FULL_OBJECT',
  }));
  assert.equal(complete.ChecksumCRC32, crc32(whole));
  assert.equal(complete.ChecksumType, 'FULL_OBJECT');
  // The SDK validates the body against a full-object checksum it is given.
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }));
  assert.equal(got.ChecksumCRC32, crc32(whole));
  assert.equal(got.ChecksumType, 'FULL_OBJECT');
  assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(whole));
});

test('CRC32 without a type is COMPOSITE: the CRC32 of the part CRCs, -N', async () => {
  const Key = 'composite.bin';
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(13)];
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ChecksumAlgorithm: 'CRC32' }));
  assert.equal(created.ChecksumAlgorithm, 'CRC32');
  assert.equal(created.ChecksumType, 'COMPOSITE');
  const done = await uploadParts(Key, created.UploadId, parts);
  const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId: created.UploadId }));
  assert.deepEqual(listed.Parts.map((p) => p.ChecksumCRC32), parts.map(crc32));
  assert.equal(listed.ChecksumType, 'COMPOSITE');
  const complete = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key, UploadId: created.UploadId, MultipartUpload: { Parts: done },
  }));
  assert.equal(complete.ChecksumCRC32, composite(parts));
  assert.equal(complete.ChecksumType, 'COMPOSITE');
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }));
  assert.equal(head.ChecksumCRC32, composite(parts));
  assert.equal(head.ChecksumType, 'COMPOSITE');
  const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, PartNumber: 2, ChecksumMode: 'ENABLED' }));
  assert.equal(part.ChecksumCRC32, crc32(parts[1]));
  assert.ok(Buffer.from(await part.Body.transformToByteArray()).equals(parts[1]));
});
