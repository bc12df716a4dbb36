import { describe, expect, it } from 'vitest';
import { serialize } from './render.js';

describe('serialize as XML', () => {
  it('escapes markup and replaces what XML 1.0 cannot carry, so that any value stays parsable', () => {
    const xml = serialize(
      { Value: 'a<b>&"\'\u0001\u001f\ufffe\ud800x\tline\nend', Nested: { List: ['1', '2'] } },
      'XML',
      'TestResponse',
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><TestResponse>' +
        '<Value>a&#60;b&#62;&#38;&#34;&#39;\ufffd\ufffd\ufffd\ufffdx\tline\nend</Value>' +
        '<Nested><List>1</List><List>2</List></Nested></TestResponse>',
    );
  });

  it('keeps a valid surrogate pair whole', () => {
    expect(serialize({ V: '😀' }, 'XML', 'R')).toContain('<V>😀</V>');
  });
});
