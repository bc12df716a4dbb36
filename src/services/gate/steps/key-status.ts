// Gate step: the key is enabled. Runs after the nonce, so a disabled key used with its secret still
// counts as use (whoever sent the call holds the secret).
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import type { GateCheck } from '../gate-check.js';

export const keyStatusCheck: GateCheck = {
  name: 'keyStatus',
  check({ key }) {
    return key.status === 'Active' ? undefined : new RamkeyError('InvalidAccessKeyId.Inactive');
  },
};
