// Master keys and the Sealer: AccessKey secrets are encrypted (AES-256-GCM) before they reach the store,
// and fingerprinted (HMAC-SHA256) for the secret index.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { inspect } from 'node:util';
import type { Random } from '../core/random.js';
import { Secret } from '../core/keys/secret.js';

// Why a key ring: rotation. A new master key version is added to the file; from then on every seal
// uses the highest version while older versions still open what they sealed, until `reseal` has
// moved every row over and the old line can be removed.
//
// Error messages here name files, line numbers and versions, never key bytes or secrets.

export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';
const OPEN_FAILED = 'sealed secret cannot be opened';
/**
 * HKDF's info for the secret index key. Fixed: changing it would orphan every stored fingerprint.
 * A separate derived key, never the master key itself, so that an HMAC output can never be
 * related to an encryption under the same bytes.
 */
const INDEX_KEY_INFO = 'ramkey secret index v1';

/** Key bytes by ring, kept out of the class so no property, enumeration or inspection reaches them. */
const keyBytes = new WeakMap<MasterKeyRing, ReadonlyMap<number, Buffer>>();

/** Versioned 32-byte master keys: the highest version seals, any listed version opens. */
export class MasterKeyRing {
  readonly versions: readonly number[];
  readonly currentVersion: number;

  constructor(keys: ReadonlyMap<number, Uint8Array>) {
    const copy = new Map<number, Buffer>();
    for (const [version, key] of keys) {
      if (!Number.isSafeInteger(version) || version < 1)
        throw new Error(`master key version ${version} is not valid`);
      if (key.length !== MASTER_KEY_BYTES)
        throw new Error(`master key v${version} is not ${MASTER_KEY_BYTES} bytes`);
      copy.set(version, Buffer.from(key));
    }
    if (copy.size === 0) throw new Error('master key ring is empty');
    this.versions = [...copy.keys()].sort((a, b) => a - b);
    this.currentVersion = Math.max(...this.versions);
    keyBytes.set(this, copy);
  }

  toString(): string {
    return `MasterKeyRing(${this.versions.map((v) => `v${v}`).join(', ')})`;
  }

