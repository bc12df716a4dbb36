// The secret index: exact recognition of the installation's secrets, kept up to date as keys come and
// go, backfilled at start-up, and still exact after a master key rotation.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateAccessKeyId, generateAccessKeySecret } from '../core/keys/key-id.js';
import { Secret } from '../core/keys/secret.js';
import { cryptoRandom } from '../core/random.js';
import { makeSqliteTestStore, type SqliteTestStore } from '../../test/support/test-stores.js';
import { generateMasterKeyText, parseMasterKeyRing, Sealer } from '../store/sealer.js';
import { createRamkey, type Ramkey } from './ramkey.js';
import { MAX_CHECKED_CANDIDATES, SECRET_MASK, SecretIndex, type BackfillProgress } from './secret-index.js';

const V1 = generateMasterKeyText(cryptoRandom, 1);
const V2 = generateMasterKeyText(cryptoRandom, 2);
const sealerOf = (...texts: string[]) => new Sealer(parseMasterKeyRing(texts.join('\n')));

let handle: SqliteTestStore;
let ramkey: Ramkey;
let accountId: string;
const nodes: Ramkey[] = [];

function node(sealer: Sealer): Ramkey {
  const r = createRamkey({ store: handle.store, sealer });
  nodes.push(r);
  return r;
}

beforeEach(async () => {
  handle = await makeSqliteTestStore();
  ramkey = node(sealerOf(V1));
  await ramkey.secretIndex.load();
  accountId = (await ramkey.identity.createAccount()).account.accountId;
});

afterEach(async () => {
  for (const r of nodes.splice(0)) await r.close();
  await handle.cleanup();
});

async function newKey(r = ramkey): Promise<{ id: string; secret: string }> {
  const { key, secret } = await r.accessKeys.create({ accountId, userId: null });
  return { id: key.accessKeyId, secret: secret.reveal() };
}

/** A key written straight to the store, as one created before the index existed. */
async function legacyKey(sealer: Sealer): Promise<{ id: string; secret: string }> {
  const id = generateAccessKeyId(cryptoRandom);
  const secret = generateAccessKeySecret(cryptoRandom);
  await handle.store.createAccessKey(
    {
      accessKeyId: id,
      accountId,
      userId: null,
      status: 'Active',
      sealedSecret: sealer.seal(id, new Secret(secret)),
      createdAt: 0,
      updatedAt: 0,
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedIp: null,
      deletedAt: null,
    },
    100,
  );
  return { id, secret };
}

const isSecret = (index: SecretIndex, value: string) => index.masker().isSecret(value);

