// EvaluationState: one request, prepared once per evaluation (case-folded, source IP parsed on demand).
import type { AuthorizationRequest } from './decision.js';
import { parseIpAddress, type IpAddressBytes } from './ip-range.js';
import { asciiLower } from '../ascii-case.js';

/**
 * Three-valued truth for matching. `UNKNOWN` arises when a statement needs something the request does
 * not carry (a condition key, the user name for `${ram:UserName}`); the statement's effect then decides
 * which way it falls, always toward denying (see `StatementMatcher.appliesToCoveredAction`).
 */
export const FALSE = 0;
export const TRUE = 1;
export const UNKNOWN = 2;
export type Tri = typeof FALSE | typeof TRUE | typeof UNKNOWN;

/** The request as it may really arrive: typed callers are trusted for nothing at runtime. */
type LooseContext = { readonly [K in keyof AuthorizationRequest['context']]?: unknown };

const EMPTY_CONTEXT: LooseContext = Object.freeze({});

export class EvaluationState {
  /**
   * Whether the request names an action and a resource at all (non-empty strings). One that does not
   * is a caller's bug; it gets `noMatch` rather than being matched as the empty string, which `*`
   * would allow.
   */
  readonly isWellFormed: boolean;
  /** The action, lower-cased (actions match case-insensitively, as in RAM). */
  readonly action: string;
  /** The action and its aliases, lower-cased: the names a statement's Action may cover it by. */
  readonly actionNames: readonly string[];
  /** The resource, lower-cased (see compile-policies.ts for why resources fold case too). */
  readonly resource: string;
  readonly context: LooseContext;
  private sourceIpDone = false;
  private sourceIpBytes: IpAddressBytes | undefined;

  /** Takes the request as `unknown`: whatever arrives, evaluation must not throw. */
  constructor(request: unknown) {
    const loose: {
      readonly action?: unknown;
      readonly actionAliases?: unknown;
      readonly resource?: unknown;
      readonly context?: unknown;
    } = typeof request === 'object' && request !== null ? request : {};
    this.action = typeof loose.action === 'string' ? asciiLower(loose.action) : '';
    const aliases = Array.isArray(loose.actionAliases)
      ? loose.actionAliases.filter((a): a is string => typeof a === 'string' && a !== '').map(asciiLower)
      : [];
    this.actionNames = aliases.length === 0 ? [this.action] : [this.action, ...aliases];
    this.resource = typeof loose.resource === 'string' ? canonicalResource(asciiLower(loose.resource)) : '';
    this.context =
      typeof loose.context === 'object' && loose.context !== null ? loose.context : EMPTY_CONTEXT;
    this.isWellFormed = this.action !== '' && this.resource !== '';
  }

  /** `acs:SourceIp` as 16 bytes, or `undefined` when absent or not an address (the key is then unknown). */
  get sourceIp(): IpAddressBytes | undefined {
    if (!this.sourceIpDone) {
      const ip = this.context.sourceIp;
      this.sourceIpBytes = typeof ip === 'string' ? parseIpAddress(ip) : undefined;
      this.sourceIpDone = true;
    }
    return this.sourceIpBytes;
  }

  /** `acs:CurrentTime` in milliseconds, or `undefined`. */
  get currentTimeMs(): number | undefined {
    const t = this.context.currentTime;
    return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
  }

  boolean(name: 'secureTransport' | 'mfaPresent'): boolean | undefined {
    const b = this.context[name];
    return typeof b === 'boolean' ? b : undefined;
  }

  get userAgent(): string | undefined {
    const ua = this.context.userAgent;
    return typeof ua === 'string' ? ua : undefined;
  }

  /** `ramkey:ActionAccess`: `Read` or `Write`; `undefined` for anything else (the key is then unknown). */
  get actionAccess(): string | undefined {
    const access = this.context.actionAccess;
    return access === 'Read' || access === 'Write' ? access : undefined;
  }

  /**
   * The value `${ram:UserName}` becomes, lower-cased; `undefined` when there is no usable name. A name
   * containing `*` or `?` is unusable: substituted, it would act as a wildcard and widen the pattern.
   */
  get userNameForResource(): string | undefined {
    const name = this.context.userName;
    if (typeof name !== 'string' || name === '' || name.includes('*') || name.includes('?')) return undefined;
    return asciiLower(name);
  }
}

/**
 * A request names one concrete resource, so a `*` region in it (`acs:ram:*:123:user/x`, the older RAM
 * form) can only mean "no region": it becomes empty (`acs:ram::123:user/x`, the current form). Both
 * spellings of a policy's pattern then match it: `acs:ram::123:user/x` exactly, `acs:ram:*:123:user/x`
 * through its wildcard. Left as a literal `*`, a Deny written in the current form would miss it.
 */
function canonicalResource(resource: string): string {
  if (!resource.startsWith('acs:')) return resource;
  const serviceEnd = resource.indexOf(':', 4);
  if (serviceEnd < 0 || !resource.startsWith('*:', serviceEnd + 1)) return resource;
  return resource.slice(0, serviceEnd + 1) + resource.slice(serviceEnd + 2);
}