  toJSON(): { versions: readonly number[] } {
    return { versions: this.versions };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function keyOf(ring: MasterKeyRing, version: number): Buffer | undefined {
  return keyBytes.get(ring)?.get(version);
}

/**
 * Master key text for a new installation (or a new line for rotation): `v<N>:<base64 of 32 bytes>`.
 *
 * @example
 * writeMasterKeyFile('/var/lib/ramkey/master.key', generateMasterKeyText(cryptoRandom));
 */
export function generateMasterKeyText(random: Random, version = 1): string {
  const key = random.bytes(MASTER_KEY_BYTES);
  if (key.length !== MASTER_KEY_BYTES) throw new Error('random source returned too few bytes');
  return (
    '# Ramkey master key: it decrypts every stored AccessKey secret. Keep it secret and backed up.\n' +
    `v${version}:${key.toString('base64')}\n`
  );
}

/**
 * Parses master key text: one `v<N>:<base64 of 32 bytes>` per line (several per line may be separated
 * by spaces or commas, handy in RAMKEY_MASTER_KEY); blank lines and `#` comments are ignored. Throws a
 * plain Error naming the line (this is configuration, not a client's request).
 */
export function parseMasterKeyRing(text: string, source = 'master key'): MasterKeyRing {
  const keys = new Map<number, Buffer>();
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}, line ${index + 1}`;
    for (const entry of line.split(/[\s,]+/)) {
      const match = /^v([1-9]\d{0,8}):([A-Za-z0-9+/]+={0,2})$/.exec(entry);
      const versionText = match?.[1];
      const base64 = match?.[2];
      if (versionText === undefined || base64 === undefined) {
        throw new Error(`${where}: expected v<N>:<base64 of ${MASTER_KEY_BYTES} bytes>`);
      }
      const version = Number(versionText);
      const key = Buffer.from(base64, 'base64');
      if (key.length !== MASTER_KEY_BYTES || key.toString('base64') !== base64) {
        throw new Error(`${where}: key v${version} is not the base64 of exactly ${MASTER_KEY_BYTES} bytes`);
      }
      if (keys.has(version)) throw new Error(`${where}: version v${version} is listed twice`);
      keys.set(version, key);
    }
  });
  if (keys.size === 0)
    throw new Error(`${source}: no key found (expected v<N>:<base64 of ${MASTER_KEY_BYTES} bytes>)`);
  return new MasterKeyRing(keys);
}

export interface MasterKeySource {
  /** RAMKEY_MASTER_KEY: when set (and not blank) it wins over the file. */
  env?: string | undefined;
  /** The master key file, created by `ramkey init`. */
  file: string;
}

/**
 * Loads the ring from the environment, else from the file. A file that group or others may access
 * is refused: anyone who can read it can decrypt every secret in the database.
 */
export function loadMasterKeyRing(source: MasterKeySource): MasterKeyRing {
  if (source.env !== undefined && source.env.trim() !== '')
    return parseMasterKeyRing(source.env, 'RAMKEY_MASTER_KEY');
  const { file } = source;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') {
      throw new Error(`master key file ${file} does not exist: run "ramkey init" or set RAMKEY_MASTER_KEY`);
    }
    throw new Error(`master key file ${file} cannot be read (${code})`);
  }
  try {
    // fstat on the opened descriptor: the file checked is the file read.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`master key file ${file} is not a regular file`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(
        `master key file ${file} is accessible by group or others (mode ${mode}); ` +
          `restrict it with "chmod 600 ${file}"`,
      );
    }
    return parseMasterKeyRing(readFileSync(fd, 'utf8'), `master key file ${file}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new master key file with mode 0600. Refuses to replace an existing file (O_EXCL):
 * overwriting a master key would make every stored secret unreadable.
 */
export function writeMasterKeyFile(path: string, text: string): void {
  parseMasterKeyRing(text);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`master key file ${path} already exists; refusing to overwrite it`);
    }
    throw error;
  }
  try {
    // The umask can only clear bits from 0600, but an odd one could clear the owner's; make it exact.
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface SealedParts {
  version: number;
  iv: Buffer;
  ciphertextAndTag: Buffer;
}

function parseSealed(sealed: string): SealedParts | undefined {
  const match = /^v([1-9]\d{0,8})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(sealed);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return undefined;
  const iv = Buffer.from(match[2], 'base64url');
  const ciphertextAndTag = Buffer.from(match[3], 'base64url');
  if (iv.length !== IV_BYTES || ciphertextAndTag.length < TAG_BYTES) return undefined;
  return { version: Number(match[1]), iv, ciphertextAndTag };
}

/**
 * Seals and opens AccessKey secrets: AES-256-GCM with a random 12-byte IV per seal, a 16-byte tag, and
 * the AccessKey ID as associated data, so a sealed secret copied into another key's row does not open.
 * Sealed text: `v<N>.<base64url iv>.<base64url ciphertext+tag>`.
 *
 * @example
 * const sealer = new Sealer(loadMasterKeyRing({ env: process.env.RAMKEY_MASTER_KEY, file }));
 * const sealed = sealer.seal(accessKeyId, secret);
 * sealer.open(accessKeyId, sealed).reveal() === secret.reveal(); // true
 */
export class Sealer {
  readonly #ring: MasterKeyRing;
  /** The secret index key (see `fingerprint`), derived once; a KeyObject does not print its bytes. */
  readonly #indexKey: KeyObject;

  constructor(ring: MasterKeyRing) {
    this.#ring = ring;
    const master = keyOf(ring, ring.currentVersion);
    if (master === undefined) throw new Error('master key ring has no current key');
    this.#indexKey = createSecretKey(
      Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), INDEX_KEY_INFO, MASTER_KEY_BYTES)),
    );
  }

  /**
   * The master key version the secret index key derives from: the current one. A rotation changes
   * it, and the secret index re-fingerprints what was indexed under the older version (it can, since
   * the older version still opens the sealed secrets until it is removed from the ring).
   */
  get indexVersion(): number {
    return this.#ring.currentVersion;
  }

  /**
   * The keyed fingerprint of a value, base64url of HMAC-SHA256 under the index key: equal for equal
   * values, and without the master key useless for telling anything about the value.
   */
  fingerprint(value: string): string {
    return createHmac('sha256', this.#indexKey).update(value, 'utf8').digest('base64url');
  }

  /** The master key version new seals use. */
  get currentVersion(): number {
    return this.#ring.currentVersion;
  }

  seal(accessKeyId: string, secret: Secret): string {
    const version = this.#ring.currentVersion;
    const key = keyOf(this.#ring, version);
    if (key === undefined) throw new Error('master key ring has no current key');
    // GCM breaks if an IV repeats under one key, so the IV comes straight from the CSPRNG and is not
    // injectable: a deterministic test Random must never reach this.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
    const ciphertext = Buffer.concat([
      cipher.update(secret.reveal(), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `v${version}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}`;
  }

  /** Opens a secret sealed for this AccessKey ID; throws Error('sealed secret cannot be opened') otherwise. */
  open(accessKeyId: string, sealed: string): Secret {
    // One message for every failure (bad format, unknown version, wrong key, wrong ID, tampering):
    // the distinction would help nobody but someone probing, and no cause carries key material.
    const parts = parseSealed(sealed);
    const key = parts && keyOf(this.#ring, parts.version);
    if (parts === undefined || key === undefined) throw new Error(OPEN_FAILED);
    try {
      const body = parts.ciphertextAndTag.subarray(0, parts.ciphertextAndTag.length - TAG_BYTES);
      const tag = parts.ciphertextAndTag.subarray(parts.ciphertextAndTag.length - TAG_BYTES);
      const decipher = createDecipheriv(CIPHER, key, parts.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(body), decipher.final()]);
      return new Secret(plaintext.toString('utf8'));
    } catch {
      throw new Error(OPEN_FAILED);
    }
  }

  /** True when `sealed` already uses the current master key version (nothing for reseal to do). */
  isCurrent(sealed: string): boolean {
    return parseSealed(sealed)?.version === this.#ring.currentVersion;
  }

  /** Re-seals under the current master key version, for rotation: open with any version, seal anew. */
  reseal(accessKeyId: string, sealed: string): string {
    return this.seal(accessKeyId, this.open(accessKeyId, sealed));
  }
}
