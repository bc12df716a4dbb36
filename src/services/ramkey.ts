// The composition root: wires store, sealer, caches, gate and services into one running Ramkey.
import { randomUUID } from 'node:crypto';
import { asciiLower } from '../core/ascii-case.js';
import { systemClock, type Clock } from '../core/clock.js';
import { MAX_CLOCK_SKEW_MS } from '../core/signature/index.js';
import { cryptoRandom, type Random } from '../core/random.js';
import type { Sealer } from '../store/sealer.js';
import type { Store } from '../store/store.js';
import { AccessKeyService } from './access-key-service.js';
import { AuditTrail, DEFAULT_AUDIT_RETENTION_DAYS } from './audit-trail.js';
import { backgroundJobs, type BackgroundJobsOptions } from './background-jobs.js';
import { Authorizer } from './authorizer.js';
import { CredentialReportService } from './credential-report.js';
import { keepFresh, LocalChangeBus, type ChangeBus } from './change-bus.js';
import { LeakResponse } from './leak-response.js';
import { Notifications } from './notifications.js';
import { ResourceDirectory } from './resource-directory.js';
import { Gate } from './gate/gate.js';
import { IdentityService } from './identity-service.js';
import { LoginProfileService } from './login-profile-service.js';
import { ConsoleSessions } from './console-sessions.js';
import { MfaService } from './mfa-service.js';
import { IdleKeyDisabler } from './idle-keys.js';
import { KeyCache } from './gate/key-cache.js';
import { NetworkPolicyCache } from './gate/network-policy-cache.js';
import { NetworkPolicyService } from './network-policy-service.js';
import { DurableNonceStore, type NonceStore } from './gate/nonce-store.js';
import { TimedNonceStore } from './gate/timed-nonce-store.js';
import { JobScheduler } from './jobs.js';
import { Maintenance } from './maintenance.js';
import { Metrics } from './metrics.js';
import { PermissionService } from './permission-service.js';
import {
  connectRedisScaleOut,
  DEFAULT_REDIS_PREFIX,
  type DependencyCheck,
  type RedisScaleOutOptions,
} from './scale/redis-scale-out.js';
import { RecycleBin } from './recycle-bin.js';
import { defaultQuotas, type Quotas } from './quotas.js';
import { SecretIndex, type BackfillProgress } from './secret-index.js';
import { ServiceDirectory } from './service-directory.js';
import {
  DEFAULT_FAILURE_LIMITS,
  FailureLimiter,
  SIGNIN_FAILURE_LIMITS,
  type FailureLimits,
} from './failure-limiter.js';
import { UsageRecorder, type UsageRecorderOptions } from './usage-recorder.js';

export interface RamkeyDeps {
  store: Store;
  sealer: Sealer;
  clock?: Clock;
  random?: Random;
  quotas?: Partial<Quotas>;
  /**
   * Replay protection (default: nonces group-committed to `store`, see DurableNonceStore). Tests and
   * benchmarks only may pass another.
   */
  nonces?: NonceStore;
  /** Where services publish committed changes (default: this process only). */
  changes?: ChangeBus;
  /**
   * Scale-out (RAMKEY_REDIS_URL): nonces in Redis and the change bus carried between nodes over it,
   * in place of `nonces` and `changes`. Its connections are opened here and closed by close().
   */
  redis?: Omit<RedisScaleOutOptions, 'firstUse'>;
  /**
   * Where the gate, the caches, the nonce store and the audit queue report (default: a registry of
   * this Ramkey's own, without process metrics). Pass one to hand its hooks to parts made before
   * Ramkey (the change bus's delivery lag: Metrics.observeBusLag).
   */
  metrics?: Metrics;
  /** The usage recorder's flush interval and backlog bounds (defaults: 1 s, 100,000 events, 64 MiB). */
  usage?: Omit<UsageRecorderOptions, 'onError'>;
  /** Per-source limits on calls that fail to authenticate (see FailureLimiter). */
  failureLimits?: Partial<FailureLimits>;
  /**
   * The time window (default 15 minutes): a request's timestamp may be this far from the clock, and
   * its nonce is remembered until the timestamp leaves it. Shorter only in tests and benchmarks.
   */
  maxClockSkewMs?: number;
  /** Days audit events are kept (default 90). */
  auditRetentionDays?: number;
  onBackgroundError?: (err: unknown) => void;
  /**
   * Actions refused to a leak-restricted key besides every RAM and IMS action, by authorization
   * name (`actiontrail:LookupEvents`); matched case-insensitively.
   */
  leakHighRiskActions?: readonly string[];
  /** The background jobs' runner: this node's ID, the lease's timing, the log (see JobScheduler). */
  jobs?: BackgroundJobsOptions;
  /** Progress of the secret index's start-up backfill (see SecretIndex.load). */
  onSecretIndexProgress?: (progress: BackfillProgress) => void;
  /** A live key whose sealed secret the master key ring cannot open (found by the backfill). */
  onUnopenableSecret?: (accessKeyId: string) => void;
}

