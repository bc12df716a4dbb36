// The secret index: recognises an AccessKey secret of this installation wherever a caller sent it,
// exactly and without opening any sealed secret, so that audit events (and logs) can mask it.
import { ACCESS_KEY_SECRET_LENGTH } from '../core/keys/key-id.js';
import type { Secret } from '../core/keys/secret.js';
import type { Sealer } from '../store/sealer.js';
import type { SecretIndexStore } from '../store/store.js';

// Why a keyed index rather than a shape check: a 30-character base62 value may be a user name, a
// policy name or a nonce, and masking every one would lose honest data from the trail; comparing it
// with each key's secret would mean opening every sealed secret per request. A keyed hash
// (Sealer.fingerprint) of each live secret, held in memory as a Set, answers "is this one of our
// secrets?" with one HMAC and one hash lookup, and the Set holds nothing an attacker could use:
// without the master key a fingerprint says nothing about its secret. Set membership compares
// hashes of MACs, not secrets, so no constant-time comparison is needed.

/** What replaces a secret: it tells that something was there and nothing about what. */
export const SECRET_MASK = '****';

/** A maximal run of base62 characters of at least a secret's length (secrets are base62, 30 long). */
const CANDIDATE_RUN = new RegExp(`[0-9A-Za-z]{${String(ACCESS_KEY_SECRET_LENGTH)},}`, 'g');
const CANDIDATE_TEST = new RegExp(CANDIDATE_RUN.source);

/**
 * Candidates checked per call. A caller could fill a request with secret-shaped runs to make each
 * call cost many HMACs; beyond this many, further candidates are masked unchecked (they are
 * probably not honest data, and masking errs on the safe side).
 */
export const MAX_CHECKED_CANDIDATES = 64;

/** Live keys fingerprinted per batch by the start-up backfill (each opens one sealed secret). */
const BACKFILL_BATCH = 500;

export interface BackfillProgress {
  /** Keys fingerprinted so far. */
  readonly indexed: number;
  /** Keys that had no fingerprint under the current master key version when the backfill began. */
  readonly total: number;
}

export interface SecretIndexOptions {
  /** Called after each backfill batch, for the operator's log on large installations. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Called for a key whose sealed secret cannot be opened (it stays unindexed); never the secret. */
  onUnopenable?: (accessKeyId: string) => void;
  /** Called when the store fails to record a change of the index (the next start-up repairs it). */
  onError?: (err: unknown) => void;
}

/**
 * One call's masking: the values it masks, and whether it found a secret anywhere (an event then
 * keeps nothing the caller's values could have been echoed into).
 */
export class SecretMasker {
  #checked = 0;
  #found = false;

  constructor(private readonly isKnown: (candidate: string) => boolean) {}

  /** True once any value of this call was masked. */
  get found(): boolean {
    return this.#found;
  }

  /** True when the whole value is a secret of the installation (or past the candidate budget). */
  isSecret(value: string): boolean {
    if (value.length !== ACCESS_KEY_SECRET_LENGTH || !CANDIDATE_TEST.test(value)) return false;
    return this.check(value);
  }

  /**
   * The text with every secret in it masked: each maximal base62 run of exactly a secret's length
   * that is a known secret. Returns the same string when nothing is masked (the usual case costs
   * one regular-expression test).
   */
  text(text: string): string {
    if (!CANDIDATE_TEST.test(text)) return text;
    return text.replace(CANDIDATE_RUN, (run) =>
      run.length === ACCESS_KEY_SECRET_LENGTH && this.check(run) ? SECRET_MASK : run,
    );
  }

  /** The parameters with every value masked as `text`; the same map when nothing is masked. */
  parameters(params: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
    let masked: Map<string, string> | undefined;
    for (const [name, value] of params) {
      const kept = this.text(value);
      if (kept !== value) (masked ??= new Map(params)).set(name, kept);
    }
    return masked ?? params;
  }

  private check(candidate: string): boolean {
    const hit = ++this.#checked > MAX_CHECKED_CANDIDATES || this.isKnown(candidate);
    if (hit) this.#found = true;
    return hit;
  }
}

/**
 * The fingerprints of every live secret of the installation, in memory (one base64url SHA-256 string
 * per key, about 100 bytes with the Set's overhead). Until `load` has finished, every secret-shaped
 * value counts as a secret: a node that has not read its index yet masks too much, never too little.
 */
export class SecretIndex {
  readonly #fingerprints = new Set<string>();
  #loaded = false;
  #loading: Promise<void> | undefined;
  /** The change bus may have missed other nodes' new keys: every candidate counts as a secret. */
  #stale = false;
  #catchUps = 0;

