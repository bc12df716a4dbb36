import { describe, expect, it } from 'vitest';
import { matchRoute } from './router';

describe('matchRoute', () => {
  it('matches fixed paths and only them', () => {
    expect(matchRoute('/', '/')).toEqual({});
    expect(matchRoute('/users', '/users')).toEqual({});
    expect(matchRoute('/users', '/users/alice')).toBeUndefined();
    expect(matchRoute('/users', '/groups')).toBeUndefined();
  });

  it('decodes named parts', () => {
    expect(matchRoute('/users/:name', '/users/ali%20ce%2Fx')).toEqual({ name: 'ali ce/x' });
    expect(matchRoute('/keys/:keyId', '/keys/LTAI123')).toEqual({ keyId: 'LTAI123' });
  });

  it('does not match a malformed escape', () => {
    expect(matchRoute('/users/:name', '/users/%E0%A4%A')).toBeUndefined();
  });
});
