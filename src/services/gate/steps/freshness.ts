// Gate step: the signed timestamp is within the allowed clock skew of the server's time.
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import { checkTimestamp } from '../../../core/signature/index.js';
import type { GateCheck } from '../gate-check.js';

export function freshnessCheck(maxClockSkewMs: number): GateCheck {
  return {
    name: 'freshness',
    check({ request, now }) {
      const fresh = checkTimestamp(request, now, maxClockSkewMs);
      return fresh.ok ? undefined : new RamkeyError(fresh.code, fresh.params ? { params: fresh.params } : {});
    },
  };
}
