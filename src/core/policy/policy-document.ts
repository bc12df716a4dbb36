// The RAM policy document as Ramkey holds it after parsing: one normalized shape, wire names kept.

/**
 * The longest policy document accepted, in characters (Unicode code points): RAM's CreatePolicy and
 * CreatePolicyVersion limit (reference/alibaba-api.md section 1.3, "1–6,144 chars").
 */
export const MAX_POLICY_DOCUMENT_LENGTH = 6144;

/**
 * The one policy variable Ramkey knows, allowed only inside the relative ID of a `Resource` or
 * `NotResource` ARN. At evaluation it stands for the calling RAM user's name (`context.userName`).
 * RAM itself has no policy variables; this exists so that one built-in policy can say "your own
 * AccessKeys" (see `RamkeyManageOwnAccessKeys` in system-policies.ts).
 */
export const USER_NAME_VARIABLE = '${ram:UserName}';

export type Effect = 'Allow' | 'Deny';

/** Condition operators, in their canonical spelling (names are matched case-insensitively when parsed). */
export type ConditionOperator =
  | 'StringEquals'
  | 'StringNotEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringNotEqualsIgnoreCase'
  | 'StringLike'
  | 'StringNotLike'
  | 'NumericEquals'
  | 'NumericNotEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateNotEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'Bool'
  | 'IpAddress'
  | 'NotIpAddress';

/**
 * Condition keys, in their canonical spelling (matched case-insensitively when parsed). `acs:` keys are
 * RAM's; `ramkey:ActionAccess` is Ramkey's own: the called action's read/write flag (`Read` or
 * `Write`), which every action has, built-in or a custom service's, so that one statement can grant
 * every read (see `ReadOnlyAccess`).
 */
export type ConditionKey =
  | 'acs:SourceIp'
  | 'acs:CurrentTime'
  | 'acs:SecureTransport'
  | 'acs:MFAPresent'
  | 'acs:UserAgent'
  | 'ramkey:ActionAccess';

/**
 * `Condition`: operator → key → values. All operators must hold, and within an operator all keys;
 * the values of one key are alternatives (for a negated operator: the key must match none of them).
 * Values are kept as strings (`true`/`false` for Bool, the decimal text for numbers).
 */
export type PolicyCondition = Readonly<
  Partial<Record<ConditionOperator, Readonly<Partial<Record<ConditionKey, readonly string[]>>>>>
>;

type ActionElement =
  | { readonly Action: readonly string[]; readonly NotAction?: undefined }
  | { readonly NotAction: readonly string[]; readonly Action?: undefined };

type ResourceElement =
  | { readonly Resource: readonly string[]; readonly NotResource?: undefined }
  | { readonly NotResource: readonly string[]; readonly Resource?: undefined };

/**
 * One statement, normalized: list elements are always arrays (RAM accepts a single string as
 * equivalent to a one-element list), and exactly one of `Action`/`NotAction` and one of
 * `Resource`/`NotResource` is present.
 */
export type PolicyStatement = {
  readonly Effect: Effect;
  readonly Condition?: PolicyCondition;
} & ActionElement &
  ResourceElement;

/** A parsed policy document. `parsePolicyDocument` is the only way untrusted text becomes one. */
export interface PolicyDocument {
  readonly Version: '1';
  /** Never empty. */
  readonly Statement: readonly PolicyStatement[];
}
