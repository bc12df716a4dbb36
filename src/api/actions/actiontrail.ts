// ActionTrail (2020-07-06): LookupEvents over the audit trail, and the AccessKey audit actions that
// answer "is this key used, for what, and from where?" (reference/alibaba-api.md 6.7 and 6.8).
import { DAY_MS, toWireDate } from '../../core/clock.js';
import { RamkeyError } from '../../core/errors/ramkey-error.js';
import { isAccessKeyId } from '../../core/keys/key-id.js';
import type { Caller } from '../../services/principal.js';
import type { Ramkey } from '../../services/ramkey.js';
import type {
  AccessKeyRecord,
  AuditEventQuery,
  KeyUsageGroup,
  KeyUsageGroupQuery,
} from '../../store/store.js';
import { decodeListMarker, encodeListMarker } from '../../core/list-marker.js';
import { anyResource } from '../authorization.js';
import type { Params } from '../params.js';
import type { Body } from '../render.js';
import type { ActionContext, ActionDef, Product } from './action.js';
import { actionTrailEvent } from '../../services/action-trail-event.js';

/** LookupEvents without a time range looks at the last 7 days, as ActionTrail does. */
const DEFAULT_LOOKUP_DAYS = 7;

// ---- parameters ----

function invalid(name: string): RamkeyError {
  return new RamkeyError('InvalidParameter', { params: [name] });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function time(params: Params, name: string): number | undefined {
  const value = params.optional(name);
  if (value === undefined) return undefined;
  const ms = ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalid(name);
  return ms;
}

/** An EndTime includes the whole unit it is given in: the minute of `10:00Z`, the second of `10:00:00Z`. */
function precisionOf(value: string): number {
  if (/T\d{2}:\d{2}(Z|[+-])/.test(value)) return 59_999;
  return /:\d{2}\.\d+/.test(value) ? 0 : 999;
}

/** What a NextToken (a list marker) says the next page starts after; a token not handed out is refused. */
function decodeToken(params: Params, pattern: RegExp): string | undefined {
  const token = params.optional('NextToken');
  if (token === undefined) return undefined;
  const value = decodeListMarker(token, 'InvalidParameter.NextToken');
  if (!pattern.test(value)) throw new RamkeyError('InvalidParameter.NextToken');
  return value;
}

/** The `AccessKey` the audit actions ask about (a key of the caller's account, live or deleted). */
function auditedKeyId({ params }: ActionContext): string {
  const id = params.required('AccessKey');
  if (id.length > 64 || !/^[A-Za-z0-9.]+$/.test(id)) throw invalid('AccessKey');
  // An ID that cannot exist is answered without a lookup, exactly like a missing key.
  if (!isAccessKeyId(id)) throw new RamkeyError('InvalidAccessKeyId.NotFound');
  return id;
}

function auditedKey(ctx: ActionContext): Promise<AccessKeyRecord> {
  return ctx.ramkey.accessKeys.inAccount(ctx.caller.principal.accountId, auditedKeyId(ctx));
}

/** `ServiceName`; a built-in service's code matches in any case (`ram` is `Ram`), as the API's do. */
function serviceFilter(params: Params): string | undefined {
  const service = params.optional('ServiceName');
  if (service === undefined) return undefined;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(service)) throw invalid('ServiceName');
  const lower = service.toLowerCase();
  return Object.keys(SERVICE_NAMES).find((name) => name.toLowerCase() === lower) ?? service;
}

// ---- LookupEvents ----

const LOOKUP_KEYS = [
  'EventAccessKeyId',
  'EventName',
  'ServiceName',
  'User',
  'EventRW',
  'EventId',
  // Ramkey extension: calls a network access policy in Audit mode would have denied (value WouldDeny).
  'AccessKeyPolicyAudit',
] as const;
type LookupKey = (typeof LOOKUP_KEYS)[number];
const MAX_LOOKUP_ATTRIBUTES = 5;

const LOOKUP_PARAMETER = /^LookupAttribute\.(\d{1,3})\.(Key|Value)$/;

