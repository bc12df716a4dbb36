// The server's logger in both formats: JSON lines and pretty lines carry the same fields (the request
// ID among them), and redaction holds in both.
import { describe, expect, it } from 'vitest';
import { createLogger, parseLogFormat, type LogFormat } from './logger.js';

const SECRET = 'Zq7' + 'x'.repeat(27);

type Logger = Awaited<ReturnType<typeof createLogger>>;

async function capture(format: LogFormat): Promise<{ lines: string[]; log: Logger }> {
  const lines: string[] = [];
  const log = await createLogger({
    level: 'debug',
    format,
    colorize: false,
    destination: {
      write(chunk: string) {
        lines.push(...chunk.split('\n').filter(Boolean));
      },
    },
  });
  return { lines, log };
}

/** What a careless call site might hand the logger: a request ID, and a secret in a nested object. */
function logSomething(log: Logger): void {
  log.info(
    {
      reqId: 'B6E0A5F2-0000-4000-8000-000000000001',
      created: { AccessKeyId: 'LTAI5tExample', AccessKeySecret: SECRET },
      headers: { authorization: `ACS3-HMAC-SHA256 Credential=LTAI5tExample,Signature=${SECRET}` },
    },
    'request served',
  );
}

describe('createLogger', () => {
  it('writes JSON lines by default, redacted, with the request ID', async () => {
    const { lines, log } = await capture('json');
    logSomething(log);
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 30,
      msg: 'request served',
      reqId: 'B6E0A5F2-0000-4000-8000-000000000001',
      created: { AccessKeyId: 'LTAI5tExample', AccessKeySecret: '[REDACTED]' },
      headers: { authorization: '[REDACTED]' },
    });
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('writes lines for people in pretty mode, redacted the same way, with the request ID', async () => {
    const { lines, log } = await capture('pretty');
    logSomething(log);
    const text = lines.join('\n');
    // `[2026-12-01 10:00:00.000] INFO: request served`, then the fields, one per line.
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: request served$/);
    expect(() => JSON.parse(lines[0] ?? '') as unknown).toThrow();
    expect(text).toContain('reqId: "B6E0A5F2-0000-4000-8000-000000000001"');
    expect(text).toContain('"AccessKeySecret": "[REDACTED]"');
    expect(text).toContain('"authorization": "[REDACTED]"');
    expect(text).not.toContain(SECRET);
    // No colour codes when colours are off (a file, a pipe).
    expect(text).not.toContain('\u001b[');
  });

  it('leaves out what is below the level', async () => {
    const lines: string[] = [];
    const log = await createLogger({
      level: 'info',
      format: 'pretty',
      destination: { write: (l: string) => lines.push(l) },
    });
    log.debug('hidden');
    log.warn('shown');
    expect(lines.join('')).not.toContain('hidden');
    expect(lines.join('')).toContain('WARN: shown');
  });
});

describe('parseLogFormat', () => {
  it('takes json (the default) and pretty, and nothing else', () => {
    expect(parseLogFormat(undefined)).toBe('json');
    expect(parseLogFormat('')).toBe('json');
    expect(parseLogFormat('json')).toBe('json');
    expect(parseLogFormat('pretty')).toBe('pretty');
    expect(parseLogFormat('Pretty')).toBeUndefined();
    expect(parseLogFormat('yaml')).toBeUndefined();
  });
});
