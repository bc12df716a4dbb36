// Gate step: the signature matches the key's secret (compared in constant time by the core verifier).
import { RamkeyError } from '../../../core/errors/ramkey-error.js';
import { verifySignature } from '../../../core/signature/index.js';
import type { GateCheck } from '../gate-check.js';

export const signatureCheck: GateCheck = {
  name: 'signature',
  check({ request, key }) {
    const verified = verifySignature(request, key.signingKey);
    if (verified.ok) return undefined;
    // Alibaba includes its string to sign so that SDKs can tell a wrong secret from a bad request.
    // It is built only from what the client sent; it reveals nothing about the secret.
    return new RamkeyError('SignatureDoesNotMatch', { params: [verified.stringToSign] });
  },
};