function lookupFilters(params: Params): Partial<AuditEventQuery> {
  // Any LookupAttribute.N.* outside 1..5, or a Value without its Key, is refused rather than ignored.
  for (const name of params.names()) {
    const match = LOOKUP_PARAMETER.exec(name);
    if (!match && name.startsWith('LookupAttribute')) throw invalid(name);
    if (!match) continue;
    const n = Number(match[1]);
    if (n < 1 || n > MAX_LOOKUP_ATTRIBUTES) throw invalid(name);
    if (match[2] === 'Value' && params.optional(`LookupAttribute.${String(n)}.Key`) === undefined) {
      throw new RamkeyError('MissingParameter', { params: [`LookupAttribute.${String(n)}.Key`] });
    }
  }
  const filters: Partial<Record<LookupKey, string>> = {};
  for (let n = 1; n <= MAX_LOOKUP_ATTRIBUTES; n++) {
    const key = params.optional(`LookupAttribute.${String(n)}.Key`);
    if (key === undefined) continue;
    if (!(LOOKUP_KEYS as readonly string[]).includes(key) || Object.hasOwn(filters, key)) {
      throw invalid(`LookupAttribute.${String(n)}.Key`);
    }
    const value = params.required(`LookupAttribute.${String(n)}.Value`);
    if (value.length > 256) throw invalid(`LookupAttribute.${String(n)}.Value`);
    filters[key as LookupKey] = value;
  }
  const rw = filters.EventRW;
  if (rw !== undefined && rw !== 'Read' && rw !== 'Write') throw invalid('EventRW');
  const audit = filters.AccessKeyPolicyAudit;
  if (audit !== undefined && audit !== 'WouldDeny') throw invalid('AccessKeyPolicyAudit');
  return {
    ...(filters.EventAccessKeyId !== undefined && { accessKeyId: filters.EventAccessKeyId }),
    ...(filters.EventName !== undefined && { eventName: filters.EventName }),
    ...(filters.ServiceName !== undefined && { serviceName: filters.ServiceName }),
    ...(filters.User !== undefined && { userName: filters.User }),
    ...(rw !== undefined && { eventRw: rw }),
    ...(filters.EventId !== undefined && { eventId: filters.EventId }),
    ...(audit !== undefined && { accessKeyPolicyAudit: true as const }),
  };
}

const EVENT_TOKEN = /^(\d{1,15})\.([0-9a-f-]{36})$/;

async function lookupEvents({ ramkey, caller, params }: ActionContext): Promise<Body> {
  const start = time(params, 'StartTime');
  const end = time(params, 'EndTime');
  if ((start === undefined) !== (end === undefined)) {
    throw new RamkeyError('MissingParameter', { params: [start === undefined ? 'StartTime' : 'EndTime'] });
  }
  const endTime = end === undefined ? ramkey.clock.now() : end + precisionOf(params.required('EndTime'));
  const startTime = start ?? endTime - DEFAULT_LOOKUP_DAYS * DAY_MS;
  if (startTime > endTime) throw invalid('StartTime');
  const direction = params.optional('Direction') ?? 'BACKWARD';
  if (direction !== 'BACKWARD' && direction !== 'FORWARD') throw invalid('Direction');
  const limit = params.integer('MaxResults', { min: 1, max: 50, fallback: 20 }, 'InvalidParameter');
  const token = decodeToken(params, EVENT_TOKEN);
  const after = token === undefined ? undefined : EVENT_TOKEN.exec(token);

  // Ramkey extension: a resource directory's management account reads a member account's trail.
  const member = params.optional('MemberAccountId');
  const accountId =
    member === undefined
      ? caller.principal.accountId
      : await ramkey.directory.memberAccount(caller.principal.accountId, member);
  // One more than a page, to tell whether more follow a full page.
  const { events, next } = await ramkey.audit.lookup({
    accountId,
    startTime,
    endTime,
    direction,
    limit: limit + 1,
    ...lookupFilters(params),
    ...(after && { after: { eventTime: Number(after[1]), eventId: after[2] ?? '' } }),
  });
  const page = events.slice(0, limit);
  // After a full page, its last event; after a short one that stopped on the store's scan bound
  // (ActionTrail allows short pages), the last position examined, matching or not: either way the
  // next page starts right after what this one covered.
  const resume = events.length > limit ? page.at(-1) : next;
  return {
    Events: page.map(actionTrailEvent),
    ...(resume && { NextToken: encodeListMarker(`${String(resume.eventTime)}.${resume.eventId}`) }),
    StartTime: toWireDate(startTime),
    EndTime: toWireDate(endTime),
  };
}

// ---- AccessKey audit ----

const SERVICE_NAMES: Readonly<Record<string, { en: string; cn: string }>> = {
  Ram: { en: 'Resource Access Management', cn: '访问控制' },
  Ims: { en: 'Identity Management Service', cn: '身份管理服务' },
  Sts: { en: 'Security Token Service', cn: '安全令牌服务' },
  Actiontrail: { en: 'ActionTrail', cn: '操作审计' },
};

function serviceNames(service: string): Body {
  const names = SERVICE_NAMES[service];
  return { ServiceName: service, ServiceNameCn: names?.cn ?? service, ServiceNameEn: names?.en ?? service };
}

/** `Detail` of each group: its latest event as ActionTrail JSON ('' once retention purged it). */
async function details(ramkey: Ramkey, caller: Caller, groups: readonly { lastEventId: string }[]) {
  const events = await ramkey.audit.events(
    caller.principal.accountId,
    groups.map((g) => g.lastEventId),
  );
  const byId = new Map(events.map((e) => [e.eventId, JSON.stringify(actionTrailEvent(e))]));
  return (group: { lastEventId: string }) => byId.get(group.lastEventId) ?? '';
}

/** A group's place in the listing, `<last use>.<name>`: the next page starts after it. */
const GROUP_TOKEN = /^(\d{1,15})\.([\s\S]{1,256})$/;

/**
 * GetAccessKeyLastUsedProducts lists every service the key was used for, which are at most the
 * products Ramkey serves (four): this only bounds the read.
 */
