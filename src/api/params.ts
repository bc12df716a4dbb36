// Typed access to an action's request parameters, validating at the edge with catalog codes.
import type { ErrorCode } from '../core/errors/catalog.js';
import { RamkeyError, type Result } from '../core/errors/ramkey-error.js';

/** Throws the Result's catalog error, or returns its value. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new RamkeyError(result.code, result.params ? { params: result.params } : {});
  return result.value;
}

export class Params {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Every parameter name the request carries. */
  names(): string[] {
    return [...this.values.keys()];
  }

  /** The value, or undefined when absent. An empty value counts as absent, as Alibaba's gateway does. */
  optional(name: string): string | undefined {
    const value = this.values.get(name);
    return value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new RamkeyError('MissingParameter', { params: [name] });
    return value;
  }

  /** Optional value passed through a `parse*` validator. */
  parsed<T>(name: string, parse: (value: string) => Result<T>): T | undefined {
    const value = this.optional(name);
    return value === undefined ? undefined : unwrap(parse(value));
  }

  /** An optional integer within [min, max]; anything else raises `code`. */
  integer(name: string, range: { min: number; max: number; fallback: number }, code: ErrorCode): number {
    const value = this.optional(name);
    if (value === undefined) return range.fallback;
    // The name fills the message of codes that have a place for it (InvalidParameter's "{0}").
    const invalid = () => new RamkeyError(code, { params: [name] });
    if (!/^\d{1,7}$/.test(value)) throw invalid();
    const n = Number(value);
    if (n < range.min || n > range.max) throw invalid();
    return n;
  }
}
