// AccessKey network access restriction policies: Alibaba's AccessKeyPolicy document (parse, serialize),
// compiled once into address ranges, and the decision for one source address at key and account level.
//
// The document (reference/alibaba-api.md 2.2 and 6.5):
//   {"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.1","2001:db8::/32"]}]}
// `Status` is Active (enforced) or Inactive (off), plus Audit, a Ramkey extension: the policy is
// evaluated and what it would deny is recorded, but it refuses nothing. VPCWhiteList rules are
// refused: Ramkey has no VPCs, so a VPC rule could only ever look like an allowance that is not there.
// The parser fails closed like the RAM policy parser: any key it does not know is refused, not ignored.
import { fail, ok, type Result } from '../errors/ramkey-error.js';
import {
  isInIpRange,
  isValidIpRangeText,
  parseIpRange,
  type IpAddressBytes,
  type IpRange,
} from '../policy/ip-range.js';
import {
  isJsonObject,
  parseStrictJson,
  quote,
  type JsonObject,
  type JsonValue,
} from '../policy/strict-json.js';

/** Rules per target (the account, or one key): IMS GetAccountSummary's ConditionsPerAKPolicyQuota. */
export const MAX_ACCESS_KEY_POLICY_STATEMENTS = 8;
/** Addresses and CIDRs per rule: IMS GetAccountSummary's IPItemsPerAKPolicyQuota. */
export const MAX_ACCESS_KEY_POLICY_IP_ITEMS = 50;

export type AccessKeyPolicyStatus = 'Active' | 'Inactive' | 'Audit';

/** Which policy a decision came from. */
export type AccessKeyPolicyLevel = 'AccessKey' | 'Account';

export interface AccessKeyPolicyStatement {
  readonly type: 'ClassicWhiteList';
  /** IPv4/IPv6 addresses and CIDRs, as given (each checked by two parsers, see ip-range.ts). */
  readonly ipList: readonly string[];
}

export interface AccessKeyPolicy {
  readonly version: 1;
  readonly status: AccessKeyPolicyStatus;
  readonly statements: readonly AccessKeyPolicyStatement[];
}

/** "No policy": what a key or account that never had one answers (and how one is switched off). */
export const NO_ACCESS_KEY_POLICY: AccessKeyPolicy = Object.freeze({
  version: 1,
  status: 'Inactive',
  statements: Object.freeze([]),
});

const TOP_LEVEL_KEYS = new Set(['Version', 'Status', 'Statements']);
const STATEMENT_KEYS = new Set(['Type', 'Value', 'IPList']);
const STATUSES: ReadonlySet<string> = new Set<AccessKeyPolicyStatus>(['Active', 'Inactive', 'Audit']);

class Invalid extends Error {
  constructor(readonly result: Result<never>) {
    super('invalid AccessKeyPolicy');
  }
}

function refuse(...args: Parameters<typeof fail>): never {
  throw new Invalid(fail(...args));
}

/**
 * Parses an AccessKeyPolicy document. `Version` may be left out (the SDK's own examples omit it) and
 * is then 1; a rule's `Value` must be absent or empty for ClassicWhiteList, as Alibaba documents.
 *
 * @example
 * parseAccessKeyPolicy('{"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["10.0.0.0/8"]}]}');
 * // => { ok: true, value: { version: 1, status: 'Active', statements: [{ type: 'ClassicWhiteList', ipList: ['10.0.0.0/8'] }] } }
 */
export function parseAccessKeyPolicy(text: string): Result<AccessKeyPolicy> {
  const json = parseStrictJson(text);
  if (!json.ok) return fail('InvalidParameter.AccessKeyPolicy.Format', `invalid JSON: ${json.message}.`);
  try {
    return ok(toPolicy(json.value));
  } catch (e) {
    if (e instanceof Invalid) return e.result;
    throw e;
  }
}

