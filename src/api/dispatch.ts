// Running an admitted call's handler: the same for a signed API call and a console call. A read
// answers; a write's change commits together with its audit event.
import type { CallRecord } from '../services/audit-trail.js';
import type { Caller, Principal } from '../services/principal.js';
import type { Ramkey } from '../services/ramkey.js';
import type { Params } from './params.js';
import type { RegisteredAction } from './registry.js';
import type { Body } from './render.js';

/** What running the handler produced: the call's record (with its committed event) and the answer or error. */
export type RunOutcome = { call: CallRecord } & ({ ok: true; body: Body } | { ok: false; error: unknown });

export async function runAdmitted(
  ramkey: Ramkey,
  call: CallRecord,
  def: RegisteredAction,
  params: Params,
  caller: Caller,
): Promise<RunOutcome> {
  const ctx = { caller, params, ramkey, sourceIp: call.connection.sourceIp };
  if (def.rw === 'Read') {
    try {
      return { call, ok: true, body: await def.handle(ctx) };
    } catch (error) {
      return { call, ok: false, error };
    }
  }
  const outcome = await ramkey.audit.commitWith(call, () => def.handle(ctx));
  const committed = { ...call, committedEventId: outcome.committedEventId };
  return outcome.ok
    ? { call: committed, ok: true, body: outcome.value }
    : { call: committed, ok: false, error: outcome.error };
}

/** The resources an action is authorized on, once its caller is known (the gate asks). */
export function resourcesOf(
  ramkey: Ramkey,
  def: RegisteredAction,
  params: Params,
): (principal: Principal) => readonly string[] | Promise<readonly string[]> {
  return (p) =>
    def.resources({
      accountId: p.accountId,
      callerUserName: p.kind === 'user' ? p.userName : undefined,
      params,
      userNameOf: (userId) => ramkey.identity.userNameById(p.accountId, userId),
    });
}
