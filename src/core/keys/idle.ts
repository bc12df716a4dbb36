// Idle AccessKeys: when a key counts as unused from, and when MaxIdleDaysForAccessKeys disables it.
// One definition for the daily job (whose SQL mirrors `isIdle`), the API and the CLI's report.
import { DAY_MS } from '../clock.js';

/** The values IMS accepts for MaxIdleDaysForAccessKeys (reference/alibaba-api.md 2.4). */
export const MAX_IDLE_DAYS_CHOICES: readonly number[] = [90, 180, 365, 730];

/** A key's use as the idle rule reads it. */
export interface KeyUseDates {
  createdAt: number;
  /** null for a key never used. */
  lastUsedAt: number | null;
}

/** The instant a key counts as unused from: its last use, or its creation when never used. */
export function idleSince(key: KeyUseDates): number {
  return key.lastUsedAt ?? key.createdAt;
}

/** Whole days the key has gone unused at `now` (never negative). */
export function idleDays(key: KeyUseDates, now: number): number {
  return Math.max(0, Math.floor((now - idleSince(key)) / DAY_MS));
}

/** True when the key went unused for at least `maxIdleDays` at `now`: the job disables it. */
export function isIdle(key: KeyUseDates, now: number, maxIdleDays: number): boolean {
  return idleSince(key) <= now - maxIdleDays * DAY_MS;
}

/** When an Active key that stays unused will be disabled under `maxIdleDays` (at the job's next run from then). */
export function idleDisableAt(key: KeyUseDates, maxIdleDays: number): number {
  return idleSince(key) + maxIdleDays * DAY_MS;
}
