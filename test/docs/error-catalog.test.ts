// The README's error table and the error catalog stay in step, in both directions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/core/errors/catalog.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Error codes'));
const rows = [...section.matchAll(/^\| `([A-Za-z.]+)` *\| (\d{3}) *\|/gm)].map(
  (m) => [m[1] ?? '', Number(m[2])] as const,
);

describe('README error table', () => {
  it('lists every catalog code with its HTTP status', () => {
    const documented = new Map(rows);
    for (const [code, entry] of Object.entries(catalog)) {
      expect(documented.get(code), code).toBe(entry.httpStatus);
    }
  });

  it('documents no code the catalog lacks, and none twice', () => {
    for (const [code] of rows) expect(Object.hasOwn(catalog, code), code).toBe(true);
    expect(new Set(rows.map(([code]) => code)).size).toBe(rows.length);
  });
});
