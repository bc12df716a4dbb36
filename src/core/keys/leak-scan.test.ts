import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoRandom, type Random } from '../random.js';
import { generateAccessKeyId, generateAccessKeySecret, isAccessKeyId } from './key-id.js';
import {
  isAssignedToSecretName,
  isBinaryContent,
  maskAccessKeyId,
  maskAccessKeySecret,
  scanForAccessKeys,
  SECRET_WINDOW_LINES,
  type LeakFinding,
} from './leak-scan.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Deterministic randomness from a fast-check byte array (repeated as needed). */
function bytesRandom(seed: Uint8Array): Random {
  let offset = 0;
  return {
    bytes(n) {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) out[i] = (seed[offset++ % seed.length] ?? i) % 248;
      return out;
    },
    uuid: () => '00000000-0000-4000-8000-000000000000',
  };
}

const seed = fc.uint8Array({ minLength: 1, maxLength: 64 });
const base62 = (length: number) =>
  fc.string({ unit: fc.constantFrom(...BASE62.split('')), minLength: length, maxLength: length });
/** `LTAI` + 20 base62 characters whose checksum fails: the shape of an ID, not a Ramkey ID. */
const lookAlike = base62(20)
  .map((rest) => `LTAI${rest}`)
  .filter((id) => !isAccessKeyId(id));
/** Text that cannot run into a token next to it: it starts and ends with a space. */
const filler = fc.string({ maxLength: 40 }).map((s) => ` ${s} `);

function summary(findings: readonly LeakFinding[]) {
  return findings.map((f) => ({
    type: f.type,
    rule: f.rule,
    line: f.line,
    column: f.column,
    value: f.value.reveal(),
  }));
}

function newId(): string {
  return generateAccessKeyId(cryptoRandom);
}

/** A generated secret that passes the shape check (both letter cases, 10 distinct characters). */
function newSecret(): string {
  for (;;) {
    const s = generateAccessKeySecret(cryptoRandom);
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && new Set(s).size >= 10) return s;
  }
}

describe('AccessKey IDs in text', () => {
  it('never reports a look-alike whose checksum fails, in any surroundings', () => {
    const separator = fc.constantFrom(' ', '\n', '\r\n', '=', '"', ':', ',', '\t', '(', '<', '>');
    fc.assert(
      fc.property(fc.array(fc.tuple(separator, lookAlike, separator), { maxLength: 20 }), (parts) => {
        const text = parts.map(([a, id, b]) => `${a}${id}${b}`).join('');
        expect(scanForAccessKeys(text)).toEqual([]);
      }),
    );
  });

  it('always reports a real ID, at its line and column, masked', () => {
    fc.assert(
      fc.property(
        seed,
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }),
        filler,
        filler,
        (s, lines, before, after) => {
          const id = generateAccessKeyId(bytesRandom(s));
          const prefix = [...lines.map((l) => l.replace(/LTAI|secret/gi, '')), before].join('\n');
          const text = `${prefix}${id}${after}`;
          const ids = scanForAccessKeys(text).filter((f) => f.type === 'AccessKeyId');
          expect(summary(ids)).toEqual([
            {
              type: 'AccessKeyId',
              rule: 'checksum',
              line: lines.length + 1,
              column: before.length + 1,
              value: id,
            },
          ]);
          expect(ids[0]?.masked).toBe(maskAccessKeyId(id));
        },
      ),
    );
  });

  it('ignores an ID inside a longer run of letters and digits', () => {
    const id = newId();
    for (const text of [`x${id}`, `${id}0`, `LTAI${id}`, `${id}${id}`]) {
      expect(scanForAccessKeys(text)).toEqual([]);
    }
    expect(summary(scanForAccessKeys(`key-${id}_old`))).toMatchObject([{ value: id }]);
  });

  it('counts lines the same with CRLF line endings', () => {
    const id = newId();
    expect(scanForAccessKeys(`a\r\nb\r\n  ${id}\r\n`)).toMatchObject([{ line: 3, column: 3 }]);
  });
});

