// encodeListMarker / decodeListMarker: the opaque paging markers handed out by list calls.
import { RamkeyError } from '../core/errors/ramkey-error.js';

// A marker is the base64url of the last listed sort key. It is opaque to clients; decoding checks it
// is canonical base64url of valid UTF-8, so a hand-made or truncated marker is refused rather than
// silently listing from some other place.

export function encodeListMarker(sortKey: string): string {
  return Buffer.from(sortKey, 'utf8').toString('base64url');
}

/** The sort key a marker stands for; throws RamkeyError('InvalidParameter.Marker') for anything else. */
export function decodeListMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new RamkeyError('InvalidParameter.Marker');
  const bytes = Buffer.from(marker, 'base64url');
  if (bytes.toString('base64url') !== marker) throw new RamkeyError('InvalidParameter.Marker');
  let sortKey: string;
  try {
    sortKey = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RamkeyError('InvalidParameter.Marker');
  }
  if (sortKey.length === 0) throw new RamkeyError('InvalidParameter.Marker');
  return sortKey;
}
