// Unit tests of the master key ring, its file handling, and the Sealer.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../core/keys/secret.js';
import { cryptoRandom, type Random } from '../core/random.js';
import {
  generateMasterKeyText,
  loadMasterKeyRing,
  MASTER_KEY_BYTES,
  MasterKeyRing,
  parseMasterKeyRing,
  Sealer,
  writeMasterKeyFile,
} from './sealer.js';

const ID_A = 'LTAI5tAAAAAAAAAAAAAAAAAA';
const ID_B = 'LTAI5tBBBBBBBBBBBBBBBBBB';
const SECRET = 'Abcdefghijklmnopqrstuvwxyz0123';

/** A Random whose bytes are all `fill`: key text we can recognise in messages. */
function fixedRandom(fill: number): Random {
  return { bytes: (n) => Buffer.alloc(n, fill), uuid: () => '00000000-0000-4000-8000-000000000000' };
}

function keyLine(version: number, fill: number): string {
  return `v${version}:${Buffer.alloc(MASTER_KEY_BYTES, fill).toString('base64')}`;
}

const posix = process.platform !== 'win32';

describe('master key text', () => {
  it('generates text that parses to a one-version ring', () => {
    const ring = parseMasterKeyRing(generateMasterKeyText(cryptoRandom));
    expect(ring.versions).toEqual([1]);
    expect(ring.currentVersion).toBe(1);
  });

  it('generates a fresh key each time', () => {
    expect(generateMasterKeyText(cryptoRandom)).not.toBe(generateMasterKeyText(cryptoRandom));
  });

  it('ignores blank and comment lines, and takes the highest version as current', () => {
    const ring = parseMasterKeyRing(`# comment\n\n${keyLine(2, 2)}\n  # another\n${keyLine(1, 1)}\n`);
    expect(ring.versions).toEqual([1, 2]);
    expect(ring.currentVersion).toBe(2);
  });

  it('accepts several keys on one line, for an environment variable', () => {
    expect(parseMasterKeyRing(`${keyLine(1, 1)} ${keyLine(3, 3)},${keyLine(2, 2)}`).versions).toEqual([
      1, 2, 3,
    ]);
  });

  it.each([
    ['an empty text', ''],
    ['only comments', '# nothing\n\n'],
    ['a missing version', Buffer.alloc(32, 1).toString('base64')],
    ['version 0', keyLine(0, 1)],
    ['a short key', `v1:${Buffer.alloc(16, 1).toString('base64')}`],
    ['a long key', `v1:${Buffer.alloc(33, 1).toString('base64')}`],
    ['non-base64', 'v1:not*base64'],
    ['a duplicate version', `${keyLine(1, 1)}\n${keyLine(1, 2)}`],
  ])('refuses %s with a plain Error', (_what, text) => {
    expect(() => parseMasterKeyRing(text)).toThrow(Error);
  });

  // Configuration errors end up in logs and terminals: they must not quote the key.
  it('never puts key material in an error message', () => {
    const badLine = `v1:${Buffer.alloc(31, 0x41).toString('base64')}`;
    try {
      parseMasterKeyRing(`${keyLine(2, 0x41)}\n${badLine}`);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('line 2');
      expect(message).not.toContain(badLine.slice(3, 20));
      expect(message).not.toContain(keyLine(2, 0x41).slice(3, 20));
    }
  });

  it('shows only versions when a ring is printed, logged or serialized', () => {
    const ring = parseMasterKeyRing(keyLine(1, 0x41));
    const keyText = keyLine(1, 0x41).slice(3);
    for (const shown of [String(ring), inspect(ring, { showHidden: true, depth: 5 }), JSON.stringify(ring)]) {
      expect(shown).not.toContain(keyText);
      expect(shown).not.toContain('QUFB');
    }
  });

  it('refuses to build an empty ring or one with a wrong-sized key', () => {
    expect(() => new MasterKeyRing(new Map())).toThrow();
    expect(() => new MasterKeyRing(new Map([[1, Buffer.alloc(16)]]))).toThrow();
  });
});

