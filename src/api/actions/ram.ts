// RAM (2015-05-01): users and their AccessKeys; with the permission and custom service actions, RAM's table.
import {
  parseComments,
  parseDisplayName,
  parseEmail,
  parseMobilePhone,
  parseUserName,
} from '../../core/identity/validate.js';
import { unwrap, type Params } from '../params.js';
import { anyResource, keyOwner, on, user } from '../authorization.js';
import type { ActionContext, ActionDef, FactsLookup, Product } from './action.js';
import { permissionActions } from './ram-permissions.js';
import { serviceActions } from './services.js';
import { accessKeyActions } from './access-key-actions.js';
import { loginProfileActions } from './login-profiles.js';
import { ramMfaActions } from './mfa-devices.js';
import { callerAsOwner, userAsOwner } from './owner.js';
import { userBody } from './shapes.js';

function userName(params: Params): string {
  return unwrap(parseUserName(params.required('UserName')));
}

/** Keys of `UserName` when given, else the caller's own. */
async function owner({ ramkey, caller, params }: ActionContext) {
  const name = params.parsed('UserName', parseUserName);
  return name === undefined ? callerAsOwner(caller) : userAsOwner(ramkey, caller, name);
}

const actions: Record<string, ActionDef> = {
  CreateUser: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      const user = await ramkey.identity.createUser(caller.principal.accountId, {
        userName: userName(params),
        ...optionalFields(params),
      });
      return { User: userBody(user) };
    },
  },
  GetUser: {
    rw: 'Read',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      const user = await ramkey.identity.getUser(caller.principal.accountId, userName(params));
      return { User: { ...userBody(user, { updateDate: true }), LastLoginDate: '' } };
    },
  },
  UpdateUser: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      const newDisplayName = params.parsed('NewDisplayName', (v) => parseDisplayName(v, 'NewDisplayName'));
      const newEmail = params.parsed('NewEmail', (v) => parseEmail(v, 'NewEmail'));
      const newMobilePhone = params.parsed('NewMobilePhone', (v) => parseMobilePhone(v, 'NewMobilePhone'));
      const newComments = params.parsed('NewComments', (v) => parseComments(v, 'NewComments'));
      const newUserName = params.parsed('NewUserName', (v) => parseUserName(v, 'NewUserName'));
      const user = await ramkey.identity.updateUser(caller.principal.accountId, userName(params), {
        ...(newUserName !== undefined && { newUserName }),
        ...(newDisplayName !== undefined && { newDisplayName }),
        ...(newEmail !== undefined && { newEmail }),
        ...(newMobilePhone !== undefined && { newMobilePhone }),
        ...(newComments !== undefined && { newComments }),
      });
      return { User: userBody(user, { updateDate: true }) };
    },
  },
  ListUsers: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const maxItems = params.integer(
        'MaxItems',
        { min: 1, max: 1000, fallback: 100 },
        'InvalidParameter.MaxItems',
      );
      const marker = params.optional('Marker');
      const page = await ramkey.identity.listUsers(caller.principal.accountId, {
        maxItems,
        ...(marker !== undefined && { marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Users: { User: page.items.map((u) => userBody(u, { updateDate: true })) },
      };
    },
  },
  DeleteUser: {
    rw: 'Write',
    resources: on(user),
    async handle({ ramkey, caller, params }) {
      await ramkey.identity.deleteUser(caller.principal.accountId, userName(params));
      return {};
    },
  },
  ...accessKeyActions({ owner, resources: on(keyOwner), ims: false }),
};

function optionalFields(params: Params) {
  const displayName = params.parsed('DisplayName', parseDisplayName);
  const email = params.parsed('Email', parseEmail);
  const mobilePhone = params.parsed('MobilePhone', parseMobilePhone);
  const comments = params.parsed('Comments', parseComments);
  return {
    ...(displayName !== undefined && { displayName }),
    ...(email !== undefined && { email }),
    ...(mobilePhone !== undefined && { mobilePhone }),
    ...(comments !== undefined && { comments }),
  };
}

/** RAM; its policy simulator looks up the facts of the action it is asked about in `facts`. */
export function ramProduct(facts: FactsLookup): Product {
  return {
    version: '2015-05-01',
    service: 'Ram',
    authPrefix: 'ram',
    risk: 'identity',
    actions: {
      ...actions,
      ...loginProfileActions,
      ...ramMfaActions,
      ...permissionActions(facts),
      ...serviceActions,
    },
  };
}