  constructor(
    private readonly store: SecretIndexStore,
    private readonly sealer: Sealer,
    private readonly options: SecretIndexOptions = {},
  ) {}

  /** Whether the index has been read (before that, every candidate is masked). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** How many secrets the index holds. */
  get size(): number {
    return this.#fingerprints.size;
  }

  /** A masker for one call. */
  masker(): SecretMasker {
    return new SecretMasker((candidate) => this.isKnown(candidate));
  }

  /**
   * Reads the index, first fingerprinting every live key that has none under the current master key
   * version: keys created before the index existed, or indexed before a master key rotation. That
   * opens each such sealed secret once, a batch at a time, at start-up only. Idempotent; a failed
   * load may be retried.
   */
  load(): Promise<void> {
    this.#loading ??= this.read().catch((error: unknown) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  /**
   * Indexes a key just created (after its commit), here and in the store for the other nodes. Never
   * throws: the key exists whatever happens here, and a store failure is repaired by the next
   * start-up's backfill (this node already knows the secret).
   */
  async add(accessKeyId: string, secret: Secret): Promise<void> {
    const keyVersion = this.sealer.indexVersion;
    const fingerprint = this.sealer.fingerprint(secret.reveal());
    this.#fingerprints.add(fingerprint);
    await this.store
      .putSecretFingerprints([{ accessKeyId, keyVersion, fingerprint }])
      .catch((err: unknown) => this.options.onError?.(err));
  }

  /**
   * Unindexes a purged key: its secret can never be used again. Never throws: an entry left behind
   * counts for nothing (its key is not live) and the next start-up prunes it.
   */
  async remove(accessKeyId: string): Promise<void> {
    const fingerprint = await this.store
      .deleteSecretFingerprint(accessKeyId)
      .catch((err: unknown) => this.options.onError?.(err));
    if (fingerprint !== undefined) this.#fingerprints.delete(fingerprint);
  }

  /**
   * While `bypassed` (the change bus is down, so other nodes' new keys go unannounced), every
   * secret-shaped value is masked, as before the index is read: too much, never too little. Once
   * resumed, the fingerprints are read again from the store, and exact masking resumes when they are.
   * See keepFresh.
   */
  setBypassed(bypassed: boolean): void {
    this.#stale = true;
    const catchUp = ++this.#catchUps;
    if (bypassed) return;
    this.store.listSecretFingerprints(this.sealer.indexVersion).then(
      (fingerprints) => {
        for (const fingerprint of fingerprints) this.#fingerprints.add(fingerprint);
        if (catchUp === this.#catchUps) this.#stale = false;
      },
      // Stays stale (masking every candidate) until the bus's next return reads them.
      (err: unknown) => this.options.onError?.(err),
    );
  }

  /**
   * Learns a key's fingerprint from the store, for a key another node created (its `accessKey`
   * change). A purged key's fingerprint stays in memory until restart: masking its dead secret a
   * little longer is harmless.
   */
  async refresh(accessKeyId: string): Promise<void> {
    const fingerprint = await this.store.getSecretFingerprint(accessKeyId, this.sealer.indexVersion);
    if (fingerprint !== undefined) this.#fingerprints.add(fingerprint);
  }

  private isKnown(candidate: string): boolean {
    return !this.#loaded || this.#stale || this.#fingerprints.has(this.sealer.fingerprint(candidate));
  }

  private async read(): Promise<void> {
    const keyVersion = this.sealer.indexVersion;
    await this.store.pruneSecretFingerprints();
    const total = await this.store.countUnindexedAccessKeys(keyVersion);
    let indexed = 0;
    let after = '';
    for (;;) {
      const batch = await this.store.listUnindexedAccessKeys(keyVersion, after, BACKFILL_BATCH);
      const entries = [];
      for (const key of batch) {
        after = key.accessKeyId;
        let secret: Secret;
        try {
          secret = this.sealer.open(key.accessKeyId, key.sealedSecret);
        } catch {
          // A secret the ring cannot open cannot be used either; skipped, and reported by ID only.
          this.options.onUnopenable?.(key.accessKeyId);
          continue;
        }
        entries.push({
          accessKeyId: key.accessKeyId,
          keyVersion,
          fingerprint: this.sealer.fingerprint(secret.reveal()),
        });
      }
      await this.store.putSecretFingerprints(entries);
      indexed += entries.length;
      if (batch.length > 0) this.options.onProgress?.({ indexed, total });
      if (batch.length < BACKFILL_BATCH) break;
      // A turn of the event loop between batches, so that a large backfill does not starve the process.
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const fingerprint of await this.store.listSecretFingerprints(keyVersion)) {
      this.#fingerprints.add(fingerprint);
    }
    this.#loaded = true;
  }
}
