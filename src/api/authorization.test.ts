import { describe, expect, it } from 'vitest';
import { products } from './app.js';
import { actionResources, resourceOf } from './authorization.js';
import { Params } from './params.js';

describe('the authorization table', () => {
  // Security property: an action without an entry could not be authorized correctly.
  it('has an entry for every dispatched action, and none for actions that do not exist', () => {
    const dispatched = products.flatMap((p) => Object.keys(p.actions).map((a) => `${p.authPrefix}:${a}`));
    for (const action of dispatched) expect(Object.hasOwn(actionResources, action), action).toBe(true);
    expect(Object.keys(actionResources).sort()).toEqual([...dispatched].sort());
  });

  it('names the user a key action addresses, or the caller itself', () => {
    const scope = (params: Record<string, string>, callerUserName?: string) => ({
      accountId: '1234567890123456',
      callerUserName,
      params: new Params(new Map(Object.entries(params))),
    });
    expect(resourceOf('ram:CreateAccessKey', scope({ UserName: 'app-1' }, 'ops'))).toBe(
      'acs:ram:*:1234567890123456:user/app-1',
    );
    expect(resourceOf('ram:CreateAccessKey', scope({}, 'ops'))).toBe('acs:ram:*:1234567890123456:user/ops');
    expect(
      resourceOf('ims:ListAccessKeys', scope({ UserPrincipalName: 'x@6543210987654321.onaliyun.com' })),
    ).toBe('acs:ram:*:6543210987654321:user/x');
    expect(resourceOf('ram:AttachPolicyToGroup', scope({ GroupName: 'ops' }))).toBe(
      'acs:ram:*:1234567890123456:group/ops',
    );
    expect(() => resourceOf('ram:Nope', scope({}))).toThrow();
  });
});
