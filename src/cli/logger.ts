// The server's logger: pino, with redaction as a second line of defence (nothing secret is logged).
// JSON lines by default, for log collectors; `pretty` prints the same records as lines for people
// (pino-pretty), formatted after redaction, so both modes print exactly the same fields.
import pino from 'pino';

/** Paths that could carry secrets if an object holding them were ever logged. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.AccessKeySecret',
  '*.accessKeySecret',
  '*.secret',
  '*.password',
  '*.Password',
  '*.Signature',
  '*.sealedSecret',
];

export type LogFormat = 'json' | 'pretty';

/** RAMKEY_LOG_FORMAT: `json` (the default) or `pretty`; undefined for anything else. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  if (value === undefined || value === '' || value === 'json') return 'json';
  return value === 'pretty' ? 'pretty' : undefined;
}

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where lines go (default standard output, written synchronously). */
  destination?: { write(line: string): unknown };
  /** Colours in pretty mode (default: when standard output is a terminal that supports them). */
  colorize?: boolean;
}

/** The logger; pino-pretty is loaded for pretty mode only (every other command starts faster). */
export async function createLogger(options: LoggerOptions = {}): Promise<pino.Logger> {
  const settings: pino.LoggerOptions = {
    level: options.level ?? process.env.RAMKEY_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
  };
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  if ((options.format ?? 'json') === 'json') return pino(settings, out);
  const { prettyFactory } = await import('pino-pretty');
  const pretty = prettyFactory({
    ...(options.colorize !== undefined && { colorize: options.colorize }),
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return pino(settings, {
    write(line: string) {
      out.write(pretty(line));
    },
  });
}
