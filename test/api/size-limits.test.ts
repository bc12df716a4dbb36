// The size limits fit the documents: a policy at every length limit, in 4-byte characters, goes
// through the official SDKs (which send it in the query string) and through a form body; a body one
// byte beyond what any call needs is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { MAX_BODY_BYTES } from '../../src/api/limits.js';
import { makeGateFixture, type GateFixture } from '../support/gate-fixture.js';
import { PopRpcClient, RamModule, sdkConfig, type SignatureChoice } from '../support/sdk.js';

let f: GateFixture;
let endpoint: string;
let close: () => Promise<void>;

beforeAll(async () => {
  f = await makeGateFixture();
  // The SDKs sign with the real time.
  f.clock.set(Date.now());
  const app = buildApp({ ramkey: f.ramkey });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `127.0.0.1:${String(address.port)}`;
  close = () => app.close();
});
afterAll(async () => {
  await close();
  await f.close();
});

const EMOJI = '\u{1F600}';

/** Characters as RAM counts them: code points. */
const codePoints = (s: string) => Array.from(s).length;

/** A valid policy document of exactly `length` characters (code points), nearly all of them emoji. */
function documentOf(length: number): string {
  const wrap = (value: string) =>
    JSON.stringify({
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'ram:GetUser',
          Resource: '*',
          Condition: { StringEquals: { 'acs:UserAgent': value } },
        },
      ],
    });
  const document = wrap(EMOJI.repeat(length - codePoints(wrap(''))));
  expect(codePoints(document)).toBe(length);
  return document;
}

const DOCUMENT = documentOf(6144);
const DESCRIPTION = EMOJI.repeat(1024);

describe('size limits', () => {
  it.each<SignatureChoice>(['v3', 'v2'])(
    'creates a policy at the document and description limits through the RAM SDK (%s)',
    async (signature) => {
      const ram = new RamModule.default(sdkConfig(endpoint, f.root, signature));
      const policyName = `Big-${signature}`;
      await ram.createPolicy(
        new RamModule.CreatePolicyRequest({ policyName, policyDocument: DOCUMENT, description: DESCRIPTION }),
      );
      const version = await ram.getPolicyVersion(
        new RamModule.GetPolicyVersionRequest({ policyName, policyType: 'Custom', versionId: 'v1' }),
      );
      expect(version.body?.policyVersion?.policyDocument).toBe(DOCUMENT);
    },
  );

  it('creates the same policy through a form body (pop-core POST)', async () => {
    const ram = new PopRpcClient({
      endpoint: `http://${endpoint}`,
      apiVersion: '2015-05-01',
      accessKeyId: f.root.id,
      accessKeySecret: f.root.secret,
    });
    const res = await ram.request<{ Policy?: { PolicyName?: string } }>(
      'CreatePolicy',
      { PolicyName: 'Big-form', PolicyDocument: DOCUMENT, Description: DESCRIPTION },
      { method: 'POST' },
    );
    expect(res.Policy?.PolicyName).toBe('Big-form');
  });

  it('refuses a body one byte larger than any call needs with InvalidParameter.Body.TooLarge (413)', async () => {
    const res = await fetch(`http://${endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { Code: string }).Code).toBe('InvalidParameter.Body.TooLarge');
  });
});