function toPolicy(value: JsonValue): AccessKeyPolicy {
  if (!isJsonObject(value))
    refuse('InvalidParameter.AccessKeyPolicy.Format', 'the policy must be a JSON object.');
  rejectUnknownKeys(value, TOP_LEVEL_KEYS, 'the policy', 'Version, Status, Statements');
  const version = value.get('Version');
  if (version !== undefined && version !== 1 && version !== '1') {
    refuse('InvalidParameter.AccessKeyPolicy.Version');
  }
  const status = value.get('Status');
  if (typeof status !== 'string' || !STATUSES.has(status)) refuse('InvalidParameter.AccessKeyPolicy.Status');
  const statements = value.get('Statements');
  if (!Array.isArray(statements)) {
    refuse('InvalidParameter.AccessKeyPolicy.Statements', 'it must be an array of rules ([] for none).');
  }
  const rules = statements as readonly JsonValue[];
  if (rules.length > MAX_ACCESS_KEY_POLICY_STATEMENTS) {
    refuse(
      'InvalidParameter.AccessKeyPolicy.Statements',
      `it has ${rules.length} rules; at most ${MAX_ACCESS_KEY_POLICY_STATEMENTS} are allowed.`,
    );
  }
  return Object.freeze({
    version: 1,
    status: status as AccessKeyPolicyStatus,
    statements: Object.freeze(rules.map((rule, i) => toStatement(rule, `Statements[${i}]`))),
  });
}

function toStatement(value: JsonValue, path: string): AccessKeyPolicyStatement {
  if (!isJsonObject(value)) refuse('InvalidParameter.AccessKeyPolicy.Format', `${path} must be an object.`);
  rejectUnknownKeys(value, STATEMENT_KEYS, path, 'Type, Value, IPList');
  const type = value.get('Type');
  if (type === 'VPCWhiteList') refuse('InvalidParameter.AccessKeyPolicy.VPCWhiteList', path);
  if (type !== 'ClassicWhiteList') {
    refuse('InvalidParameter.AccessKeyPolicy.Type', path, typeof type === 'string' ? quote(type) : 'missing');
  }
  const tag = value.get('Value');
  if (tag !== undefined && tag !== '') {
    refuse(
      'InvalidParameter.AccessKeyPolicy.Format',
      `${path}.Value must be empty for a ClassicWhiteList rule.`,
    );
  }
  const list = value.get('IPList');
  if (!Array.isArray(list))
    refuse('InvalidParameter.AccessKeyPolicy.IPList', path, 'it must be an array of addresses.');
  const items = list as readonly JsonValue[];
  if (items.length === 0) refuse('InvalidParameter.AccessKeyPolicy.IPList', path, 'it lists no address.');
  if (items.length > MAX_ACCESS_KEY_POLICY_IP_ITEMS) {
    refuse(
      'InvalidParameter.AccessKeyPolicy.IPList',
      path,
      `it has ${items.length} entries; at most ${MAX_ACCESS_KEY_POLICY_IP_ITEMS} are allowed.`,
    );
  }
  const ipList = items.map((item, i) => {
    if (typeof item !== 'string' || !isValidIpRangeText(item)) {
      const shown =
        typeof item === 'string'
          ? quote(item)
          : isJsonObject(item)
            ? 'an object'
            : Array.isArray(item)
              ? 'an array'
              : JSON.stringify(item);
      refuse(
        'InvalidParameter.AccessKeyPolicy.IPList',
        path,
        `entry ${i} (${shown}) is not an IPv4 or IPv6 address or CIDR.`,
      );
    }
    return item;
  });
  return Object.freeze({ type: 'ClassicWhiteList', ipList: Object.freeze(ipList) });
}

function rejectUnknownKeys(object: JsonObject, allowed: ReadonlySet<string>, path: string, expected: string) {
  for (const key of object.keys()) {
    if (!allowed.has(key)) {
      refuse(
        'InvalidParameter.AccessKeyPolicy.Format',
        `${path} has an unknown key ${quote(key)} (expected ${expected}).`,
      );
    }
  }
}