describe('master key file', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ramkey-sealer-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!posix)('is created with mode 0600 (skipped on Windows: no POSIX modes)', () => {
    const file = join(dir, 'master.key');
    const previous = process.umask(0);
    try {
      writeMasterKeyFile(file, generateMasterKeyText(cryptoRandom));
    } finally {
      process.umask(previous);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadMasterKeyRing({ file }).versions).toEqual([1]);
  });

  // Overwriting a master key would make every stored secret unreadable.
  it('refuses to overwrite an existing file (O_EXCL) and leaves it untouched', () => {
    const file = join(dir, 'master.key');
    const first = generateMasterKeyText(cryptoRandom);
    writeMasterKeyFile(file, first);
    expect(() => {
      writeMasterKeyFile(file, generateMasterKeyText(cryptoRandom));
    }).toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toBe(first);
  });

  it('refuses to write text that is not a key ring', () => {
    const file = join(dir, 'master.key');
    expect(() => {
      writeMasterKeyFile(file, 'nonsense');
    }).toThrow();
    expect(existsSync(file)).toBe(false);
  });

  it('takes RAMKEY_MASTER_KEY over the file', () => {
    const file = join(dir, 'master.key');
    writeMasterKeyFile(file, generateMasterKeyText(fixedRandom(1)));
    const envText = `${keyLine(1, 1)}\n${keyLine(7, 7)}`;
    expect(loadMasterKeyRing({ env: envText, file }).versions).toEqual([1, 7]);
    // An env ring works even with no file at all.
    expect(loadMasterKeyRing({ env: envText, file: join(dir, 'missing') }).currentVersion).toBe(7);
  });

  it('reads the file when RAMKEY_MASTER_KEY is unset or blank', () => {
    const file = join(dir, 'master.key');
    writeMasterKeyFile(file, `${keyLine(4, 4)}\n`);
    expect(loadMasterKeyRing({ env: undefined, file }).versions).toEqual([4]);
    expect(loadMasterKeyRing({ env: '  ', file }).versions).toEqual([4]);
  });

  // Anyone who can read the file can decrypt every secret in the database.
  it.skipIf(!posix)('refuses a file group or others may access (skipped on Windows)', () => {
    const file = join(dir, 'master.key');
    writeMasterKeyFile(file, generateMasterKeyText(cryptoRandom));
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      chmodSync(file, mode);
      expect(() => loadMasterKeyRing({ file })).toThrow(/group or others.*chmod 600/);
    }
    chmodSync(file, 0o400);
    expect(loadMasterKeyRing({ file }).versions).toEqual([1]);
  });

  it('says how to fix a missing file', () => {
    expect(() => loadMasterKeyRing({ file: join(dir, 'missing.key') })).toThrow(
      /ramkey init|RAMKEY_MASTER_KEY/,
    );
  });

  it('names the file and line of a malformed key', () => {
    const file = join(dir, 'master.key');
    writeFileSync(file, `# ok\nv1:short\n`, { mode: 0o600 });
    expect(() => loadMasterKeyRing({ file })).toThrow(/master\.key, line 2/);
  });
});

