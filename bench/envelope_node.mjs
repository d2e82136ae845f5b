// The @aws-crypto/client-node side of bench/envelope.sh: stream a file
// through encryptStream / decrypt stream with a raw AES keyring.
// Usage: node envelope_node.mjs encrypt|decrypt 0x0478|0x0578 KEYFILE IN OUT
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'integration', 'node', 'x.js'));
const {
  buildClient, CommitmentPolicy, AlgorithmSuiteIdentifier, RawAesKeyringNode, RawAesWrappingSuiteIdentifier,
} = require('@aws-crypto/client-node');

const [op, suite, keyFile, input, output] = process.argv.slice(2);
const keyring = new RawAesKeyringNode({
  keyName: 'bench', keyNamespace: 'coffer', unencryptedMasterKey: new Uint8Array(readFileSync(keyFile)),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
});
const { encryptStream, decryptUnsignedMessageStream, decryptStream } =
  buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const suiteId = suite === '0x0478'
  ? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
  : AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384;
const transform = op === 'encrypt'
  ? encryptStream(keyring, { suiteId })
  : (suite === '0x0478' ? decryptUnsignedMessageStream(keyring) : decryptStream(keyring));
await pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), transform, createWriteStream(output));
