// systemPolicies: the built-in (PolicyType `System`) policies every account can attach, with their documents.
import { parsePolicyDocument } from './parse-policy-document.js';
import type { PolicyDocument } from './policy-document.js';
import { serializePolicyDocument } from './serialize-policy-document.js';

export interface SystemPolicy {
  readonly policyName: string;
  readonly description: string;
  /** System policies have one version, and it is the default. */
  readonly version: 'v1';
  /** The document text, as GetPolicy/GetPolicyVersion return it. */
  readonly policyDocument: string;
  /** The same document, parsed from that text. */
  readonly document: PolicyDocument;
}

/** Ramkey's own-key actions, under both API names (RAM 2015-05-01 and IMS 2019-08-15). */
const OWN_ACCESS_KEY_ACTIONS = [
  'CreateAccessKey',
  'ListAccessKeys',
  'UpdateAccessKey',
  'DeleteAccessKey',
  'GetAccessKeyLastUsed',
].flatMap((a) => [`ram:${a}`, `ims:${a}`]);

const DEFINITIONS: readonly { policyName: string; description: string; document: PolicyDocument }[] = [
  {
    policyName: 'AdministratorAccess',
    description: 'Provides full access to all services and resources.',
    document: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
  },
  {
    policyName: 'ReadOnlyAccess',
    description: 'Provides read-only access to all services and resources.',
    document: {
      Version: '1',
      // Every action whose read/write flag is Read, by that flag rather than by verbs in names: it
      // covers the actions of custom services (whose names Ramkey cannot guess) exactly as it covers
      // the built-in ones, and no Write action, however it is named (GenerateCredentialReport).
      Statement: [
        {
          Effect: 'Allow',
          Action: ['*'],
          Resource: ['*'],
          Condition: { StringEquals: { 'ramkey:ActionAccess': ['Read'] } },
        },
      ],
    },
  },
  {
    policyName: 'AliyunRAMFullAccess',
    description: 'Provides full access to Resource Access Management (RAM) and its IMS API.',
    document: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['ram:*', 'ims:*'], Resource: ['*'] }] },
  },
  {
    policyName: 'AliyunRAMReadOnlyAccess',
    description: 'Provides read-only access to Resource Access Management (RAM) and its IMS API.',
    document: {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['ram:Get*', 'ram:List*', 'ims:Get*', 'ims:List*'], Resource: ['*'] },
      ],
    },
  },
  {
    policyName: 'AliyunSTSAssumeRoleAccess',
    description: 'Provides access to call the AssumeRole operation of Security Token Service (STS).',
    document: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }] },
  },
  {
    policyName: 'RamkeyManageOwnAccessKeys',
    description:
      "Lets a RAM user create, list, enable, disable and delete its own AccessKeys, and no one else's.",
    // ${ram:UserName} is the calling user's name (see USER_NAME_VARIABLE): the statement matches only
    // when the request's resource is the caller's own user ARN, and never for root or role sessions,
    // which have no user name.
    document: {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: OWN_ACCESS_KEY_ACTIONS, Resource: ['acs:ram:*:*:user/${ram:UserName}'] },
      ],
    },
  },
];

function define(def: (typeof DEFINITIONS)[number]): SystemPolicy {
  const policyDocument = serializePolicyDocument(def.document, { pretty: true });
  const parsed = parsePolicyDocument(policyDocument);
  // Built-in text that does not parse is a bug in this file, caught by system-policies.test.ts.
  if (!parsed.ok) throw new Error(`system policy ${def.policyName} does not parse: ${String(parsed.params)}`);
  return Object.freeze({
    policyName: def.policyName,
    description: def.description,
    version: 'v1',
    policyDocument,
    document: parsed.value,
  });
}

/** The built-in policies by name (names are case-sensitive, as PolicyName is in RAM). */
export const systemPolicies: ReadonlyMap<string, SystemPolicy> = new Map(
  DEFINITIONS.map((def) => [def.policyName, define(def)]),
);
