// Interoperability of `coffer encrypt/decrypt` with the AWS Encryption SDK for
// JavaScript (@aws-crypto/client-node): messages made by one decrypt with the
// other, for KMS (against a running coffer), raw AES and raw RSA keyrings, at
// 0 B, 1 B, frame-1, frame, frame+1 and 10 MB, with an encryption context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, generateKeyPairSync, constants } from 'node:crypto';
import {
  buildClient, CommitmentPolicy, AlgorithmSuiteIdentifier, KmsKeyringNode, RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier, RawRsaKeyringNode, getClient, KMS,
} from '@aws-crypto/client-node';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { startCoffer, cofferBin } from './coffer_server.mjs';

const FRAME = 4096;
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 10 * 1024 * 1024];
const CONTEXT = { purpose: 'interop', team: 'coffer' };
const NAMESPACE = 'coffer-interop';
const KEY_NAME = 'key-1';

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

let server;
let dir;
let keyArn;
let env;
const keyrings = {};
const cofferKeyFlags = {};

function coffer(args) {
  const run = spawnSync(cofferBin, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: run.status, stderr: run.stderr };
}

before(async () => {
  server = await startCoffer();
  dir = join(server.workDir, 'files');
  mkdirSync(dir);
  const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const kms = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials });
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'envelope interop' }))).KeyMetadata.Arn;
  kms.destroy();
  env = {
    PATH: process.env.PATH, HOME: server.workDir, AWS_ENDPOINT_URL: server.endpoint, AWS_REGION: server.region,
    AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
  };
  const clientProvider = getClient(KMS, { endpoint: server.endpoint, credentials });
  keyrings.kms = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider });
  cofferKeyFlags.kms = ['--key', keyArn];

  const aesKey = randomBytes(32);
  writeFileSync(join(server.workDir, 'aes.key'), aesKey);
  keyrings.aes = new RawAesKeyringNode({
    keyName: KEY_NAME, keyNamespace: NAMESPACE, unencryptedMasterKey: new Uint8Array(aesKey),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  cofferKeyFlags.aes = ['--raw-aes-key-file', join(server.workDir, 'aes.key'), '--key-namespace', NAMESPACE,
    '--key-name', KEY_NAME];

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(server.workDir, 'rsa.pem'), privatePem);
  keyrings.rsa = new RawRsaKeyringNode({
    keyName: KEY_NAME, keyNamespace: NAMESPACE,
    rsaKey: { privateKey: privatePem, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) },
    padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256',
  });
  cofferKeyFlags.rsa = ['--raw-rsa-key-file', join(server.workDir, 'rsa.pem'), '--key-namespace', NAMESPACE,
    '--key-name', KEY_NAME, '--rsa-padding', 'oaep-sha256'];
});

after(async () => { await server?.stop(); });

function contextFlags(flag) {
  return Object.entries(CONTEXT).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}

for (const kind of ['kms', 'aes', 'rsa']) {
  test(`${kind}: @aws-crypto/client-node encrypts, coffer decrypts`, async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size);
      const { result } = await encrypt(keyrings[kind], plaintext, { encryptionContext: CONTEXT, frameLength: FRAME });
      const inFile = join(dir, `node-${kind}-${size}.encrypted`);
      const outFile = join(dir, `node-${kind}-${size}.plain`);
      writeFileSync(inFile, result);
      const run = coffer(['decrypt', ...cofferKeyFlags[kind], ...contextFlags('--expect-context'), inFile, outFile]);
      assert.equal(run.code, 0, `size ${size}: ${run.stderr}`);
      assert.ok(readFileSync(outFile).equals(plaintext), `size ${size}: plaintext differs`);
    }
  });

  test(`${kind}: coffer encrypts, @aws-crypto/client-node decrypts`, async () => {
    for (const size of SIZES) {
      const plaintext = randomBytes(size);
      const inFile = join(dir, `coffer-${kind}-${size}.plain`);
      const outFile = join(dir, `coffer-${kind}-${size}.encrypted`);
      writeFileSync(inFile, plaintext);
      const run = coffer(['encrypt', ...cofferKeyFlags[kind], ...contextFlags('--context'), inFile, outFile]);
      assert.equal(run.code, 0, `size ${size}: ${run.stderr}`);
      const { plaintext: decrypted, messageHeader } = await decrypt(keyrings[kind], readFileSync(outFile));
      assert.ok(Buffer.from(decrypted).equals(plaintext), `size ${size}: plaintext differs`);
      for (const [k, v] of Object.entries(CONTEXT)) assert.equal(messageHeader.encryptionContext[k], v);
      assert.equal(messageHeader.suiteId, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384);
    }
  });
}

test('unsigned committing suite and other frame lengths, both ways', async () => {
  const suite = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
  const plaintext = randomBytes(70000);
  const { result } = await encrypt(keyrings.aes, plaintext, { suiteId: suite, frameLength: 1000 });
  writeFileSync(join(dir, 'unsigned.encrypted'), result);
  let run = coffer(['decrypt', ...cofferKeyFlags.aes, join(dir, 'unsigned.encrypted'), join(dir, 'unsigned.plain')]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(readFileSync(join(dir, 'unsigned.plain')).equals(plaintext));
  run = coffer(['encrypt', ...cofferKeyFlags.kms, '--suite', '0x0478', '--frame-length', '65536',
    join(dir, 'unsigned.plain'), join(dir, 'unsigned2.encrypted')]);
  assert.equal(run.code, 0, run.stderr);
  const { plaintext: back, messageHeader } = await decrypt(keyrings.kms, readFileSync(join(dir, 'unsigned2.encrypted')));
  assert.ok(Buffer.from(back).equals(plaintext));
  assert.equal(messageHeader.suiteId, suite);
  assert.equal(messageHeader.frameLength, 65536);
});

test('a node message whose context differs from --expect-context is refused, with no output', async () => {
  const { result } = await encrypt(keyrings.aes, randomBytes(10), { encryptionContext: { purpose: 'other' } });
  writeFileSync(join(dir, 'ctx.encrypted'), result);
  const run = coffer(['decrypt', ...cofferKeyFlags.aes, '--expect-context', 'purpose=interop',
    join(dir, 'ctx.encrypted'), join(dir, 'ctx.plain')]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /expected pair for key 'purpose'/);
  assert.equal(existsSync(join(dir, 'ctx.plain')), false);
});
