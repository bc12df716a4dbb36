// The small languages inside a service document: host names, path prefixes, path templates and
// resource patterns. Each is read here once, by the parser (to refuse what is not valid, with the
// reason) and by the compiler (to match and substitute), so the two can never read one differently.

/** A reading of one small-language text: its parts, or why it is not valid (for the parser's message). */
export type Reading<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

function problem<T>(text: string): Reading<T> {
  return { ok: false, problem: text };
}

function reading<T>(value: T): Reading<T> {
  return { ok: true, value };
}

/** One DNS label: letters (lower case), digits and inner `-`, 1-63 characters. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOST_LENGTH = 253;

/**
 * A `Hosts` entry: a lower-case DNS name (`orders.example.com`; an IPv4 address reads as one too), or
 * `*.` and a domain of at least two labels (`*.orders.example.com`), which stands for one or more
 * labels in front of that domain and never for the domain itself.
 */
export function readHost(text: string): Reading<{ readonly wildcard: boolean; readonly name: string }> {
  if (text.includes('://'))
    return problem('must be a host name without a scheme, such as orders.example.com');
  if (text.includes(':'))
    return problem('must be a host name without a port (hosts are compared without one)');
  if (text.includes('/')) return problem('must be a host name without a path (put paths in PathPrefixes)');
  if (/[A-Z]/.test(text)) return problem('must be lower case');
  const wildcard = text.startsWith('*.');
  const name = wildcard ? text.slice(2) : text;
  if (name.length === 0 || name.length > MAX_HOST_LENGTH) {
    return problem(`must be a DNS name of 1 to ${String(MAX_HOST_LENGTH)} characters`);
  }
  if (name.includes('*')) return problem('may hold a wildcard only as its first label, as in *.example.com');
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) {
    return problem('is not a DNS name: labels of lower-case letters, digits and inner "-", joined by "."');
  }
  if (wildcard && labels.length < 2) {
    return problem(
      'must put its wildcard in front of a domain of at least two labels, such as *.example.com',
    );
  }
  return reading({ wildcard, name });
}

/**
 * The characters of a literal path segment: RFC 3986's unreserved characters and sub-delimiters,
 * `:` and `@`, unencoded (`%` is refused: a request's segments are compared after percent-decoding, so
 * a literal is written as the character it stands for). `*` is left out, so nothing reads as a pattern.
 */
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;
const MAX_PREFIX_LENGTH = 256;
const MAX_TEMPLATE_LENGTH = 512;

/** A path variable's name (`{OrderId}`), also the `${OrderId}` of a resource pattern. */
export const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

function literalSegmentProblem(segment: string): string | undefined {
  if (segment === '') return 'must not have an empty segment ("//")';
  if (segment === '.' || segment === '..') return 'must not have a "." or ".." segment';
  if (!LITERAL_SEGMENT.test(segment)) {
    return `has a segment ${JSON.stringify(segment.slice(0, 64))} with a character other than letters, digits and -._~!$&'()+,;=:@ (write characters themselves, not percent-encoded)`;
  }
  return undefined;
}

/**
 * A `PathPrefixes` entry: `/` and one or more literal segments, without a trailing `/`
 * (`/orders-api`, `/api/v2`). It matches a request path equal to it or going on with `/`, so
 * `/orders-api` matches `/orders-api/orders/1` and never `/orders-api2`. `/` alone is refused: leave
 * PathPrefixes out to match every path.
 */
export function readPathPrefix(text: string): Reading<readonly string[]> {
  if (!text.startsWith('/')) return problem('must start with "/"');
  if (text === '/') return problem('must not be "/" alone (leave PathPrefixes out to match every path)');
  if (text.length > MAX_PREFIX_LENGTH)
    return problem(`must be at most ${String(MAX_PREFIX_LENGTH)} characters`);
  if (text.endsWith('/')) return problem('must not end with "/"');
  const segments = text.slice(1).split('/');
  for (const segment of segments) {
    const p = literalSegmentProblem(segment);
    if (p) return problem(p);
  }
  return reading(segments);
}

export type TemplateSegment =
  { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'variable'; readonly name: string };

/**
 * An action's `Path`: `/` (the matched prefix itself, or the root when the service matched by host
 * only) or `/`-separated segments, each a literal or a whole `{Var}` (`/orders/{OrderId}/items`),
 * without a trailing `/`. Variable names are unique in the template and never `AccountId`.
 */
