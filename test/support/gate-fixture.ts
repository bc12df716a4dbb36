// A real Ramkey over a SQLite test store with a manual clock, and helpers to sign requests to it and
// route them, for the gate's unit tests.
import { ManualClock, toWireDate } from '../../src/core/clock.js';
import { cryptoRandom } from '../../src/core/random.js';
import { parseSignedRequest, signRpcV1, type SignedRequest } from '../../src/core/signature/index.js';
import type { ActionFacts } from '../../src/services/action-facts.js';
import type { AdmissionRequest } from '../../src/services/gate/admission.js';
import type { NonceStore } from '../../src/services/gate/nonce-store.js';
import { createRamkey, type Ramkey } from '../../src/services/ramkey.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../../src/store/sealer.js';
import { makeSqliteTestStore, type SqliteTestStore } from './test-stores.js';

export interface Key {
  id: string;
  secret: string;
}

export interface GateFixture {
  ramkey: Ramkey;
  clock: ManualClock;
  handle: SqliteTestStore;
  accountId: string;
  /** A root key of the account. */
  root: Key;
  /** A new RAM user (no policies) and an Active key of it. */
  userWithKey(userName: string): Promise<Key & { userId: string }>;
  /** Another Ramkey on the same store: a second node that shares no caches and no change bus. */
  secondNode(): Ramkey;
  close(): Promise<void>;
}

/** `nonces`: a nonce store for the first node instead of the durable default (on the store). */
export async function makeGateFixture(options: { nonces?: NonceStore } = {}): Promise<GateFixture> {
  const handle = await makeSqliteTestStore();
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  const sealer = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
  const nodes: Ramkey[] = [];
  const node = (nonces?: NonceStore) => {
    const r = createRamkey({ store: handle.store, sealer, clock, ...(nonces && { nonces }) });
    nodes.push(r);
    return r;
  };
  const ramkey = node(options.nonces);
  const { account } = await ramkey.identity.createAccount();
  const accountId = account.accountId;
  const rootKey = await ramkey.accessKeys.create({ accountId, userId: null });
  return {
    ramkey,
    clock,
    handle,
    accountId,
    root: { id: rootKey.key.accessKeyId, secret: rootKey.secret.reveal() },
    async userWithKey(userName) {
      const user = await ramkey.identity.createUser(accountId, { userName });
      const created = await ramkey.accessKeys.create({ accountId, userId: user.userId });
      return { id: created.key.accessKeyId, secret: created.secret.reveal(), userId: user.userId };
    },
    secondNode: () => node(),
    async close() {
      for (const r of nodes) await r.close();
      await handle.cleanup();
    },
  };
}

let nonceCounter = 0;

/** A V1-signed GET of `action` with `key`, stamped `at` (default: the fixture's now). */
export function signedRequest(
  key: Key,
  options: { at: number; action?: string; version?: string; params?: Record<string, string>; nonce?: string },
): SignedRequest {
  const { query } = signRpcV1({
    method: 'GET',
    params: {
      Action: options.action ?? 'GetCallerIdentity',
      Version: options.version ?? '2015-04-01',
      ...options.params,
    },
    accessKeyId: key.id,
    secret: key.secret,
    nonce: options.nonce ?? `nonce-${String(++nonceCounter)}`,
    timestamp: toWireDate(options.at),
  });
  const parsed = parseSignedRequest({ method: 'GET', rawQuery: query, headers: {}, body: Buffer.alloc(0) });
  if (!parsed.ok) throw new Error(`test request does not parse: ${parsed.code}`);
  return parsed.value;
}

/** A routed action in tests: its facts, and the resources it is authorized on. */
export type RoutedAction = ActionFacts & Pick<AdmissionRequest, 'resources'>;

/** An action with the given facts, authorized on `resources` (default `*`). */
export function routedAction(
  facts: Partial<ActionFacts> & { authAction: string },
  resources: readonly string[] = ['*'],
): RoutedAction {
  const [prefix = '', name = ''] = facts.authAction.split(':');
  return {
    service: prefix === 'sts' ? 'Sts' : prefix === 'ims' ? 'Ims' : 'Ram',
    version: '2015-05-01',
    name,
    rw: 'Read',
    authAliases: [],
    selfService: false,
    unrestricted: false,
    risk: 'identity',
    ...facts,
    resources: () => resources,
  };
}

export function admissionOf(request: SignedRequest, action: RoutedAction): AdmissionRequest {
  return {
    request,
    action,
    resources: action.resources,
    connection: { sourceIp: '127.0.0.1', secureTransport: false, userAgent: 'test' },
  };
}
