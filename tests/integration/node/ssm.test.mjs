// Parameter Store through @aws-sdk/client-ssm against a running coffer:
// String / SecureString round trips, selectors, by-path paging, and the
// SDK's modelled exceptions for Parameter Store's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SSMClient, PutParameterCommand, GetParameterCommand, GetParametersCommand, GetParametersByPathCommand,
  DeleteParameterCommand, LabelParameterVersionCommand, ParameterNotFound, ParameterAlreadyExists,
  HierarchyLevelLimitExceededException, ParameterVersionNotFound,
} from '@aws-sdk/client-ssm';
import { startCoffer } from './coffer_server.mjs';

let server;
let ssm;

before(async () => {
  server = await startCoffer();
  ssm = new SSMClient({
    endpoint: server.endpoint, region: server.region, maxAttempts: 1,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
});

after(async () => {
  ssm?.destroy();
  await server?.stop();
});

test('String and SecureString round trip, versions and labels', async () => {
  assert.equal((await ssm.send(new PutParameterCommand({ Name: '/node/a', Value: 'v1', Type: 'String' }))).Version, 1);
  await assert.rejects(ssm.send(new PutParameterCommand({ Name: '/node/a', Value: 'v2', Type: 'String' })),
    ParameterAlreadyExists);
  await ssm.send(new PutParameterCommand({ Name: '/node/a', Value: 'v2', Type: 'String', Overwrite: true }));
  await ssm.send(new LabelParameterVersionCommand({ Name: '/node/a', ParameterVersion: 1, Labels: ['first'] }));
  const got = await ssm.send(new GetParametersCommand({ Names: ['/node/a', '/node/a:first', '/node/none'] }));
  assert.deepEqual(got.Parameters.map((p) => p.Value), ['v2', 'v1']);
  assert.deepEqual(got.InvalidParameters, ['/node/none']);
  assert.ok(got.Parameters[0].LastModifiedDate instanceof Date);

  await ssm.send(new PutParameterCommand({ Name: '/node/secret', Value: 'hunter2', Type: 'SecureString' }));
  const raw = await ssm.send(new GetParameterCommand({ Name: '/node/secret' }));
  assert.notEqual(raw.Parameter.Value, 'hunter2');
  const plain = await ssm.send(new GetParameterCommand({ Name: '/node/secret', WithDecryption: true }));
  assert.equal(plain.Parameter.Value, 'hunter2');
});

test('by-path paging and modelled errors', async () => {
  for (const n of ['x', 'y', 'z']) {
    await ssm.send(new PutParameterCommand({ Name: `/node/path/${n}`, Value: n, Type: 'String' }));
  }
  const names = [];
  let token;
  do {
    const page = await ssm.send(new GetParametersByPathCommand({ Path: '/node/path', MaxResults: 2, NextToken: token }));
    names.push(...page.Parameters.map((p) => p.Name));
    token = page.NextToken;
  } while (token);
  assert.deepEqual(names, ['/node/path/x', '/node/path/y', '/node/path/z']);

  await assert.rejects(ssm.send(new GetParameterCommand({ Name: '/node/missing' })), ParameterNotFound);
  await assert.rejects(ssm.send(new GetParameterCommand({ Name: '/node/path/x:9' })), ParameterVersionNotFound);
  const deep = Array.from({ length: 16 }, (_, i) => `/l${i}`).join('');
  await assert.rejects(ssm.send(new PutParameterCommand({ Name: deep, Value: 'v', Type: 'String' })),
    HierarchyLevelLimitExceededException);
  await ssm.send(new DeleteParameterCommand({ Name: '/node/path/x' }));
  await assert.rejects(ssm.send(new DeleteParameterCommand({ Name: '/node/path/x' })), ParameterNotFound);
});