describe('Sealer', () => {
  const ring = parseMasterKeyRing(generateMasterKeyText(cryptoRandom));
  const sealer = new Sealer(ring);

  it('opens what it sealed', () => {
    const sealed = sealer.seal(ID_A, new Secret(SECRET));
    expect(sealer.open(ID_A, sealed).reveal()).toBe(SECRET);
  });

  it('writes v<N>.<base64url iv>.<base64url ciphertext+tag> with a 12-byte IV and a 16-byte tag', () => {
    const sealed = sealer.seal(ID_A, new Secret(SECRET));
    const [version, iv, body, ...rest] = sealed.split('.');
    expect(rest).toEqual([]);
    expect(version).toBe('v1');
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(body ?? '', 'base64url')).toHaveLength(SECRET.length + 16);
    expect(sealed).not.toContain(SECRET);
  });

  // GCM must never reuse an IV under one key.
  it('uses a fresh IV for every seal', () => {
    const ivs = new Set(
      Array.from({ length: 50 }, () => sealer.seal(ID_A, new Secret(SECRET)).split('.')[1]),
    );
    expect(ivs.size).toBe(50);
  });

  // The ID is associated data: a sealed secret does not open for another key.
  it('refuses to open under another AccessKey ID', () => {
    const sealed = sealer.seal(ID_A, new Secret(SECRET));
    expect(() => sealer.open(ID_B, sealed)).toThrow('sealed secret cannot be opened');
  });

  it('refuses a sealed secret with any byte changed', () => {
    const sealed = sealer.seal(ID_A, new Secret(SECRET));
    const [version = '', iv = '', body = ''] = sealed.split('.');
    const flip = (b64: string, index: number): string => {
      const bytes = Buffer.from(b64, 'base64url');
      bytes[index] = (bytes[index] ?? 0) ^ 0x01;
      return bytes.toString('base64url');
    };
    const bodyLength = Buffer.from(body, 'base64url').length;
    for (let i = 0; i < bodyLength; i++) {
      expect(() => sealer.open(ID_A, `${version}.${iv}.${flip(body, i)}`)).toThrow(
        'sealed secret cannot be opened',
      );
    }
    for (let i = 0; i < 12; i++) {
      expect(() => sealer.open(ID_A, `${version}.${flip(iv, i)}.${body}`)).toThrow(
        'sealed secret cannot be opened',
      );
    }
  });

  it('refuses malformed text, unknown versions and a wrong master key with the same message', () => {
    const sealed = sealer.seal(ID_A, new Secret(SECRET));
    const other = new Sealer(parseMasterKeyRing(generateMasterKeyText(cryptoRandom)));
    const cases = ['', 'garbage', sealed.replace(/^v1\./, 'v9.'), sealed.slice(0, -4), `${sealed}.x`];
    for (const bad of cases) expect(() => sealer.open(ID_A, bad)).toThrow('sealed secret cannot be opened');
    expect(() => other.open(ID_A, sealed)).toThrow('sealed secret cannot be opened');
  });

  it('keeps secrets and key material out of its error', () => {
    const keyRing = parseMasterKeyRing(keyLine(1, 0x42));
    const s = new Sealer(keyRing);
    const sealed = s.seal(ID_A, new Secret(SECRET));
    try {
      s.open(ID_B, sealed);
      expect.unreachable();
    } catch (error) {
      const shown = `${String(error)} ${inspect(error, { depth: 5 })}`;
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain(keyLine(1, 0x42).slice(3, 20));
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('seals with the highest version and opens every listed version', () => {
    const v1 = keyLine(1, 1);
    const v2 = keyLine(2, 2);
    const old = new Sealer(parseMasterKeyRing(v1));
    const rotated = new Sealer(parseMasterKeyRing(`${v1}\n${v2}`));
    const sealedV1 = old.seal(ID_A, new Secret(SECRET));
    expect(rotated.currentVersion).toBe(2);
    expect(rotated.open(ID_A, sealedV1).reveal()).toBe(SECRET);
    expect(rotated.seal(ID_A, new Secret(SECRET)).startsWith('v2.')).toBe(true);
    expect(rotated.isCurrent(sealedV1)).toBe(false);

    const resealed = rotated.reseal(ID_A, sealedV1);
    expect(resealed.startsWith('v2.')).toBe(true);
    expect(rotated.isCurrent(resealed)).toBe(true);
    expect(new Sealer(parseMasterKeyRing(v2)).open(ID_A, resealed).reveal()).toBe(SECRET);
  });

  it('round-trips any secret text, including non-ASCII and empty', () => {
    for (const text of ['', 'x', 'ünïcødé ✓', 'a'.repeat(1000)]) {
      expect(sealer.open(ID_A, sealer.seal(ID_A, new Secret(text))).reveal()).toBe(text);
    }
  });
});
