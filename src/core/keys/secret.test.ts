import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from './secret.js';

describe('Secret', () => {
  // Security property: a secret that reaches a log line, an error message or a JSON body by mistake
  // shows up as [REDACTED], never in clear.
  it('never prints its value', () => {
    const secret = new Secret('s3cr3t-value');
    expect(String(secret)).toBe('[REDACTED]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[REDACTED]"}');
    expect(inspect({ secret })).not.toContain('s3cr3t');
    expect(secret.reveal()).toBe('s3cr3t-value');
  });
});