/** What `/readyz` answers: ready when every dependency is. */
export interface Readiness {
  ready: boolean;
  /** `database`, and with Redis `redis` and `changeBus` (whether the bus is subscribed). */
  checks: Record<string, DependencyCheck>;
}

/** A database that has not answered a readiness ping within this is reported down. */
const READINESS_TIMEOUT_MS = 1000;

export interface Ramkey {
  readonly clock: Clock;
  readonly quotas: Quotas;
  readonly gate: Gate;
  readonly changes: ChangeBus;
  /** Prometheus metrics (served at /metrics). */
  readonly metrics: Metrics;
  /** Counts each source's failed authentications and says when it must wait (Throttling). */
  readonly failures: FailureLimiter;
  /** Counts each source's failed console sign-ins, which cost a password hash each (Throttling). */
  readonly signinFailures: FailureLimiter;
  readonly identity: IdentityService;
  /** RAM users' console passwords (login profiles) and the account's password policy. */
  readonly loginProfiles: LoginProfileService;
  /** Console sign-in and sessions (the console's credential, admitted by the same gate). */
  readonly consoleSessions: ConsoleSessions;
  /**
   * Virtual MFA devices; for console sign-in, deviceBoundAt(accountId, userId) and
   * verifyLoginCode(accountId, userId, code) (each code's time step accepted once, on any node).
   */
  readonly mfa: MfaService;
  readonly accessKeys: AccessKeyService;
  /** Network access restriction policies (key and account level), and their dry run. */
  readonly networkPolicies: NetworkPolicyService;
  readonly permissions: PermissionService;
  readonly credentialReports: CredentialReportService;
  /** Deleted keys and users, restorable until their DeleteDate. */
  readonly recycleBin: RecycleBin;
  /** The recycle bin's purge and idle-key disabling, one run of both (`jobs` runs it periodically). */
  readonly maintenance: Maintenance;
  readonly usage: UsageRecorder;
  readonly audit: AuditTrail;
  /** Restricting suspected-leaked keys, and the leak-report intake. */
  readonly leaks: LeakResponse;
  /** The accounts' webhooks, alerts and the outbox's delivery. */
  readonly notifications: Notifications;
  /** Accounts grouped under management accounts, which see across them. */
  readonly directory: ResourceDirectory;
  /**
   * Custom services (the accounts' own APIs, and the installation's global ones): managed through
   * the API and operator commands, and resolving forwarded requests to an action and its resources.
   */
  readonly services: ServiceDirectory;
  /**
   * The installation's secrets, as fingerprints, for masking. Loading starts with createRamkey;
   * await `secretIndex.load()` before serving (until then every secret-shaped value is masked).
   */
  readonly secretIndex: SecretIndex;
  /**
   * The background jobs (purges, idle-key disabling, audit retention, notification delivery), run
   * by one serving node at a time: `jobs.start()` once serving, `jobs.isLeader()` says whether this
   * node runs them now, `jobs.nodeId` names it. Operator commands do not start it.
   */
  readonly jobs: JobScheduler;
  /**
   * Readies what only a serving process needs, before it serves: claims the nonce store (on SQLite
   * one server per installation; rejects with NonceJournalBusyError while another holds it).
   * Operator commands do not call it. Without it, the first signed call claims.
   */
  start(): Promise<void>;
  /**
   * Whether this node can serve signed calls now: the database answers, and with Redis, Redis
   * answers and the change bus is subscribed. Each check takes a second at most.
   */
  readiness(): Promise<Readiness>;
  /**
   * Stops the background jobs (giving their lease up), flushes pending writes and closes Redis; the
   * store is closed by whoever opened it.
   */
  close(): Promise<void>;
}

