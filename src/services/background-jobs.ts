// The installation's periodic jobs, which only the runner of the background jobs runs (see jobs.ts):
// the recycle bin's purge and idle-key disabling, audit retention, ended console sessions,
// notification delivery, and the
// purge of expired nonces when they live in the database.
import type { AuditTrail } from './audit-trail.js';
import type { ConsoleSessions } from './console-sessions.js';
import type { DurableNonceStore } from './gate/nonce-store.js';
import type { Job, JobLog, JobSchedulerOptions } from './jobs.js';
import { MAINTENANCE_INTERVAL_MS, type Maintenance } from './maintenance.js';
import type { Notifications } from './notifications.js';

/** How often the runner deletes audit events past their retention. */
const RETENTION_INTERVAL_MS = 60 * 60_000;
/** How often the runner delivers the notification outbox. */
const NOTIFICATION_INTERVAL_MS = 5_000;
/** How often the runner purges expired nonces. */
const NONCE_PURGE_INTERVAL_MS = 30_000;

/** The runner's settings (see JobSchedulerOptions); the node ID defaults to a random UUID. */
export interface BackgroundJobsOptions extends Partial<JobSchedulerOptions> {
  /** How often the recycle bin's purge and the idle-key check run (default 10 minutes). */
  maintenanceIntervalMs?: number;
}

export interface BackgroundJobParts {
  maintenance: Maintenance;
  audit: AuditTrail;
  notifications: Notifications;
  consoleSessions: ConsoleSessions;
  /** When nonces live in the database. */
  nonces: DurableNonceStore | undefined;
}

export function backgroundJobs(
  parts: BackgroundJobParts,
  log: JobLog,
  options: BackgroundJobsOptions,
): Job[] {
  const jobs: Job[] = [
    {
      name: 'recycle-bin purge and idle-key disabling',
      intervalMs: options.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS,
      async run() {
        const { purged, disabledIdleKeys } = await parts.maintenance.run();
        if (purged.keys > 0 || purged.users > 0) {
          log.info({ ...purged }, 'purged AccessKeys and users past their recycle bin DeleteDate');
        }
        if (disabledIdleKeys !== undefined && disabledIdleKeys > 0) {
          log.info({ disabled: disabledIdleKeys }, 'disabled AccessKeys idle past MaxIdleDaysForAccessKeys');
        }
      },
    },
    {
      name: 'audit retention',
      intervalMs: RETENTION_INTERVAL_MS,
      async run() {
        const deleted = await parts.audit.purgeExpired();
        if (deleted > 0) log.info({ deleted }, 'purged audit events past their retention');
      },
    },
    {
      name: 'console session purge',
      intervalMs: RETENTION_INTERVAL_MS,
      async run() {
        await parts.consoleSessions.purgeExpired();
      },
    },
    {
      name: 'notification delivery',
      intervalMs: NOTIFICATION_INTERVAL_MS,
      async run(signal) {
        await parts.notifications.deliverDue(signal);
      },
    },
  ];
  const { nonces } = parts;
  if (nonces) {
    jobs.push({
      name: 'expired nonce purge',
      intervalMs: NONCE_PURGE_INTERVAL_MS,
      run: () => nonces.purge(),
    });
  }
  return jobs;
}
