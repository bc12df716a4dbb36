// The README's supported-actions table and the action registry list the same actions, in both directions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/api/registry.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Supported actions'));
const table = section.slice(0, section.indexOf('\n\n', section.indexOf('|')));

/** `Product (\`version\`) [what]` rows; other rows (the extensions summary) are prose. */
const PRODUCT_ROW = /^\| ([A-Za-z]+) \(`(\d{4}-\d{2}-\d{2})`\)[^|]*\| (.*) \|$/;

/** The names a cell lists: notes in parentheses and the remarks after `;` are not actions. */
function listedNames(cell: string): string[] {
  let text = cell;
  for (let prev = ''; prev !== text;) {
    prev = text;
    text = text.replace(/\([^()]*\)/g, '');
  }
  return (text.split(';')[0] ?? '').split(',').map((item) => {
    const name = /^`([A-Za-z]+)`$/.exec(item.trim())?.[1];
    if (name === undefined) throw new Error(`not an action name in the README's table: "${item.trim()}"`);
    return name;
  });
}

const documented = table
  .split('\n')
  .map((line) => PRODUCT_ROW.exec(line))
  .filter((m) => m !== null)
  .flatMap(([, product = '', version = '', cell = '']) =>
    listedNames(cell).map((name) => ({ product: product.toLowerCase(), version, name })),
  );

const key = (a: { version: string; name: string }) => `${a.version} ${a.name}`;

describe("README's supported-actions table", () => {
  it('lists every registered action under its product and version', () => {
    const listed = new Set(documented.map(key));
    const missing = registry.filter((a) => !listed.has(key(a))).map(key);
    expect(missing).toEqual([]);
  });

  it('lists no action the registry lacks, none twice, and each under its own product', () => {
    const registered = new Map(registry.map((a) => [key(a), a]));
    const unknown = documented.filter((d) => !registered.has(key(d))).map(key);
    expect(unknown).toEqual([]);
    expect(new Set(documented.map(key)).size).toBe(documented.length);
    for (const d of documented) expect(d.product, key(d)).toBe(registered.get(key(d))?.service.toLowerCase());
  });
});