export function createRamkey(deps: RamkeyDeps): Ramkey {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? cryptoRandom;
  const quotas: Quotas = { ...defaultQuotas, ...deps.quotas };
  const { store, sealer } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const backgroundError = deps.onBackgroundError ?? (() => undefined);
  // The node's ID on the bus: unique per process, whatever Random a test injects.
  const redis =
    deps.redis &&
    connectRedisScaleOut(
      {
        onError: backgroundError,
        onBusDelivery: metrics.observeBusLag,
        ...deps.redis,
        // A marker row that never expires: present once any node of the installation used Redis
        // under this prefix, so that a missing nonce sentinel is a loss (see RedisNonceStore).
        firstUse: () =>
          store.acquireJobLease(
            `redis-nonces:${deps.redis?.prefix ?? DEFAULT_REDIS_PREFIX}`,
            'installation',
            clock.now(),
            Number.MAX_SAFE_INTEGER,
          ),
      },
      randomUUID(),
    );
  const changes = redis?.changes ?? deps.changes ?? new LocalChangeBus();
  const keys = new KeyCache(store, sealer, clock, { lookups: metrics.cacheLookups('keys') });
  const networkPolicies = new NetworkPolicyCache(store, clock, {
    lookups: metrics.cacheLookups('networkPolicies'),
  });
  const authorizer = new Authorizer(store, metrics.cacheLookups('policies'));
  const secretIndex = new SecretIndex(store, sealer, {
    onError: backgroundError,
    ...(deps.onSecretIndexProgress && { onProgress: deps.onSecretIndexProgress }),
    ...(deps.onUnopenableSecret && { onUnopenable: deps.onUnopenableSecret }),
  });
  const loading = secretIndex.load().catch(backgroundError);
  const services = new ServiceDirectory(store, changes, clock, quotas, {
    lookups: metrics.cacheLookups('services'),
  });
  changes.subscribe((change) => {
    keys.apply(change);
    networkPolicies.apply(change);
    services.apply(change);
    // Another node's new key: learn its fingerprint (on this node it is known already).
    if (change.kind === 'accessKey') secretIndex.refresh(change.accessKeyId).catch(backgroundError);
    else if (change.kind === 'principal' || change.kind === 'permissions') {
      authorizer.invalidateAccount(change.accountId);
    }
  });
  // A node whose bus is down cannot learn of other nodes' changes: its caches are bypassed meanwhile.
  keepFresh(changes, [keys, networkPolicies, authorizer, services, secretIndex]);
  const usage = new UsageRecorder(store, {
    ...deps.usage,
    ...(deps.onBackgroundError && { onError: deps.onBackgroundError }),
  });
  metrics.watchAuditQueue(usage);
  // The durable store is the default; only tests and benchmarks pass another (and own it).
  let durableNonces: DurableNonceStore | undefined;
  const nonces = new TimedNonceStore(
    redis?.nonces ??
      deps.nonces ??
      (durableNonces = new DurableNonceStore(store, {
        clock,
        ...(deps.onBackgroundError && { onError: deps.onBackgroundError }),
      })),
    metrics.observeNonce,
  );
  const gate = new Gate({
    keys,
    networkPolicies,
    nonces,
    authorizer,
    clock,
    maxClockSkewMs: deps.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS,
    highRiskActions: new Set((deps.leakHighRiskActions ?? []).map(asciiLower)),
  });
  const audit = new AuditTrail(
    store,
    usage,
    clock,
    random,
    deps.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    secretIndex,
  );
  const directory = new ResourceDirectory(store, clock);
  const notifications = new Notifications(store, sealer, clock, random);
  const recycleBin = new RecycleBin(store, changes, secretIndex, clock, random, quotas);
  const { log: jobLog, ...jobOptions } = deps.jobs ?? {};
  const nodeId = jobOptions.nodeId ?? random.uuid();
  // Without a log, a failed run still reaches onBackgroundError.
  const log = jobLog ?? {
    info: () => undefined,
    error: (fields: Record<string, unknown>) => {
      backgroundError(fields.err);
    },
  };
  const identity = new IdentityService(store, changes, clock, random, quotas);
  const loginProfiles = new LoginProfileService(store, identity, clock, random);
  const mfa = new MfaService(store, identity, sealer, clock, random, quotas);
  const consoleSessions = new ConsoleSessions(
    store,
    identity,
    loginProfiles,
    (accountId) => store.getSecurityPreference(accountId),
    mfa,
    audit,
    secretIndex,
    clock,
    random,
  );
  const maintenance = new Maintenance(
    recycleBin,
    new IdleKeyDisabler(store, usage, changes, clock, random, nodeId),
  );
  const jobs = new JobScheduler(
    store,
    clock,
    backgroundJobs(
      { maintenance, audit, notifications, consoleSessions, nonces: durableNonces },
      log,
      jobOptions,
    ),
    { ...jobOptions, nodeId, log },
  );
  return {
    clock,
    quotas,
    gate,
    changes,
    metrics,
    failures: new FailureLimiter(clock, { ...DEFAULT_FAILURE_LIMITS, ...deps.failureLimits }),
    signinFailures: new FailureLimiter(clock, SIGNIN_FAILURE_LIMITS),
    identity,
    loginProfiles,
    consoleSessions,
    mfa,
    permissions: new PermissionService(store, authorizer, changes, clock, random, quotas),
    accessKeys: new AccessKeyService(
      store,
      sealer,
      changes,
      usage,
      clock,
      random,
      quotas,
      secretIndex,
      directory,
    ),
    networkPolicies: new NetworkPolicyService(store, changes, usage, clock),
    credentialReports: new CredentialReportService(store, usage, clock, quotas),
    recycleBin,
    maintenance,
    usage,
    audit,
    leaks: new LeakResponse(store, sealer, changes, audit, nonces, clock, random),
    notifications,
    directory,
    services,
    secretIndex,
    jobs,
    async start() {
      // Claimed even when the nonce store was replaced (benchmarks): serving is what claims.
      await store.claimNonces();
    },
    async readiness() {
      const [database, redisCheck] = await Promise.all([
        withTimeout(store.ping(), READINESS_TIMEOUT_MS).then(
          (): DependencyCheck => ({ ok: true }),
          // The driver's error may name the host: the probe says only what is wrong.
          (): DependencyCheck => ({ ok: false, detail: 'the database does not answer' }),
        ),
        redis?.check(),
      ]);
      const checks: Record<string, DependencyCheck> = { database };
      if (redisCheck) checks.redis = redisCheck;
      // Stale: not ready, since other nodes' changes would not arrive (the caches are bypassed).
      if (!(changes instanceof LocalChangeBus)) {
        checks.changeBus = changes.fresh
          ? { ok: true }
          : { ok: false, detail: 'not subscribed: caches are bypassed until it is' };
      }
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    },
    async close() {
      await jobs.stop();
      await notifications.close();
      // The store is closed after this: the start-up load must not outlive it.
      await loading;
      // Calls still waiting for their nonce's commit get their answer before the store closes.
      await durableNonces?.close();
      await usage.close();
      await redis?.close();
    },
  };
}

/** `promise`, or a rejection once `ms` passed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${String(ms)} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
