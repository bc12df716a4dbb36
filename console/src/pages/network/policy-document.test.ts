import { describe, expect, it } from 'vitest';
import { statusOf, withStatus } from './policy-document';

describe('the network policy draft', () => {
  it('switches its Status and keeps every other field', () => {
    const draft =
      '{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["10.0.0.0/8"]}]}';
    const audit = withStatus(draft, 'Audit');
    expect(JSON.parse(audit)).toEqual({ ...JSON.parse(draft), Status: 'Audit' });
    expect(statusOf(audit)).toBe('Audit');
  });

  it('leaves a draft that is not a JSON object as typed, for the API to judge', () => {
    expect(withStatus('{"Version":1,', 'Active')).toBe('{"Version":1,');
    expect(withStatus('[1]', 'Active')).toBe('[1]');
    expect(statusOf('{"Version":1,')).toBe('unknown');
    expect(statusOf('{"Version":1}')).toBe('Inactive');
  });
});
