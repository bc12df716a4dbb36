// Wire shapes shared by RAM and IMS responses.
import { toWireDate } from '../../core/clock.js';
import type { AccessKeyRecord, UserRecord } from '../../store/store.js';

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
  options: { updateDate?: boolean; lastUse?: boolean } = {},
): Record<string, string> {
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
  };
}

/** Never-used keys report an empty LastUsedDate (Alibaba's value for this case is undocumented). */
export function lastUsedDate(ms: number | null): string {
  return ms === null ? '' : toWireDate(ms);
}
