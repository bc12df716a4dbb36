// Response bodies in the protocol's two formats: JSON (the default) and XML.
import { RamkeyError } from '../core/errors/ramkey-error.js';

export type ResponseFormat = 'JSON' | 'XML';

export type Body = Record<string, unknown>;

/** `Format` may be absent, `JSON`, `json`, `XML` or `xml`; anything else is refused. */
export function parseFormat(value: string | undefined): ResponseFormat {
  if (value === undefined || value === '' || value === 'JSON' || value === 'json') return 'JSON';
  if (value === 'XML' || value === 'xml') return 'XML';
  throw new RamkeyError('InvalidParameter.Format', { params: [value.slice(0, 16)] });
}

export function contentType(format: ResponseFormat): string {
  return format === 'XML' ? 'text/xml;charset=utf-8' : 'application/json;charset=utf-8';
}

/** Serialises a body; `rootName` is the XML root element (`<Action>Response` or `Error`). */
export function serialize(body: Body, format: ResponseFormat, rootName: string): string {
  if (format === 'JSON') return JSON.stringify(body);
  return `<?xml version="1.0" encoding="UTF-8"?><${rootName}>${xmlChildren(body)}</${rootName}>`;
}

function xmlChildren(value: Body): string {
  let out = '';
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined || child === null) continue;
    // Lists are double-wrapped on the wire ({"Users":{"User":[...]}}): an array repeats its element.
    const items: unknown[] = Array.isArray(child) ? child : [child];
    for (const item of items) out += `<${name}>${xmlValue(item)}</${name}>`;
  }
  return out;
}

function xmlValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return xmlChildren(value as Body);
  if (typeof value === 'string') return escapeXml(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/**
 * Escapes markup, and replaces what XML 1.0 cannot carry at all (control characters other than tab,
 * LF and CR, lone surrogates, U+FFFE/U+FFFF) with U+FFFD, so that a caller-supplied value (say, in
 * an audit event) can never make a response unparsable.
 */
function escapeXml(text: string): string {
  return text
    .replace(/[<>&'"]/g, (c) => `&#${String(c.charCodeAt(0))};`)
    .replace(
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    );
}
