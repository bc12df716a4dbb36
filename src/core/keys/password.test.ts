import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../random.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';

describe('console passwords', () => {
  it('are stored as salted scrypt hashes that verify only the right password', async () => {
    const password = generatePassword(cryptoRandom);
    expect(password).toMatch(/^[0-9A-Za-z]{20}$/);
    const hash = await hashPassword(password, cryptoRandom);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hash).not.toContain(password);
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword(`${password}x`, hash)).toBe(false);
    expect(await hashPassword(password, cryptoRandom)).not.toBe(hash);
    expect(await verifyPassword(password, 'md5$abc')).toBe(false);
  });
});
