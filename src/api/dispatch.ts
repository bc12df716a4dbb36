// Running an admitted call's handler: the same for a signed API call and a console call. A read
// answers; a write's change commits together with its audit event.
import type { CallRecord } from '../services/audit-trail.js';
import type { Admission } from '../services/gate/admission.js';
import type { RouteKind } from '../services/metrics.js';
import type { Caller, Principal } from '../services/principal.js';
import type { Ramkey } from '../services/ramkey.js';
import type { Params } from './params.js';
import type { RegisteredAction } from './registry.js';
import type { Body } from './render.js';

/** What running the handler produced: the call's record (with its committed event) and the answer or error. */
export type RunOutcome = { call: CallRecord } & ({ ok: true; body: Body } | { ok: false; error: unknown });

/**
 * Waits for the gate's decision on the call (timed for the route's metric) and runs the handler of
 * an admitted one; a refused one's outcome is its refusal.
 */
export async function admitAndRun(
  ramkey: Ramkey,
  call: CallRecord,
  def: RegisteredAction,
  params: Params,
  decision: { pending: Admission | Promise<Admission>; route: RouteKind; startedAt: number },
): Promise<RunOutcome> {
  const admission = decision.pending instanceof Promise ? await decision.pending : decision.pending;
  ramkey.metrics.gateDecided(decision.route, decision.startedAt);
  const decided = { ...call, admission };
  if (!admission.admitted) return { call: decided, ok: false, error: admission.refusal };
  return runAdmitted(ramkey, decided, def, params, admission.caller);
}

async function runAdmitted(
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
