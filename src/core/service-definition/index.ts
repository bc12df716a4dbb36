// Custom services: the service document (parse), service codes, and the resolution of a forwarded
// request to one action of one service with its resources.
export { parseServiceCode, RESERVED_SERVICE_CODES, type ServiceCode } from './service-code.js';
export {
  ACCOUNT_ID_VARIABLE,
  MAX_ACTION_RESOURCES,
  MAX_RESOURCE_VARIABLE_LENGTH,
  MAX_SERVICE_ACTIONS,
  MAX_SERVICE_DOCUMENT_LENGTH,
  MAX_SERVICE_HOSTS,
  MAX_SERVICE_PATH_PREFIXES,
  SERVICE_HTTP_METHODS,
  type ServiceActionDefinition,
  type ServiceDocument,
  type ServiceHttpMethod,
} from './service-document.js';
export { parseServiceDocument } from './parse-service-document.js';
export {
  compileService,
  CompiledService,
  EMPTY_SERVICE_CATALOG,
  findRouteConflict,
  hostName,
  pathSegments,
  resolveServiceRequest,
  ServiceCatalog,
  serviceRoutes,
  type CompiledServiceAction,
  type ResolvedServiceRequest,
  type ServiceRequest,
  type ServiceRoute,
} from './resolve-service-request.js';
