// Secrets Manager through @aws-sdk/client-secrets-manager against a running
// coffer: string and binary round trips with staging labels, ListSecrets
// paging (by hand and with the SDK's paginator), and the SDK's modelled
// exceptions for Secrets Manager's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand,
  DescribeSecretCommand, DeleteSecretCommand, ListSecretsCommand, paginateListSecrets,
  ResourceNotFoundException, ResourceExistsException, InvalidParameterException, InvalidRequestException,
} from '@aws-sdk/client-secrets-manager';
import { startCoffer } from './coffer_server.mjs';

let server;
let sm;
const prefix = `node/${randomUUID().slice(0, 8)}`;

before(async () => {
  server = await startCoffer();
  sm = new SecretsManagerClient({
    endpoint: server.endpoint, region: server.region, maxAttempts: 1,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
});

after(async () => {
  sm?.destroy();
  await server?.stop();
});

test('string and binary round trip, AWSCURRENT and AWSPREVIOUS', async () => {
  const name = `${prefix}/db`;
  const created = await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }));
  assert.match(created.ARN, new RegExp(`^arn:aws:secretsmanager:${server.region}:${server.accountId}:secret:${name}-[A-Za-z0-9]{6}$`));
  const put = await sm.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'v2' }));
  assert.deepEqual(put.VersionStages, ['AWSCURRENT']);
  const current = await sm.send(new GetSecretValueCommand({ SecretId: name }));
  assert.equal(current.SecretString, 'v2');
  assert.ok(current.CreatedDate instanceof Date);
  const previous = await sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' }));
  assert.equal(previous.SecretString, 'v1');
  assert.equal(previous.VersionId, created.VersionId);

  const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
  await sm.send(new CreateSecretCommand({ Name: `${name}-bin`, SecretBinary: bytes }));
  const bin = await sm.send(new GetSecretValueCommand({ SecretId: `${name}-bin` }));
  assert.deepEqual(Uint8Array.from(bin.SecretBinary), bytes);
  assert.equal(bin.SecretString, undefined);
});

test('ListSecrets pages by hand and with the paginator', async () => {
  const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `${prefix}/list/${n}`);
  for (const n of names) await sm.send(new CreateSecretCommand({ Name: n, SecretString: n }));
  const Filters = [{ Key: 'name', Values: [`${prefix}/list/`] }];
  const seen = [];
  let token;
  do {
    const page = await sm.send(new ListSecretsCommand({ Filters, MaxResults: 2, SortBy: 'name', NextToken: token }));
    assert.ok(page.SecretList.length <= 2);
    seen.push(...page.SecretList.map((s) => s.Name));
    token = page.NextToken;
  } while (token);
  assert.deepEqual(seen, names);
  const viaPaginator = [];
  for await (const page of paginateListSecrets({ client: sm, pageSize: 3 }, { Filters, SortBy: 'name' })) {
    viaPaginator.push(...page.SecretList.map((s) => s.Name));
  }
  assert.deepEqual(viaPaginator, names);
});

test('modelled exceptions', async () => {
  const name = `${prefix}/errors`;
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v' }));
  await assert.rejects(sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v' })), ResourceExistsException);
  await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: `${name}-missing` })), (err) => {
    assert.ok(err instanceof ResourceNotFoundException);
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  });
  await assert.rejects(sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 3 })), (err) => {
    assert.ok(err instanceof InvalidParameterException);
    assert.match(err.message, /RecoveryWindowInDays/);
    return true;
  });
  await sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
  const described = await sm.send(new DescribeSecretCommand({ SecretId: name }));
  assert.ok(described.DeletedDate instanceof Date);
  await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: name })), InvalidRequestException);
});