/** The document as the API returns it (a JSON string inside the response), in Alibaba's field names. */
export function serializeAccessKeyPolicy(policy: AccessKeyPolicy): string {
  return JSON.stringify({
    Version: policy.version,
    Status: policy.status,
    Statements: policy.statements.map((s) => ({ Type: s.type, IPList: s.ipList })),
  });
}

/** A policy that is on (Active or Audit), compiled once into ranges for the hot path. */
export interface CompiledAccessKeyPolicy {
  /** Active refuses what it does not allow; Audit only records it. */
  readonly enforced: boolean;
  readonly level: AccessKeyPolicyLevel;
  /** Whether the address (undefined: not an address at all) lies in some rule's IPList. */
  allows(address: IpAddressBytes | undefined): boolean;
}

/** The policy compiled for `level`; undefined when Inactive (it plays no part in any decision). */
export function compileAccessKeyPolicy(
  policy: AccessKeyPolicy,
  level: AccessKeyPolicyLevel,
): CompiledAccessKeyPolicy | undefined {
  if (policy.status === 'Inactive') return undefined;
  const ranges: IpRange[] = [];
  for (const statement of policy.statements) {
    for (const text of statement.ipList) {
      const range = parseIpRange(text);
      // Only parsed documents reach here; an entry that no longer parses allows nothing (fail closed).
      if (range) ranges.push(range);
    }
  }
  return Object.freeze({
    enforced: policy.status === 'Active',
    level,
    allows(address: IpAddressBytes | undefined): boolean {
      // Not an address (a trusted proxy's garbage X-Forwarded-For): no rule can allow it.
      if (address === undefined) return false;
      for (const range of ranges) if (isInIpRange(address, range)) return true;
      return false;
    },
  });
}

/**
 * What the policies make of one source address. `deny` refuses the call; `audit` lets it through and
 * records that an Audit-mode policy would have denied it.
 */
export type NetworkDecision =
  | { readonly outcome: 'allow' }
  | { readonly outcome: 'deny' | 'audit'; readonly level: AccessKeyPolicyLevel };

// Preallocated: deciding allocates nothing.
const ALLOW: NetworkDecision = Object.freeze({ outcome: 'allow' });
const DENY: Readonly<Record<AccessKeyPolicyLevel, NetworkDecision>> = Object.freeze({
  AccessKey: Object.freeze({ outcome: 'deny', level: 'AccessKey' }),
  Account: Object.freeze({ outcome: 'deny', level: 'Account' }),
});
const AUDIT: Readonly<Record<AccessKeyPolicyLevel, NetworkDecision>> = Object.freeze({
  AccessKey: Object.freeze({ outcome: 'audit', level: 'AccessKey' }),
  Account: Object.freeze({ outcome: 'audit', level: 'Account' }),
});

/**
 * The decision for a call with a key whose own policy is `key` and whose account's is `account`
 * (each undefined when Inactive or never set), from `address`. As on Alibaba Cloud, an Active
 * key-level policy replaces the account-level one for that key; otherwise the account-level one
 * applies; with neither, any source is allowed; Active but empty denies every source.
 *
 * Audit mode never changes what is refused: a key-level policy in Audit does not replace an Active
 * account-level one (which keeps enforcing) but does take the place of an account-level one in Audit,
 * so a key's trial is recorded against its own rules only.
 */
export function decideNetworkAccess(
  key: CompiledAccessKeyPolicy | undefined,
  account: CompiledAccessKeyPolicy | undefined,
  address: IpAddressBytes | undefined,
): NetworkDecision {
  if (key?.enforced) return key.allows(address) ? ALLOW : DENY.AccessKey;
  const keyWouldDeny = key !== undefined && !key.allows(address);
  if (account?.enforced && !account.allows(address)) return DENY.Account;
  if (keyWouldDeny) return AUDIT.AccessKey;
  if (key === undefined && account !== undefined && !account.enforced && !account.allows(address)) {
    return AUDIT.Account;
  }
  return ALLOW;
}
