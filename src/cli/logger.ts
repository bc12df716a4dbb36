// The server's logger: pino, with redaction as a second line of defence (nothing secret is logged).
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

export function createLogger(level: string = process.env.RAMKEY_LOG_LEVEL ?? 'info'): pino.Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } });
}
