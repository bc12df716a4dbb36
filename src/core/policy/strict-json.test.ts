// parseStrictJson: JSON.parse's values, minus duplicate keys and absurd nesting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonObject, parseStrictJson, type JsonValue } from './strict-json.js';

function toPlain(v: JsonValue): unknown {
  if (isJsonObject(v)) return Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]));
  if (Array.isArray(v)) return (v as readonly JsonValue[]).map(toPlain);
  return v;
}

describe('parseStrictJson', () => {
  it('reads every JSON text as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const r = parseStrictJson(text);
        if (!r.ok) throw new Error(r.message);
        expect(toPlain(r.value)).toEqual(JSON.parse(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses whatever JSON.parse refuses', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        if (!valid) expect(parseStrictJson(text).ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['{"a":1,"a":2}', 'duplicate key "a"'],
    ['{"a":1,"\\u0061":2}', 'duplicate key "a"'],
    ['[1,]', 'invalid JSON'],
    ['{"a":1}x', 'unexpected text after the document'],
    ['"\u0001"', 'control character in a string'],
    ['"\\x41"', 'invalid escape'],
    ['01', 'unexpected text after the document'],
    ['[', 'unexpected end of the document'],
  ])('refuses %j (%s)', (text, fragment) => {
    const r = parseStrictJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(fragment);
  });

  it('keeps __proto__ as an ordinary key', () => {
    const r = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(r.ok && r.value instanceof Map && r.value.has('__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than any policy needs', () => {
    expect(parseStrictJson('['.repeat(40) + ']'.repeat(40)).ok).toBe(false);
    expect(parseStrictJson('['.repeat(30) + ']'.repeat(30)).ok).toBe(true);
  });
});
