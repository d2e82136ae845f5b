// Drives the real coffer binary with the AWS SDK for JavaScript v3.
// Run: node --test   (in tests/integration/node; COFFER_BIN overrides the binary path)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  randomBytes, randomUUID, createPublicKey, verify as cryptoVerify, publicEncrypt, constants as cryptoConstants,
  generateKeyPairSync, diffieHellman, createHmac,
} from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  KMSClient,
  CreateKeyCommand,
  CreateAliasCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
  NotFoundException,
  InvalidCiphertextException,
  SignCommand,
  VerifyCommand,
  GetPublicKeyCommand,
  GenerateMacCommand,
  DeriveSharedSecretCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSInvalidSignatureException,
} from '@aws-sdk/client-kms';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const cofferBin = process.env.COFFER_BIN || join(repo, 'build', 'src', 'cli', 'coffer');

const READY_TIMEOUT_MS = 30000;
const POLL_MS = 20;

let proc;
let workDir;
let exitPromise;
let kms;
let ready;
let accountId;
let spawnError;

function parseCredentials(text) {
  const value = (name) => {
    const m = text.match(new RegExp(`^\\s*${name}\\s*=\\s*(\\S+)\\s*$`, 'm'));
    assert.ok(m, `credentials file lacks ${name}`);
    return m[1];
  };
  const account = text.match(/^#\s*account_id\s*=\s*(\d{12})\s*$/m);
  assert.ok(account, 'credentials file lacks "# account_id = ..."');
  return {
    accessKeyId: value('aws_access_key_id'),
    secretAccessKey: value('aws_secret_access_key'),
    accountId: account[1],
  };
}

// Polls for the ready file (a readiness condition), failing early if the
// server exits first.
async function waitForReady(readyFile) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError) throw spawnError;
    if (proc.exitCode !== null) throw new Error(`coffer exited early with ${proc.exitCode}`);
    if (existsSync(readyFile)) {
      try {
        return JSON.parse(readFileSync(readyFile, 'utf8'));
      } catch {
        // the contract promises an atomic write; tolerate a partial read anyway
      }
    }
    if (Date.now() > deadline) throw new Error('timed out waiting for the ready file');
    await delay(POLL_MS);
  }
}

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'coffer-node-'));
  const dataDir = join(workDir, 'data');
  const readyFile = join(workDir, 'ready.json');
  proc = spawn(cofferBin, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
    '--ready-file', readyFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  exitPromise = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  proc.on('error', (err) => { spawnError = err; });
  ready = await waitForReady(readyFile);
  const creds = parseCredentials(readFileSync(join(dataDir, 'credentials'), 'utf8'));
  accountId = creds.accountId;
  kms = new KMSClient({
    endpoint: ready.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxAttempts: 1,
  });
});

after(async () => {
  kms?.destroy();
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    const { code, signal } = await exitPromise;
    assert.equal(signal, null, `coffer died of ${signal}`);
    assert.equal(code, 0, 'coffer did not exit 0 on SIGTERM');
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('ready file names the endpoint and region', () => {
  assert.match(ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ready.region, 'us-east-1');
  assert.equal(ready.endpoint, `http://127.0.0.1:${ready.port}`);
});

test('CreateKey returns symmetric defaults', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ Description: 'node key' }));
  assert.equal(meta.Arn, `arn:aws:kms:us-east-1:${accountId}:key/${meta.KeyId}`);
  assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
  assert.equal(meta.KeyState, 'Enabled');
  assert.equal(meta.KeyManager, 'CUSTOMER');
  assert.equal(meta.Description, 'node key');
  assert.ok(meta.CreationDate instanceof Date);
});

test('Encrypt/Decrypt round trip with encryption context', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({}));
  const plaintext = randomBytes(512);
  const context = { app: 'node-test', record: '7' };
  const enc = await kms.send(new EncryptCommand({
    KeyId: meta.KeyId, Plaintext: plaintext, EncryptionContext: context,
  }));
  assert.equal(enc.KeyId, meta.Arn);
  assert.ok(enc.CiphertextBlob instanceof Uint8Array);
  const dec = await kms.send(new DecryptCommand({
    CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context,
  }));
  assert.deepEqual(Buffer.from(dec.Plaintext), plaintext);
  assert.equal(dec.KeyId, meta.Arn);

  await assert.rejects(
    kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: 'other' } })),
    (err) => {
      assert.ok(err instanceof InvalidCiphertextException, `got ${err.name}`);
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
});

