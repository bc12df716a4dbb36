// The size limits of a request, from the largest parameters a legitimate call carries.
import { MAX_DESCRIPTION_LENGTH } from '../core/identity/validate.js';
import { MAX_POLICY_DOCUMENT_LENGTH } from '../core/policy/index.js';

/**
 * The largest request a legitimate call needs, and so the body limit (larger bodies are refused with
 * InvalidParameter.Body.TooLarge): CreatePolicy with a document and a description at their limits,
 * every character a 4-byte UTF-8 one, percent-encoded (12 bytes each), plus 8 KiB for the other
 * parameters. The official SDKs send CreatePolicy's parameters in the query string even over POST,
 * so the request line and headers may be as large (see maxHeaderSize).
 */
export const MAX_BODY_BYTES = (MAX_POLICY_DOCUMENT_LENGTH + MAX_DESCRIPTION_LENGTH) * 12 + 8 * 1024;
/** Request line and headers: a query as large as the largest body, plus 8 KiB of headers. */
export const MAX_HEADER_BYTES = MAX_BODY_BYTES + 8 * 1024;
