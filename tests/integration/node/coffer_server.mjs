// Starts one `coffer serve` on port 0 in a temporary data directory and reads
// back its endpoint and credentials (for the envelope interop tests).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const here = dirname(fileURLToPath(import.meta.url));
export const cofferBin = process.env.COFFER_BIN || join(resolve(here, '..', '..', '..'), 'build', 'src', 'cli', 'coffer');

const READY_TIMEOUT_MS = 30000;
const POLL_MS = 20;

function credentialsFrom(text) {
  const value = (name) => {
    const m = text.match(new RegExp(`^\\s*${name}\\s*=\\s*(\\S+)\\s*$`, 'm'));
    assert.ok(m, `credentials file lacks ${name}`);
    return m[1];
  };
  const account = text.match(/^#\s*account_id\s*=\s*(\d{12})\s*$/m);
  assert.ok(account, 'credentials file lacks "# account_id = ..."');
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key'), accountId: account[1] };
}

// `extraArgs` go to `coffer serve` (e.g. ['--tls-self-signed']).
export async function startCoffer(extraArgs = []) {
  const workDir = mkdtempSync(join(tmpdir(), 'coffer-envelope-'));
  const dataDir = join(workDir, 'data');
  const readyFile = join(workDir, 'ready.json');
  const proc = spawn(cofferBin, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--ready-file', readyFile,
    ...extraArgs],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  let spawnError;
  proc.on('error', (err) => { spawnError = err; });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ready;
  while (!ready) {
    if (spawnError) throw spawnError;
    if (proc.exitCode !== null) throw new Error(`coffer exited early with ${proc.exitCode}`);
    if (existsSync(readyFile)) {
      try { ready = JSON.parse(readFileSync(readyFile, 'utf8')); } catch { /* partial read: poll again */ }
    }
    if (!ready && Date.now() > deadline) throw new Error('timed out waiting for the ready file');
    if (!ready) await delay(POLL_MS);
  }
  const creds = credentialsFrom(readFileSync(join(dataDir, 'credentials'), 'utf8'));
  return {
    workDir, endpoint: ready.endpoint, region: ready.region, ...creds,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const { code } = await exited;
        assert.equal(code, 0, 'coffer did not exit 0 on SIGTERM');
      }
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
