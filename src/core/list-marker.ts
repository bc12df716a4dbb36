// encodeListMarker / decodeListMarker: the opaque paging markers (Marker, NextToken) handed out by list calls.
import type { ErrorCode } from './errors/catalog.js';
import { RamkeyError } from './errors/ramkey-error.js';

// A marker is the base64url of the last listed sort key. It is opaque to clients; decoding checks it
// is canonical base64url of valid UTF-8, so a hand-made or truncated marker is refused rather than
// silently listing from some other place.

export function encodeListMarker(sortKey: string): string {
  return Buffer.from(sortKey, 'utf8').toString('base64url');
}

/**
 * The sort key a marker stands for; throws RamkeyError(`code`) for anything else (default
 * InvalidParameter.Marker; NextToken parameters pass InvalidParameter.NextToken).
 */
export function decodeListMarker(marker: string, code: ErrorCode = 'InvalidParameter.Marker'): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new RamkeyError(code);
  const bytes = Buffer.from(marker, 'base64url');
  if (bytes.toString('base64url') !== marker) throw new RamkeyError(code);
  let sortKey: string;
  try {
    sortKey = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RamkeyError(code);
  }
  if (sortKey.length === 0) throw new RamkeyError(code);
  return sortKey;
}
