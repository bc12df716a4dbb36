// RAM (2015-05-01), Ramkey extensions: custom services, a platform team's own APIs behind Ramkey.
// An account manages its own services; the installation's global services (the operator's, see
// `ramkey global-services`) are listed and shown here, never changed.
import { toWireDate } from '../../core/clock.js';
import { parseDescription } from '../../core/identity/validate.js';
import { parseServiceCode } from '../../core/service-definition/index.js';
import type { ServiceView } from '../../services/service-directory.js';
import { anyResource, on, service } from '../authorization.js';
import { unwrap, type Params } from '../params.js';
import type { ActionDef } from './action.js';

const serviceName = (p: Params) => unwrap(parseServiceCode(p.required('ServiceName')));

/** A service in the shape of RAM's GetPolicy answer: names, dates, the document as sent, and its scope. */
function serviceBody(s: ServiceView) {
  return {
    ServiceName: s.serviceName,
    Scope: s.scope,
    Description: s.description,
    ServiceDocument: s.document,
    CreateDate: toWireDate(s.createdAt),
    UpdateDate: toWireDate(s.updatedAt),
  };
}

/**
 * Authorized as `ram:<Action>` on `acs:ram:*:<account>:service/<name>` (ListServices on `*`), like
 * the policy actions: "may manage only the orders service" can be written.
 */
export const serviceActions: Record<string, ActionDef> = {
  CreateService: {
    rw: 'Write',
    resources: on(service),
    async handle({ ramkey, caller, params }) {
      const name = serviceName(params);
      const document = params.required('ServiceDocument');
      const description = params.parsed('Description', parseDescription) ?? '';
      const created = await ramkey.services.create(caller.principal.accountId, name, document, description);
      return { Service: serviceBody(created) };
    },
  },
  GetService: {
    rw: 'Read',
    resources: on(service),
    async handle({ ramkey, caller, params }) {
      return {
        Service: serviceBody(await ramkey.services.get(caller.principal.accountId, serviceName(params))),
      };
    },
  },
  ListServices: {
    rw: 'Read',
    resources: anyResource,
    async handle({ ramkey, caller, params }) {
      const maxItems = params.integer(
        'MaxItems',
        { min: 1, max: 1000, fallback: 100 },
        'InvalidParameter.MaxItems',
      );
      const marker = params.optional('Marker');
      const page = await ramkey.services.list(caller.principal.accountId, {
        maxItems,
        ...(marker !== undefined && { marker }),
      });
      return {
        IsTruncated: page.nextMarker !== undefined,
        ...(page.nextMarker !== undefined && { Marker: page.nextMarker }),
        Services: { Service: page.items.map(serviceBody) },
      };
    },
  },
  UpdateService: {
    rw: 'Write',
    resources: on(service),
    async handle({ ramkey, caller, params }) {
      const name = serviceName(params);
      const document = params.optional('NewServiceDocument');
      const description = params.parsed('NewDescription', (v) => parseDescription(v, 'NewDescription'));
      const updated = await ramkey.services.update(caller.principal.accountId, name, {
        ...(document !== undefined && { document }),
        ...(description !== undefined && { description }),
      });
      return { Service: serviceBody(updated) };
    },
  },
  DeleteService: {
    rw: 'Write',
    resources: on(service),
    async handle({ ramkey, caller, params }) {
      await ramkey.services.delete(caller.principal.accountId, serviceName(params));
      return {};
    },
  },
};
