// An installation with something in it, made and then checked through the official SDKs: for the
// suites that move an installation (backup and restore, migration to PostgreSQL, pg_dump) and prove
// that what arrives is the same installation.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';
import { signRpcV1 } from '../../src/core/signature/index.js';
import type { RunningServer } from './ramkey-server.js';
import { callAction, clients, RamModule, type Key } from './sdk.js';

const ACTIONTRAIL = '2020-07-06';

export interface Scene {
  admin: Key;
  /** A RAM user's AccessKey, created through the API. */
  app: Key;
  appUserId: string;
  /** A signed GetCallerIdentity answered once: the moved installation must refuse it as a replay. */
  answeredCall: string;
}

/** A signed GetCallerIdentity of `key` (V1, GET), answered once by `server`; for replaying later. */
export async function answerOnce(server: RunningServer, key: Key): Promise<string> {
  const call = signRpcV1({
    method: 'GET',
    params: { Action: 'GetCallerIdentity', Version: '2015-04-01', Format: 'JSON' },
    accessKeyId: key.id,
    secret: key.secret,
    nonce: randomUUID(),
    timestamp: toWireDate(Date.now()),
  }).query;
  const first = await fetch(`http://${server.endpoint}/?${call}`);
  expect(first.status).toBe(200);
  return call;
}

/** `call`, sent again, is refused as a replay. */
export async function expectReplayRefused(server: RunningServer, call: string): Promise<void> {
  const replay = await fetch(`http://${server.endpoint}/?${call}`);
  expect(replay.status).toBe(400);
  expect(((await replay.json()) as { Code?: string }).Code).toBe('SignatureNonceUsed');
}

/** Creates the user `app` with a key, and answers one signed call of the admin key. */
export async function makeScene(server: RunningServer): Promise<Scene> {
  const admin: Key = { id: server.admin.accessKeyId, secret: server.admin.accessKeySecret };
  const { ram } = clients(server.endpoint, admin, 'v3');
  const user = await ram.createUser(new RamModule.CreateUserRequest({ userName: 'app' }));
  const made = await ram.createAccessKey(new RamModule.CreateAccessKeyRequest({ userName: 'app' }));
  const app: Key = {
    id: made.body?.accessKey?.accessKeyId ?? '',
    secret: made.body?.accessKey?.accessKeySecret ?? '',
  };
  const answeredCall = await answerOnce(server, admin);
  return { admin, app, appUserId: user.body?.user?.userId ?? '', answeredCall };
}

/**
 * Proves that `server` serves the scene's installation: the app key authenticates as its user, the
 * admin's audit events of the scene are there, and the call answered before is refused as a replay.
 */
export async function checkScene(server: RunningServer, scene: Scene): Promise<void> {
  const me = await clients(server.endpoint, scene.app, 'v3').sts.getCallerIdentity();
  expect(me.body?.userId).toBe(scene.appUserId);
  expect(me.body?.identityType).toBe('RAMUser');

  // The key's creation, by the admin, with the user it was for.
  const trail = (await callAction(server.endpoint, scene.admin, {
    action: 'LookupEvents',
    version: ACTIONTRAIL,
    query: { LookupAttribute: [{ Key: 'EventName', Value: 'CreateAccessKey' }], MaxResults: 50 },
  })) as { Events?: Record<string, unknown>[] };
  expect(trail.Events).toEqual([
    expect.objectContaining({
      eventName: 'CreateAccessKey',
      requestParameters: { UserName: 'app' },
      userIdentity: expect.objectContaining({ accessKeyId: scene.admin.id }) as unknown,
    }),
  ]);

  await expectReplayRefused(server, scene.answeredCall);
}
