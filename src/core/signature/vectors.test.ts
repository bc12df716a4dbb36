// The signature vectors: every captured SDK request and every documented example is accepted; the refusals refuse.
import { describe, expect, it } from 'vitest';
import {
  loadLocalVectors,
  loadSharedVectors,
  type SignatureVector,
  type V1SignerInput,
  type V3SignerInput,
} from '../../../test/vectors/load-vectors.js';
import {
  checkTimestamp,
  MAX_CLOCK_SKEW_MS,
  parseSignedRequest,
  prepareSigningKey,
  signRpcV1,
  signV3,
  verifySignature,
  type HttpRequestParts,
} from './index.js';

const shared = loadSharedVectors();
const local = loadLocalVectors();

function toParts(v: SignatureVector): HttpRequestParts {
  return {
    method: v.request.method,
    rawQuery: v.request.rawQuery,
    headers: v.request.headers,
    body: Buffer.from(v.request.body),
  };
}

/** The gate's order: parse, clock window, signature. The first refusal's code, or 'ok'. */
function outcome(v: SignatureVector): { result: string; params?: readonly string[]; stringToSign?: string } {
  const parsed = parseSignedRequest(toParts(v));
  if (!parsed.ok) return { result: parsed.code, params: parsed.params };
  const fresh = checkTimestamp(parsed.value, v.nowMs, MAX_CLOCK_SKEW_MS);
  if (!fresh.ok) return { result: fresh.code };
  const verdict = verifySignature(parsed.value, prepareSigningKey(v.accessKeySecret));
  return verdict.ok ? { result: 'ok' } : { result: verdict.code, stringToSign: verdict.stringToSign };
}

describe('signature vectors', () => {
  it('finds the captured SDK requests and the local vectors', () => {
    expect(shared.length).toBeGreaterThanOrEqual(13);
    expect(local.map((v) => v.id)).toEqual(
      expect.arrayContaining([
        'doc-v1-A-get',
        'doc-v1-A-post-form',
        'doc-v1-B-ram-CreateUser',
        'doc-v3-C-RunInstances',
      ]),
    );
  });

  describe.each(shared.map((v) => [v.id, v] as const))('accepts the SDK capture %s', (_id, v) => {
    it('parses, is fresh at its own time and verifies with its secret', () => {
      const parsed = parseSignedRequest(toParts(v));
      expect(parsed).toMatchObject({ ok: true, value: { style: v.style, accessKeyId: v.accessKeyId } });
      if (!parsed.ok) return;
      expect(checkTimestamp(parsed.value, v.nowMs, MAX_CLOCK_SKEW_MS)).toEqual({
        ok: true,
        value: undefined,
      });
      expect(verifySignature(parsed.value, prepareSigningKey(v.accessKeySecret))).toEqual({ ok: true });
    });

    it("builds the SDK's string to sign (reported on a wrong secret)", () => {
      const parsed = parseSignedRequest(toParts(v));
      if (!parsed.ok) throw new Error(parsed.code);
      expect(verifySignature(parsed.value, prepareSigningKey(v.accessKeySecret + 'x'))).toEqual({
        ok: false,
        code: 'SignatureDoesNotMatch',
        stringToSign: v.expected.stringToSign,
      });
    });
  });

  // pop-core sends its parameters sorted and in Alibaba's encoding, Signature last, so the verifier takes
  // the canonicalized string as sent; openapi-client's RPC requests (the others) do not sort theirs.
  it("takes pop-core's canonicalized string as sent, GET and POST, and rebuilds the others'", () => {
    const v1 = shared.filter((v) => v.style === 'v1');
    expect(v1.filter((v) => v.id.startsWith('popcore-')).length).toBeGreaterThanOrEqual(3);
    for (const v of v1) {
      const parsed = parseSignedRequest(toParts(v));
      if (!parsed.ok || parsed.value.canonical.style !== 'v1') throw new Error(`${v.id} does not parse`);
      const asSent = parsed.value.canonical.canonicalizedQuery !== undefined;
      expect({ id: v.id, asSent }).toEqual({ id: v.id, asSent: v.id.startsWith('popcore-') });
    }
  });

  describe.each(local.map((v) => [v.id, v] as const))('local vector %s', (_id, v) => {
    it(`ends in ${v.expected.result}`, () => {
      const got = outcome(v);
      expect(got.result).toBe(v.expected.result);
      if (v.expected.params) expect(got.params).toEqual(v.expected.params);
      if (v.expected.result === 'SignatureDoesNotMatch')
        expect(got.stringToSign).toBe(v.expected.stringToSign);
    });

    if (v.expected.result === 'ok') {
      it('reports the documented string to sign on a wrong secret', () => {
        const parsed = parseSignedRequest(toParts(v));
        if (!parsed.ok) throw new Error(parsed.code);
        const verdict = verifySignature(parsed.value, prepareSigningKey('wrong' + v.accessKeySecret));
        expect(verdict).toEqual({
          ok: false,
          code: 'SignatureDoesNotMatch',
          stringToSign: v.expected.stringToSign,
        });
      });
    }

    const input = v.signerInput;
    if (input !== undefined) {
      it('is reproduced by the client-side signer', () => {
        if (v.style === 'v1') {
          const signed = signRpcV1({
            ...(input as V1SignerInput),
            accessKeyId: v.accessKeyId,
            secret: v.accessKeySecret,
          });
          expect(signed.stringToSign).toBe(v.expected.stringToSign);
          expect(signed.signature).toBe(v.expected.signature);
          if (v.expected.canonicalizedQueryString !== undefined) {
            expect(signed.query).toBe(
              `${v.expected.canonicalizedQueryString}&Signature=${encodeURIComponent(v.expected.signature ?? '')}`,
            );
          }
        } else {
          const signed = signV3({
            ...(input as V3SignerInput),
            accessKeyId: v.accessKeyId,
            secret: v.accessKeySecret,
          });
          expect(signed.canonicalRequest).toBe(v.expected.canonicalRequest);
          expect(signed.stringToSign).toBe(v.expected.stringToSign);
          expect(signed.signature).toBe(v.expected.signature);
          expect(signed.headers).toEqual(v.request.headers);
          expect(signed.query).toBe(v.request.rawQuery);
        }
      });
    }
  });

  // Vector D of reference/alibaba-api.md 5.4 (the SDK's own unit tests) is not replayed: the V1 case signs
  // with an empty HTTP method and a parameter set without any required field, and the V3 case reproduces
  // only with the literal method string "undefined" and a SignedHeaders list that leaves out host, the
  // date and the nonce; the server refuses both shapes by design. Its two rules (`name=` for an empty
  // value, repeated headers joined sorted with ',') are covered in parse-signed-request.test.ts.
  it.skip('Vector D (SDK unit-test quirks): not a request shape a server accepts, see the comment above', () => {
    /* intentionally empty */
  });
});
