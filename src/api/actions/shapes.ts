// Wire shapes shared by RAM and IMS responses.
import { toWireDate } from '../../core/clock.js';
import type { AccessKeyRecord, KeyRestrictionRecord, UserRecord } from '../../store/store.js';

export function userBody(user: UserRecord, options: { updateDate?: boolean } = {}): Record<string, string> {
  return {
    UserId: user.userId,
    UserName: user.userName,
    DisplayName: user.displayName,
    MobilePhone: user.mobilePhone,
    Email: user.email,
    Comments: user.comments,
    CreateDate: toWireDate(user.createdAt),
    ...(options.updateDate && { UpdateDate: toWireDate(user.updatedAt) }),
  };
}

/**
 * A key as listed: never the secret, not even sealed. With `lastUse`, also the Ramkey extension
 * fields LastUsedDate, LastUsedServiceName and LastUsedSourceIp ('' for a key never used), so that a
 * listing shows every key's last use without one call per key.
 */
export function accessKeyListItem(
  key: AccessKeyRecord,
  options: {
    updateDate?: boolean;
    lastUse?: boolean;
    /** Shows the leak restriction (Ramkey extension fields): the key's, or null when it has none. */
    restriction?: KeyRestrictionRecord | null;
  } = {},
): Record<string, string | boolean> {
  const restriction = options.restriction;
  return {
    AccessKeyId: key.accessKeyId,
    Status: key.status,
    CreateDate: toWireDate(key.createdAt),
    ...(options.updateDate && { UpdateDate: toWireDate(key.updatedAt) }),
    ...(options.lastUse && {
      LastUsedDate: lastUsedDate(key.lastUsedAt),
      LastUsedServiceName: key.lastUsedService ?? '',
      LastUsedSourceIp: key.lastUsedIp ?? '',
    }),
    ...(restriction !== undefined && { LeakRestricted: restriction !== null }),
    ...(restriction && {
      LeakRestrictedDate: toWireDate(restriction.restrictedAt),
      LeakRestrictionReason: restriction.reason,
      LeakRestrictionReporter: restriction.reporter,
    }),
  };
}

/** Never-used keys report an empty LastUsedDate (Alibaba's value for this case is undocumented). */
export function lastUsedDate(ms: number | null): string {
  return ms === null ? '' : toWireDate(ms);
}
