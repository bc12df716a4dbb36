// Official Alibaba Cloud SDK clients pointed at a Ramkey server, exactly as users configure them.
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { toWireDate } from '../../src/core/clock.js';

// The SDKs are CommonJS. Loading them with require() gives the same module object under Node and
// under Vitest's transform (whose default-import interop differs from TypeScript's NodeNext view).
const require = createRequire(import.meta.url);
export const RamModule = require('@alicloud/ram20150501') as typeof import('@alicloud/ram20150501');
export const ImsModule = require('@alicloud/ims20190815') as typeof import('@alicloud/ims20190815');
export const StsModule = require('@alicloud/sts20150401') as typeof import('@alicloud/sts20150401');
export const OpenApiCore = require('@alicloud/openapi-core') as typeof import('@alicloud/openapi-core');
export const Darabonba = require('@darabonba/typescript') as typeof import('@darabonba/typescript');
/** `@alicloud/pop-core`'s RPCClient, the older generic client (V1 signatures, GET or POST). */
export const PopRpcClient = require('@alicloud/pop-core') as typeof import('@alicloud/pop-core');
const { $OpenApiUtil } = OpenApiCore;

export type SignatureChoice = 'v3' | 'v2';

export interface Key {
  id: string;
  secret: string;
}

export function sdkConfig(endpoint: string, key: Key, signature: SignatureChoice, protocol = 'http') {
  return new $OpenApiUtil.Config({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    endpoint,
    protocol,
    // No retries: each test call must reach the server exactly once (nonces, counters).
    autoretry: false,
    ...(signature === 'v2' && { signatureAlgorithm: 'v2' }),
  });
}

export function clients(endpoint: string, key: Key, signature: SignatureChoice) {
  const config = () => sdkConfig(endpoint, key, signature);
  return {
    ram: new RamModule.default(config()),
    ims: new ImsModule.default(config()),
    sts: new StsModule.default(config()),
  };
}

/**
 * The same clients, signing (V3) with `x-acs-date` set to `now` instead of the real time, so that they
 * stay within the allowed skew of a server whose test clock was moved by days. The SDK lets global
 * headers override the ones it makes itself, and the date header is signed like any other.
 */
export function clientsAt(endpoint: string, key: Key, now: number) {
  const config = () => {
    const c = sdkConfig(endpoint, key, 'v3');
    c.globalParameters = new $OpenApiUtil.GlobalParameters({ headers: { 'x-acs-date': toWireDate(now) } });
    return c;
  };
  return {
    ram: new RamModule.default(config()),
    ims: new ImsModule.default(config()),
    sts: new StsModule.default(config()),
  };
}

/** Awaits a call that must fail, and returns the SDK error (its `code`, `statusCode`, `data`). */
export async function sdkError(call: Promise<unknown>): Promise<{
  code: string;
  statusCode?: number;
  message: string;
  accessDeniedDetail?: Record<string, unknown>;
  data?: Record<string, unknown>;
}> {
  try {
    await call;
  } catch (err) {
    return err as { code: string; message: string };
  }
  expect.fail('the call was expected to fail');
}

/**
 * One RPC action through @alicloud/openapi-core's generic `callApi` (V3 signatures, POST, form body),
 * as a product SDK would send it; for products without an SDK package here (ActionTrail). `string`
 * hands back the body exactly as received.
 */
export async function callAction(
  endpoint: string,
  key: Key,
  call: {
    action: string;
    version: string;
    query?: Record<string, unknown>;
    bodyType?: 'json' | 'string';
    /** Sign as of this instant (a moved server clock; V3 only), as `clientsAt` does. */
    now?: number;
  },
  signature: SignatureChoice = 'v3',
): Promise<unknown> {
  const config = sdkConfig(endpoint, key, signature);
  if (call.now !== undefined) {
    config.globalParameters = new $OpenApiUtil.GlobalParameters({
      headers: { 'x-acs-date': toWireDate(call.now) },
    });
  }
  const client = new OpenApiCore.default(config);
  const res = (await client.callApi(
    new $OpenApiUtil.Params({
      action: call.action,
      version: call.version,
      protocol: 'HTTP',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: call.bodyType ?? 'json',
    }),
    new $OpenApiUtil.OpenApiRequest({ query: $OpenApiUtil.default.query(call.query ?? {}) }),
    new Darabonba.RuntimeOptions({}),
  )) as { body: unknown };
  return res.body;
}
