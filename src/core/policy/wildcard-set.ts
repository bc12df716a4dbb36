// WildcardSet: `*`/`?` patterns compiled once into set lookups, prefix tests and segment matchers.
//
// No RegExp is built from policy text. A pattern is cut at its stars into fixed-length segments (which
// may hold `?`); the first must match at the start, the last at the end, and each middle one at its
// leftmost place after the previous. Leftmost is always safe because segments have fixed lengths, so
// there is no backtracking: a hostile pattern like `a*a*a*a*b` costs O(pattern × value) at worst.

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?

/** A pattern with at least one wildcard, cut at its stars. */
export class Glob {
  private readonly segments: readonly string[];
  /** Per segment: does it contain `?` (if not, native `indexOf`/`startsWith` do the work). */
  private readonly wild: readonly boolean[];
  private readonly minLength: number;

  constructor(pattern: string) {
    this.segments = pattern.split('*');
    this.wild = this.segments.map((s) => s.includes('?'));
    this.minLength = this.segments.reduce((n, s) => n + s.length, 0);
  }

  matches(value: string): boolean {
    const segs = this.segments;
    const n = segs.length;
    if (value.length < this.minLength) return false;
    const first = segs[0] ?? '';
    if (n === 1) return value.length === first.length && this.matchAt(0, value, 0);
    if (!this.matchAt(0, value, 0)) return false;
    const last = segs[n - 1] ?? '';
    const end = value.length - last.length;
    if (!this.matchAt(n - 1, value, end)) return false;
    let pos = first.length;
    for (let i = 1; i < n - 1; i++) {
      const seg = segs[i] ?? '';
      if (seg === '') continue;
      const at = this.find(i, value, pos, end - seg.length);
      if (at < 0) return false;
      pos = at + seg.length;
    }
    return pos <= end;
  }

  /** Whether segment `i` matches `value` at `at` (`?` matches any one code unit). */
  private matchAt(i: number, value: string, at: number): boolean {
    const seg = this.segments[i] ?? '';
    if (!this.wild[i]) return value.startsWith(seg, at);
    for (let j = 0; j < seg.length; j++) {
      const c = seg.charCodeAt(j);
      if (c !== QUESTION && c !== value.charCodeAt(at + j)) return false;
    }
    return true;
  }

  /** The leftmost position in [from, last] where segment `i` matches, or -1. */
  private find(i: number, value: string, from: number, last: number): number {
    if (last < from) return -1;
    if (!this.wild[i]) {
      const at = value.indexOf(this.segments[i] ?? '', from);
      return at >= 0 && at <= last ? at : -1;
    }
    for (let at = from; at <= last; at++) if (this.matchAt(i, value, at)) return at;
    return -1;
  }
}

/**
 * Whether `value` matches `pattern`, where `*` matches any sequence (also empty) and `?` exactly one
 * UTF-16 code unit; every other character matches itself. There is no escape: RAM patterns have none.
 */
export function matchesWildcard(pattern: string, value: string): boolean {
  return hasWildcard(pattern) ? new Glob(pattern).matches(value) : pattern === value;
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

const NONE: readonly never[] = Object.freeze([]);

/** Up to this many exact patterns are compared one by one; beyond it a Set is cheaper. */
const SMALL = 8;

/** A compiled list of patterns; `matches` is true when any pattern matches. */
export class WildcardSet {
  /** Some pattern is `*` alone (or only stars): everything matches. */
  private readonly any: boolean;
  private readonly exact: readonly string[] | ReadonlySet<string>;
  /** Patterns of the form `literal*`. */
  private readonly prefixes: readonly string[];
  private readonly globs: readonly Glob[];

  /**
   * @param patterns the patterns, already case-folded by the caller when matching is case-insensitive
   *   (the caller folds the value the same way, once per request).
   */
  constructor(patterns: readonly string[]) {
    let any = false;
    const exact: string[] = [];
    const prefixes: string[] = [];
    const globs: Glob[] = [];
    for (const pattern of patterns) {
      if (!hasWildcard(pattern)) {
        exact.push(pattern);
        continue;
      }
      let end = pattern.length;
      while (end > 0 && pattern.charCodeAt(end - 1) === STAR) end--;
      const body = pattern.slice(0, end);
      if (body === '') any = true;
      else if (!hasWildcard(body)) prefixes.push(body);
      else globs.push(new Glob(pattern));
    }
    // Empty lists share one frozen array: a compiled policy set holds many of these.
    this.any = any;
    this.exact = exact.length > SMALL ? new Set(exact) : exact.length > 0 ? exact : NONE;
    this.prefixes = prefixes.length > 0 ? prefixes : NONE;
    this.globs = globs.length > 0 ? globs : NONE;
  }

  matches(value: string): boolean {
    if (this.any) return true;
    const exact = this.exact;
    if (Array.isArray(exact) ? exact.includes(value) : (exact as ReadonlySet<string>).has(value)) return true;
    for (const prefix of this.prefixes) if (value.startsWith(prefix)) return true;
    for (const glob of this.globs) if (glob.matches(value)) return true;
    return false;
  }
}
