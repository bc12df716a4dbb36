// STS (2015-04-01): GetCallerIdentity. Temporary credentials (AssumeRole) are not issued yet.
import { principalArn } from '../../services/principal.js';
import { anyResource } from '../authorization.js';
import type { ActionDef, Product } from './action.js';

const actions: Record<string, ActionDef> = {
  GetCallerIdentity: {
    rw: 'Read',
    resources: anyResource,
    // Any valid key may ask who it is, as on Alibaba Cloud.
    unrestricted: true,
    handle({ caller }) {
      const p = caller.principal;
      const id = p.kind === 'root' ? p.accountId : p.userId;
      return Promise.resolve({
        IdentityType: p.kind === 'root' ? 'Account' : 'RAMUser',
        AccountId: p.accountId,
        UserId: id,
        PrincipalId: id,
        Arn: principalArn(p),
      });
    },
  },
};

export const sts: Product = {
  version: '2015-04-01',
  service: 'Sts',
  authPrefix: 'sts',
  risk: 'standard',
  actions,
};
