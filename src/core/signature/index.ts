// The signature module: parse, verify and produce Alibaba Cloud V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) signatures.
export type {
  HttpRequestParts,
  Param,
  SignatureCanonical,
  SignatureStyle,
  SignedRequest,
  V1Canonical,
  V3Canonical,
} from './signed-request.js';
export { parseSignedRequest, type ParseOptions } from './parse-signed-request.js';
export { MAX_PARAMETERS, MAX_PARAMETER_NAME_LENGTH, MAX_PARAMETER_VALUE_LENGTH } from './form-params.js';
export { prepareSigningKey, verifySignature, type SigningKey, type VerifyResult } from './verify.js';
export { checkTimestamp, MAX_CLOCK_SKEW_MS, parseWireTimestamp } from './timestamp.js';
export { signRpcV1, signV3 } from './sign.js';
export { percentEncode } from './percent-encoding.js';
export { EMPTY_BODY_SHA256, V3_ALGORITHM } from './canonical-request.js';
export type { HmacKey } from './fast-hmac.js';
