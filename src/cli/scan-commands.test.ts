import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from './exit-codes.js';
import { parseByteSize } from './scan-commands.js';

describe('--max-file-size', () => {
  it.each([
    ['4096', 4096],
    ['10MiB', 10 * 1024 * 1024],
    ['10 MB', 10 * 1024 * 1024],
    ['512k', 512 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['100b', 100],
  ])('reads %s as %d bytes (binary units)', (text, bytes) => {
    expect(parseByteSize(text, '--max-file-size')).toBe(bytes);
  });

  it.each(['0', '-1', '', 'MiB', '10XB', '1e3', '0.5', '10 MiBs'])('refuses %j as wrong usage', (text) => {
    expect(() => parseByteSize(text, '--max-file-size')).toThrow(CliError);
    try {
      parseByteSize(text, '--max-file-size');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(EXIT_USAGE);
    }
  });
});