describe('AccessKeySecrets in text', () => {
  it('reports a secret within the window of a real ID, and not one further away', () => {
    fc.assert(
      fc.property(
        seed,
        fc.integer({ min: 0, max: SECRET_WINDOW_LINES + 3 }),
        fc.boolean(),
        (s, distance, above) => {
          const id = generateAccessKeyId(bytesRandom(s));
          const secret = newSecret();
          const lines =
            distance === 0
              ? [`id ${id} value ${secret}`]
              : [`id ${id}`, ...Array<string>(distance - 1).fill('# filler'), `value ${secret}`];
          const text = (above ? lines : lines.reverse()).join('\n');
          const secrets = scanForAccessKeys(text).filter((f) => f.type === 'AccessKeySecret');
          if (distance <= SECRET_WINDOW_LINES) {
            expect(summary(secrets)).toMatchObject([{ rule: 'nearAccessKeyId', value: secret }]);
          } else expect(secrets).toEqual([]);
        },
      ),
    );
  });

  it('never lets a finding print the whole value: masks, JSON and string forms', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const id = generateAccessKeyId(bytesRandom(s));
        const secret = newSecret();
        const findings = scanForAccessKeys(`AccessKeyId=${id}\nAccessKeySecret=${secret}\n`);
        expect(findings).toHaveLength(2);
        const printed = `${JSON.stringify(findings)} ${findings.map((f) => `${f.masked} ${String(f.value)}`).join(' ')}`;
        expect(printed).not.toContain(secret);
        expect(printed).not.toContain(id);
      }),
    );
  });

  it('reports a secret assigned to a secret-looking name, with no ID in sight', () => {
    const secret = newSecret();
    const forms = [
      `ALIBABA_CLOUD_ACCESS_KEY_SECRET=${secret}`,
      `export ALIBABA_CLOUD_ACCESS_KEY_SECRET="${secret}"`,
      `  "AccessKeySecret": "${secret}",`,
      `accessKeySecret: ${secret}`,
      `access_key_secret = '${secret}'`,
      `<AccessKeySecret>${secret}</AccessKeySecret>`,
      `config.setAccessKeySecret("${secret}");`,
      `ramkey --access-key-secret ${secret}`,
      `--access-key-secret=${secret}`,
      `AccessKeySecret := "${secret}"`,
      `'access_key_secret' => '${secret}',`,
      `secret_key = "${secret}"`,
      `{\\"AccessKeySecret\\": \\"${secret}\\"}`,
      `RAMKEY_ACCESS_KEY_SECRET=${secret}`,
    ];
    for (const form of forms) {
      expect(summary(scanForAccessKeys(form)), form).toMatchObject([
        { type: 'AccessKeySecret', rule: 'secretName', line: 1, value: secret },
      ]);
    }
  });

  it('does not report a 30-character token under any other name', () => {
    const secret = newSecret();
    for (const form of [
      `password = ${secret}`,
      `token: ${secret}`,
      `secret = ${secret}`,
      `client_secret=${secret}`,
      `the AccessKeySecret is ${secret}`,
      `AccessKeySecret\n${secret}`,
      `AccessKeySecret, ${secret}`,
    ]) {
      expect(scanForAccessKeys(form), form).toEqual([]);
    }
  });

  it("leaves alone a named secret next to another issuer's LTAI look-alike", () => {
    const secret = newSecret();
    const text = `access_key_id = LTAI5tAbCdEfGhIjKlMnOpQr\naccess_key_secret = ${secret}\n`;
    expect(scanForAccessKeys(text)).toEqual([]);
  });

  it('needs exactly 30 base62 characters, both letter cases, 10 distinct, and no base64 or slug around', () => {
    const id = newId();
    const secret = newSecret();
    const near = (token: string) =>
      scanForAccessKeys(`${id} ${token}`).filter((f) => f.type === 'AccessKeySecret');
    expect(near(secret)).toHaveLength(1);
    for (const token of [
      secret.slice(1), // 29
      `${secret}a`, // 31
      secret.toLowerCase(),
      secret.toUpperCase(),
      'abcdefghiAabcdefghiAabcdefghiA', // 10 distinct, passes
      'abcdAabcdAabcdAabcdAabcdAabcdA', // 5 distinct
      `a+${secret}`,
      `${secret}/x`,
      `${secret}=`,
      `my-${secret}`,
      `${secret}_v2`,
    ]) {
      const expected = token === 'abcdefghiAabcdefghiAabcdefghiA' ? 1 : 0;
      expect(near(token), token).toHaveLength(expected);
    }
  });

  it('knows assignment syntax only right before the token', () => {
    expect(isAssignedToSecretName('AccessKeySecret=')).toBe(true);
    expect(isAssignedToSecretName('AccessKeySecret= x ')).toBe(false);
    expect(isAssignedToSecretName('AccessKeyId=')).toBe(false);
  });
});

describe('scanning arbitrary text', () => {
  it('never throws, and reports only real IDs and 30-character base62 tokens', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), fc.option(seed), (text, s) => {
        const withId = s === null ? text : `${text}\n${generateAccessKeyId(bytesRandom(s))}\n${text}`;
        for (const f of scanForAccessKeys(withId)) {
          const value = f.value.reveal();
          if (f.type === 'AccessKeyId') expect(isAccessKeyId(value)).toBe(true);
          else expect(value).toMatch(/^[0-9A-Za-z]{30}$/);
        }
      }),
    );
  });
});

describe('masking and binary content', () => {
  it('shows the first 8 and last 4 characters of an ID, and the first and last 2 of a secret', () => {
    expect(maskAccessKeyId('LTAIabcdefghijklmnopqrst')).toBe('LTAIabcd****qrst');
    expect(maskAccessKeySecret('abcdefghijklmnopqrstuvwxyz0123')).toBe('ab****23');
  });

  it('calls content binary when a NUL byte sits in its first 8000 bytes', () => {
    expect(isBinaryContent(Buffer.from('text\nonly'))).toBe(false);
    expect(isBinaryContent(Buffer.from('a\0b'))).toBe(true);
    const late = Buffer.alloc(9000, 0x61);
    late[8500] = 0;
    expect(isBinaryContent(late)).toBe(false);
  });
});
