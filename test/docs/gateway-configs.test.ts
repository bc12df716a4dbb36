// The gateway configurations the README shows are the files in examples/, and the nginx one is what
// the forward-authentication suite runs (test/support/nginx.ts loads it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = (path: string) =>
  readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8').trimEnd();

describe("the README's gateway configurations", () => {
  it.each([
    ['nginx', 'nginx/ramkey-gateway.conf'],
    ['yaml', 'envoy/envoy.yaml'],
  ])('shows %s exactly as examples/%s has it', (language, path) => {
    expect(readme).toContain('```' + language + '\n' + example(path) + '\n```');
  });
});
