// Gate step: restrictive protection. A key marked as suspected leaked may no longer manage identities
// (every RAM and IMS action) nor call an action the operator lists as high-risk, or one a custom
// service's document marks `"Risk": "High"`, whatever its policies and source address; the rest
// (STS GetCallerIdentity, ActionTrail reads, a service's standard actions) keeps working, so that the
// workloads still using the key do not stop before it is rotated away.
import { asciiLower } from '../../../core/ascii-case.js';
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import type { GateCheck } from '../gate-check.js';

export function leakRestrictionCheck(highRiskActions: ReadonlySet<string>): GateCheck {
  return {
    name: 'leakRestriction',
    check({ key, action }) {
      if (!key.restricted) return undefined;
      return action.risk !== 'standard' || highRiskActions.has(asciiLower(action.authAction))
        ? new RamkeyError('Forbidden')
        : undefined;
    },
  };
}