describe('secret index', () => {
  // Security: a node that cannot hear of other nodes' new keys must not let their secrets into its trail.
  it('masks every secret-shaped value while bypassed, then learns what other nodes indexed meanwhile', async () => {
    const other = node(sealerOf(V1)); // another node: its changes do not reach this one
    const unrelated = generateAccessKeySecret(cryptoRandom);
    expect(isSecret(ramkey.secretIndex, unrelated)).toBe(false);
    ramkey.secretIndex.setBypassed(true);
    expect(isSecret(ramkey.secretIndex, unrelated)).toBe(true);
    const made = await newKey(other);
    ramkey.secretIndex.setBypassed(false);
    await vi.waitFor(() => {
      expect(isSecret(ramkey.secretIndex, unrelated)).toBe(false);
    });
    expect(isSecret(ramkey.secretIndex, made.secret)).toBe(true);
  });

  it('recognises a live secret exactly: not another 30-character base62 value, not a near miss', async () => {
    const { secret } = await newKey();
    const index = ramkey.secretIndex;
    expect(isSecret(index, secret)).toBe(true);
    expect(isSecret(index, generateAccessKeySecret(cryptoRandom))).toBe(false);
    expect(isSecret(index, 'a'.repeat(30))).toBe(false);
    expect(isSecret(index, `${secret.slice(0, 29)}${secret.endsWith('x') ? 'y' : 'x'}`)).toBe(false);
    expect(isSecret(index, `${secret} `)).toBe(false);

    const mask = index.masker();
    expect(mask.text(`key=${secret}; user=${'u'.repeat(30)}`)).toBe(
      `key=${SECRET_MASK}; user=${'u'.repeat(30)}`,
    );
    expect(mask.found).toBe(true);
    // Glued into a longer run of base62 characters, it is not "a value that is a secret".
    expect(index.masker().text(`x${secret}`)).toBe(`x${secret}`);

    const params = new Map([
      ['UserName', 'u'.repeat(30)],
      ['AccessKey', secret],
    ]);
    const clean = new Map([['UserName', 'alice']]);
    expect([...index.masker().parameters(params)]).toEqual([
      ['UserName', 'u'.repeat(30)],
      ['AccessKey', SECRET_MASK],
    ]);
    // Nothing to mask: the very same map, no copy.
    const untouched = index.masker();
    expect(untouched.parameters(clean)).toBe(clean);
    expect(untouched.found).toBe(false);
  });

  it('learns a key when it is created and forgets it when it is purged, in memory and in the store', async () => {
    const before = ramkey.secretIndex.size;
    const { id, secret } = await newKey();
    expect(ramkey.secretIndex.size).toBe(before + 1);
    expect(await handle.store.getSecretFingerprint(id, 1)).toBeTypeOf('string');
    // The store holds a fingerprint, never the secret.
    expect(await handle.store.getSecretFingerprint(id, 1)).not.toContain(secret);

    // Deleted, the key is in the recycle bin and may come back: its secret is still one of ours.
    await ramkey.accessKeys.delete({ accountId, userId: null }, id);
    expect(isSecret(ramkey.secretIndex, secret)).toBe(true);
    expect(await handle.store.getSecretFingerprint(id, 1)).toBeTypeOf('string');

    await ramkey.recycleBin.purgeKey({ accountId, userId: null }, id);
    expect(isSecret(ramkey.secretIndex, secret)).toBe(false);
    expect(ramkey.secretIndex.size).toBe(before);
    expect(
      await handle.raw.selectFrom('secret_index').selectAll().where('access_key_id', '=', id).execute(),
    ).toEqual([]);
  });

  it('masks every secret-shaped value until it is loaded, and exactly once loaded', async () => {
    const index = new SecretIndex(handle.store, sealerOf(V1));
    const stranger = generateAccessKeySecret(cryptoRandom);
    expect(index.loaded).toBe(false);
    expect(isSecret(index, stranger)).toBe(true);
    expect(isSecret(index, 'short')).toBe(false);
    await index.load();
    expect(isSecret(index, stranger)).toBe(false);
  });

  it('fingerprints, at start-up, the live keys created before the index, once, reporting progress', async () => {
    const sealer = sealerOf(V1);
    const legacy = [await legacyKey(sealer), await legacyKey(sealer), await legacyKey(sealer)];
    const user = await ramkey.identity.createUser(accountId, { userName: 'current' });
    const made = await ramkey.accessKeys.create({ accountId, userId: user.userId });
    const current = { id: made.key.accessKeyId, secret: made.secret.reveal() };
    // A key whose sealed secret the ring cannot open is reported by ID and skipped.
    const broken = generateAccessKeyId(cryptoRandom);
    const template = await handle.store.getAccessKey(current.id);
    if (!template) throw new Error('the key just created is not found');
    await handle.store.createAccessKey(
      {
        ...template,
        accessKeyId: broken,
        sealedSecret: 'v1.AAAA.AAAA',
      },
      100,
    );
    expect(await handle.store.countUnindexedAccessKeys(1)).toBe(4);

    const progress: BackfillProgress[] = [];
    const unopenable: string[] = [];
    const index = new SecretIndex(handle.store, sealer, {
      onProgress: (p) => progress.push(p),
      onUnopenable: (id) => unopenable.push(id),
    });
    await index.load();
    for (const key of [...legacy, current]) expect(isSecret(index, key.secret)).toBe(true);
    expect(progress).toEqual([{ indexed: 3, total: 4 }]);
    expect(unopenable).toEqual([broken]);
    // Persisted: the next start-up opens nothing but the one it cannot.
    expect(await handle.store.countUnindexedAccessKeys(1)).toBe(1);
    const again: BackfillProgress[] = [];
    await new SecretIndex(handle.store, sealer, { onProgress: (p) => again.push(p) }).load();
    expect(again).toEqual([{ indexed: 0, total: 1 }]);
  });

  it('stays exact across a master key rotation: keys indexed under v1 are re-indexed under v2', async () => {
    const old = await newKey();
    expect(await handle.store.getSecretFingerprint(old.id, 1)).toBeTypeOf('string');

    const rotated = node(sealerOf(V1, V2));
    await rotated.secretIndex.load();
    expect(isSecret(rotated.secretIndex, old.secret)).toBe(true);
    expect(await handle.store.getSecretFingerprint(old.id, 2)).toBeTypeOf('string');
    expect(await handle.store.countUnindexedAccessKeys(2)).toBe(0);
    // A key created after the rotation is sealed and indexed under v2.
    const fresh = await newKey(rotated);
    expect(isSecret(rotated.secretIndex, fresh.secret)).toBe(true);
    expect(await handle.store.getSecretFingerprint(fresh.id, 2)).toBeTypeOf('string');
    // The index key changed with the version: a v1 fingerprint says nothing under v2.
    expect(await handle.store.getSecretFingerprint(old.id, 2)).not.toBe(sealerOf(V1).fingerprint(old.secret));
  });

  it('lets another node learn a new key through its accessKey change', async () => {
    const other = node(sealerOf(V1));
    await other.secretIndex.load();
    const { id, secret } = await newKey();
    expect(isSecret(other.secretIndex, secret)).toBe(false);
    // What a multi-node change bus would deliver to the other node.
    other.changes.publish({ kind: 'accessKey', accountId, accessKeyId: id });
    await expect.poll(() => isSecret(other.secretIndex, secret)).toBe(true);
  });

  it('checks at most a bounded number of candidates per call, masking the rest unchecked', () => {
    const mask = ramkey.secretIndex.masker();
    const honest = Array.from(
      { length: MAX_CHECKED_CANDIDATES + 2 },
      (_, i) => `${'n'.repeat(28)}${String(10 + i)}`,
    );
    const masked = mask.text(honest.join(' ')).split(' ');
    expect(masked.slice(0, MAX_CHECKED_CANDIDATES)).toEqual(honest.slice(0, MAX_CHECKED_CANDIDATES));
    expect(masked.slice(MAX_CHECKED_CANDIDATES)).toEqual([SECRET_MASK, SECRET_MASK]);
  });
});