const MAX_PRODUCTS = 100;

/** One page of groups after the NextToken's, read one more than the page to tell whether more follow. */
async function usagePage(
  ctx: ActionContext,
  read: (query: KeyUsageGroupQuery) => Promise<KeyUsageGroup[]>,
  item: (group: KeyUsageGroup, detail: string) => Body,
): Promise<{ items: Body[]; nextToken?: string }> {
  const size = ctx.params.integer('PageSize', { min: 0, max: 100, fallback: 20 }, 'InvalidParameter') || 20;
  const token = decodeToken(ctx.params, GROUP_TOKEN);
  const after = token === undefined ? undefined : GROUP_TOKEN.exec(token);
  const groups = await read({
    limit: size + 1,
    ...(after && { after: { lastUsedAt: Number(after[1]), name: after[2] ?? '' } }),
  });
  const page = groups.slice(0, size);
  const detail = await details(ctx.ramkey, ctx.caller, page);
  const last = groups.length > size ? page.at(-1) : undefined;
  return {
    items: page.map((g) => item(g, detail(g))),
    ...(last && { nextToken: encodeListMarker(`${String(last.lastUsedAt)}.${last.name}`) }),
  };
}

function usageFields(group: KeyUsageGroup, detail: string): Body {
  return {
    UsedTimestamp: group.lastUsedAt,
    Source: 'ManagementEvent',
    Detail: detail,
    // Ramkey extensions: when this use started, and how many calls it counts.
    FirstUsedTimestamp: group.firstUsedAt,
    CallCount: group.callCount,
  };
}

/**
 * One page of the key's usage (for `ServiceName`, or every service), grouped as `read` groups it:
 * the body of GetAccessKeyLastUsedIps and GetAccessKeyLastUsedEvents, whose list is called `list`.
 */
async function pagedUsage(
  ctx: ActionContext,
  list: string,
  read: (accountId: string, accessKeyId: string, query: KeyUsageGroupQuery) => Promise<KeyUsageGroup[]>,
  item: (name: string) => Body,
): Promise<Body> {
  const key = await auditedKey(ctx);
  const service = serviceFilter(ctx.params);
  const page = await usagePage(
    ctx,
    (query) =>
      read(key.accountId, key.accessKeyId, {
        ...query,
        ...(service !== undefined && { serviceName: service }),
      }),
    (g, detail) => ({ ...item(g.name), ...usageFields(g, detail) }),
  );
  return { [list]: page.items, ...(page.nextToken !== undefined && { NextToken: page.nextToken }) };
}

const actions: Record<string, ActionDef> = {
  LookupEvents: { rw: 'Read', resources: anyResource, handle: lookupEvents },

  GetAccessKeyLastUsedInfo: {
    rw: 'Read',
    resources: anyResource,
    async handle(ctx) {
      const { key, user } = await ctx.ramkey.accessKeys.owner(
        ctx.caller.principal.accountId,
        auditedKeyId(ctx),
      );
      // The most recently used service holds the key's last use.
      const [latest] = await ctx.ramkey.audit.keyUsageByService(key.accountId, key.accessKeyId, { limit: 1 });
      const detail = latest ? (await details(ctx.ramkey, ctx.caller, [latest]))(latest) : '';
      return {
        AccessKeyId: key.accessKeyId,
        AccountId: key.accountId,
        AccountType: key.userId === null ? 'root-account' : 'ram-user',
        UserName: key.userId === null ? 'root' : (user?.userName ?? ''),
        OwnerId: key.accountId,
        ...(latest && {
          ...serviceNames(latest.name),
          UsedTimestamp: latest.lastUsedAt,
          Source: 'ManagementEvent',
          Detail: detail,
        }),
      };
    },
  },

  GetAccessKeyLastUsedIps: {
    rw: 'Read',
    resources: anyResource,
    handle: (ctx) =>
      pagedUsage(
        ctx,
        'Ips',
        (...query) => ctx.ramkey.audit.keyUsageByIp(...query),
        (ip) => ({ Ip: ip }),
      ),
  },

  GetAccessKeyLastUsedProducts: {
    rw: 'Read',
    resources: anyResource,
    async handle(ctx) {
      const key = await auditedKey(ctx);
      const groups = await ctx.ramkey.audit.keyUsageByService(key.accountId, key.accessKeyId, {
        limit: MAX_PRODUCTS,
      });
      const detail = await details(ctx.ramkey, ctx.caller, groups);
      return { Products: groups.map((g) => ({ ...serviceNames(g.name), ...usageFields(g, detail(g)) })) };
    },
  },

  GetAccessKeyLastUsedEvents: {
    rw: 'Read',
    resources: anyResource,
    handle: (ctx) =>
      pagedUsage(
        ctx,
        'Events',
        (...query) => ctx.ramkey.audit.keyUsageByEvent(...query),
        (name) => ({ EventName: name }),
      ),
  },
};

export const actiontrail: Product = {
  version: '2020-07-06',
  service: 'Actiontrail',
  authPrefix: 'actiontrail',
  risk: 'standard',
  actions,
};