export function readPathTemplate(text: string): Reading<readonly TemplateSegment[]> {
  if (!text.startsWith('/')) return problem('must start with "/"');
  if (text.length > MAX_TEMPLATE_LENGTH)
    return problem(`must be at most ${String(MAX_TEMPLATE_LENGTH)} characters`);
  if (text === '/') return reading([]);
  if (text.endsWith('/'))
    return problem('must not end with "/" (a request with a trailing "/" matches it anyway)');
  const segments: TemplateSegment[] = [];
  const names = new Set<string>();
  for (const segment of text.slice(1).split('/')) {
    if (segment.startsWith('{') && segment.endsWith('}')) {
      const name = segment.slice(1, -1);
      if (!VARIABLE_NAME.test(name)) {
        return problem(
          `has a variable ${JSON.stringify(segment.slice(0, 64))} whose name is not a letter followed by letters and digits`,
        );
      }
      if (name === 'AccountId')
        return problem("must not name a variable AccountId (it is the caller's account ID)");
      if (names.has(name)) return problem(`names the variable {${name}} twice`);
      names.add(name);
      segments.push({ kind: 'variable', name });
      continue;
    }
    if (segment.includes('{') || segment.includes('}')) {
      return problem('may hold a variable only as a whole segment, as in /orders/{OrderId}');
    }
    const p = literalSegmentProblem(segment);
    if (p) return problem(p);
    segments.push({ kind: 'literal', text: segment });
  }
  return reading(segments);
}

export type ResourcePart =
  | { readonly kind: 'literal'; readonly text: string }
  /**
   * A variable. `inHead`: it stands in the ARN's service, region or account field, where a `:` in
   * its value would shift the fields after it (in the relative ID a `:` is only a character).
   */
  | { readonly kind: 'variable'; readonly name: string; readonly inHead: boolean };

const MAX_RESOURCE_LENGTH = 512;
const VARIABLE_AT = /\$\{([A-Za-z][A-Za-z0-9]{0,63})\}/y;
/**
 * `acs:<service>:<region>:<account>:<relative-id>` once each variable reads as `0`: the head of RAM's
 * ARNs (as the policy parser reads them), with `*` allowed as a whole field's wildcard value.
 */
const ARN = /^acs:[A-Za-z0-9_*-]+:[A-Za-z0-9_*-]*:[0-9*]*:(.+)$/;

/**
 * A `Resource` pattern: `*`, or an ARN of printable ASCII (no blanks, no `?`) in which `${AccountId}`
 * stands for the caller's account and `${Var}` for a path variable or a query parameter. Every `$`
 * starts a variable.
 */
export function readResourcePattern(text: string): Reading<readonly ResourcePart[]> {
  if (text.length === 0 || text.length > MAX_RESOURCE_LENGTH) {
    return problem(`must be 1 to ${String(MAX_RESOURCE_LENGTH)} characters`);
  }
  if (text === '*') return reading([{ kind: 'literal', text }]);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return problem('must be printable ASCII without blanks');
  }
  if (text.includes('?')) return problem('must not contain "?" (a resource names what the action acts on)');
  const parts: ResourcePart[] = [];
  let shape = '';
  let literalStart = 0;
  const flush = (end: number) => {
    if (end > literalStart) parts.push({ kind: 'literal', text: text.slice(literalStart, end) });
  };
  for (let at = text.indexOf('$'); at >= 0; at = text.indexOf('$', at)) {
    VARIABLE_AT.lastIndex = at;
    const m = VARIABLE_AT.exec(text);
    if (!m?.[1])
      return problem('has a "$" that does not start a variable ${Name} (a letter, then letters and digits)');
    flush(at);
    shape += text.slice(literalStart, at) + '0';
    // The ARN head is its first four `:`-separated fields; a variable before the fourth `:` is in it.
    const colonsBefore = shape.split(':').length - 1;
    parts.push({ kind: 'variable', name: m[1], inHead: colonsBefore < 4 });
    at += m[0].length;
    literalStart = at;
  }
  flush(text.length);
  shape += text.slice(literalStart);
  const arn = ARN.exec(shape);
  if (!arn) return problem('is not a resource; use * or acs:<service>:<region>:<account>:<relative-id>');
  return reading(parts);
}