test('GenerateDataKey plaintext decrypts from its CiphertextBlob', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({}));
  const context = { purpose: 'envelope' };
  const dk = await kms.send(new GenerateDataKeyCommand({
    KeyId: meta.Arn, KeySpec: 'AES_256', EncryptionContext: context,
  }));
  assert.equal(dk.Plaintext.length, 32);
  assert.equal(dk.KeyId, meta.Arn);
  const dec = await kms.send(new DecryptCommand({
    CiphertextBlob: dk.CiphertextBlob, EncryptionContext: context,
  }));
  assert.deepEqual(Buffer.from(dec.Plaintext), Buffer.from(dk.Plaintext));
});

test('CreateAlias then ListAliases by KeyId, and use by alias', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({}));
  const name = `alias/node-${randomUUID().slice(0, 8)}`;
  await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: meta.KeyId }));
  const listed = await kms.send(new ListAliasesCommand({ KeyId: meta.KeyId }));
  assert.deepEqual(listed.Aliases.map((a) => a.AliasName), [name]);
  assert.equal(listed.Aliases[0].TargetKeyId, meta.KeyId);
  assert.equal(listed.Aliases[0].AliasArn, `arn:aws:kms:us-east-1:${accountId}:${name}`);
  const described = await kms.send(new DescribeKeyCommand({ KeyId: name }));
  assert.equal(described.KeyMetadata.KeyId, meta.KeyId);
});

test('DescribeKey of an unknown key is NotFoundException', async () => {
  await assert.rejects(
    kms.send(new DescribeKeyCommand({ KeyId: randomUUID() })),
    (err) => {
      assert.ok(err instanceof NotFoundException, `got ${err.name}`);
      assert.equal(err.name, 'NotFoundException');
      assert.ok(err.$metadata.requestId, 'no request id');
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
});

// ---- asymmetric, HMAC and imported keys, checked with node:crypto ----

async function publicKeyOf(keyId) {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
}

test('Sign (ECDSA P-256, RSA-PSS) verifies with node:crypto; a bad signature is KMSInvalidSignatureException', async () => {
  const message = Buffer.from('node release artifact');
  for (const [spec, alg, options] of [
    ['ECC_NIST_P256', 'ECDSA_SHA_256', { dsaEncoding: 'der' }],
    ['RSA_2048', 'RSASSA_PSS_SHA_256', { padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
  ]) {
    const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
    const sig = await kms.send(new SignCommand({ KeyId: meta.KeyId, Message: message, SigningAlgorithm: alg }));
    const key = await publicKeyOf(meta.KeyId);
    assert.ok(cryptoVerify('sha256', message, { key, ...options }, Buffer.from(sig.Signature)), `${spec} ${alg}`);
    await assert.rejects(
      kms.send(new VerifyCommand({ KeyId: meta.KeyId, Message: Buffer.from('other'), Signature: sig.Signature, SigningAlgorithm: alg })),
      (err) => {
        assert.ok(err instanceof KMSInvalidSignatureException, `got ${err.name}`);
        assert.equal(err.$metadata.httpStatusCode, 400);
        return true;
      });
  }
});

test('RSA OAEP-SHA-256 encrypted with node:crypto decrypts through Coffer', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_3072', KeyUsage: 'ENCRYPT_DECRYPT' }));
  const secret = randomBytes(100);
  const blob = publicEncrypt({ key: await publicKeyOf(meta.KeyId), padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
  const dec = await kms.send(new DecryptCommand({ KeyId: meta.KeyId, CiphertextBlob: blob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
  assert.deepEqual(Buffer.from(dec.Plaintext), secret);
});

test('DeriveSharedSecret equals node:crypto ECDH with the peer private key', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'KEY_AGREEMENT' }));
  const peer = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const out = await kms.send(new DeriveSharedSecretCommand({
    KeyId: meta.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }),
  }));
  const local = diffieHellman({ privateKey: peer.privateKey, publicKey: await publicKeyOf(meta.KeyId) });
  assert.deepEqual(Buffer.from(out.SharedSecret), local);
});

test('imported HMAC material (wrapped with node:crypto) gives the same MAC as node:crypto', async () => {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Origin: 'EXTERNAL' }));
  assert.equal(meta.KeyState, 'PendingImport');
  const params = await kms.send(new GetParametersForImportCommand({
    KeyId: meta.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048',
  }));
  const material = randomBytes(32);
  const wrappingKey = createPublicKey({ key: Buffer.from(params.PublicKey), format: 'der', type: 'spki' });
  await kms.send(new ImportKeyMaterialCommand({
    KeyId: meta.KeyId, ImportToken: params.ImportToken, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    EncryptedKeyMaterial: publicEncrypt({ key: wrappingKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material),
  }));
  const mac = await kms.send(new GenerateMacCommand({ KeyId: meta.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }));
  assert.deepEqual(Buffer.from(mac.Mac), createHmac('sha256', material).update('m').digest());
});
