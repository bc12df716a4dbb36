// The parsers under credential resolution: endpoints as users write them, and the Alibaba Cloud
// credentials file as @alicloud/credentials reads it.
import { describe, expect, it } from 'vitest';
import { maskAccessKeyId, parseCredentialsIni, parseEndpoint } from './credentials.js';
import { CliError } from './exit-codes.js';

describe('parseEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://ramkey.example.com', 'https://ramkey.example.com'],
    ['https://ramkey.example.com/', 'https://ramkey.example.com'],
    ['HTTP://Ramkey.Example.com:80', 'http://ramkey.example.com'],
    ['127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['localhost', 'http://localhost'],
    ['ramkey.internal:9000', 'http://ramkey.internal:9000'],
    ['[::1]:8080', 'http://[::1]:8080'],
    ['[::1]', 'http://[::1]'],
    [' 127.0.0.1:8080 ', 'http://127.0.0.1:8080'],
  ])('reads %s as %s (host:port means plain HTTP)', (text, origin) => {
    expect(parseEndpoint(text, 'test')).toBe(origin);
  });

  it.each([
    ['ftp://127.0.0.1', 'only http:// and https://'],
    ['http://127.0.0.1:8080/ramkey', 'no path'],
    ['127.0.0.1:8080/x', 'no path'],
    ['http://127.0.0.1?x=1', 'no path, query'],
    ['http://user:pw@127.0.0.1', 'no user name or password'],
    ['127.0.0.1:99999', 'not a URL'],
    ['::1:8080', 'IPv6 address in brackets'],
    ['', 'not a URL'],
  ])('refuses %s, saying why and where it came from (exit code 2)', (text, why) => {
    let error: unknown;
    try {
      parseEndpoint(text, 'RAMKEY_ENDPOINT');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toContain(`Invalid endpoint "${text}" (from RAMKEY_ENDPOINT)`);
    expect((error as CliError).message).toContain(why);
  });
});

describe('parseCredentialsIni', () => {
  it('reads sections, keys, comments and quoted values as the ini package does', () => {
    const sections = parseCredentialsIni(
      [
        '; written by hand',
        '[default]',
        'enable = true',
        'type = access_key',
        'access_key_id = LTAI0000000000000000abcd',
        'access_key_secret = "se=cret"',
        '',
        '# another',
        '[ project ]\r',
        'type=ecs_ram_role',
        "role_name='EcsRole'",
        'no equals sign here',
      ].join('\n'),
    );
    expect([...sections.keys()]).toEqual(['default', 'project']);
    expect(sections.get('default')).toEqual({
      enable: 'true',
      type: 'access_key',
      access_key_id: 'LTAI0000000000000000abcd',
      access_key_secret: 'se=cret',
    });
    expect(sections.get('project')).toEqual({ type: 'ecs_ram_role', role_name: 'EcsRole' });
  });

  it('ignores keys before the first section and merges a repeated section', () => {
    const sections = parseCredentialsIni('stray = 1\n[a]\nx = 1\n[a]\ny = 2\n');
    expect([...sections]).toEqual([['a', { x: '1', y: '2' }]]);
  });
});

describe('maskAccessKeyId', () => {
  it('keeps the prefix and the last four characters, enough to tell keys apart', () => {
    expect(maskAccessKeyId('LTAI0000000000000000abcd')).toBe('LTAI****abcd');
    expect(maskAccessKeyId('short')).toBe('****');
    expect(maskAccessKeyId('')).toBe('');
  });
});
