// `ramkey backup` and `ramkey restore` as an operator runs them: a backup of a serving SQLite
// installation under writes, restored into a new data directory and served, where the old keys
// authenticate, the audit trail is there and answered calls stay refused as replays; and every way
// to get them wrong ending in a clear message, exit code 1 and nothing half-done.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, startServer, type RunningServer } from '../support/ramkey-server.js';
import { answerOnce, checkScene, expectReplayRefused, makeScene } from '../support/installation-scene.js';
import { clients, RamModule, type Key } from '../support/sdk.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { describeSqlite } from '../support/test-stores.js';

interface Outcome {
  File: string;
  Bytes: number;
  /** Rows by table name. */
  Rows: Record<string, number>;
  Previous?: string;
  MasterKey: string;
}

/** A failed command as the operator sees it: exit code 1, one clear line, no stack trace. */
function expectRefusal(res: { code: number; stderr: string; stdout: string }, message: RegExp): void {
  expect(res.code, res.stdout).toBe(1);
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

/** A data directory holding only a copy of `from`'s master key (a restore's starting point). */
function withMasterKeyOf(from: string, dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  copyFileSync(join(from, 'master.key'), join(dir, 'master.key'));
  chmodSync(join(dir, 'master.key'), 0o600);
  return dir;
}

/** Adds `count` audit events of about 1 KB each straight into the database, beside the server. */
function addAuditEvents(dataDir: string, count: number): void {
  const db = new BetterSqlite3(join(dataDir, 'ramkey.db'), { timeout: 10_000 });
  try {
    const insert = db.prepare(
      `insert into audit_events (event_id, event_time, account_id, access_key_id, principal_type,
         principal_id, user_name, event_name, event_rw, service_name, api_version, event_source,
         request_id, source_ip, user_agent, error_code, error_message, request_parameters, call_count,
         access_key_policy_audit)
       values (?, ?, null, 'LTAI-none', 'Anonymous', '', '', 'ListUsers', 'Read', 'Ram', '2015-05-01',
         'ram.aliyuncs.com', ?, '127.0.0.1', 'filler', 'InvalidAccessKeyId.NotFound', '', ?, 1, '')`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        insert.run(
          randomBytes(12).toString('hex'),
          now,
          randomBytes(8).toString('hex'),
          `{"filler":"${randomBytes(500).toString('hex')}"}`,
        );
      }
    })();
  } finally {
    db.close();
  }
}

describeSqlite('ramkey backup and restore', () => {
  let temp: TempDir;
  let server: RunningServer | undefined;
  let restored: RunningServer | undefined;

  beforeAll(async () => {
    temp = await makeTempDir('ramkey-backup-');
  });

  afterAll(async () => {
    await restored?.stop({ keepData: true });
    await server?.stop();
    await temp.cleanup();
  });

  it('backs up a serving installation under writes; the restore serves the same installation', async () => {
    server = await startServer();
    // Over 12 MB: several backup steps of 4 MB, between which the server's writes restart the copy.
    addAuditEvents(server.dataDir, 12_000);
    const scene = await makeScene(server);

    const stop = new AbortController();
    let written = 0;
    const { ram } = clients(server.endpoint, scene.admin, 'v3');
    const writer = (async () => {
      while (!stop.signal.aborted) {
        await ram.createUser(new RamModule.CreateUserRequest({ userName: `writer-${String(written)}` }));
        written++;
      }
    })();
    const backupDir = join(temp.dir, 'backups');
    mkdirSync(backupDir);
    const backupFile = join(backupDir, 'ramkey-backup.db');
    const writtenBefore = written;
    const backup = await runCli(['backup', '--to', backupFile, '--data', server.dataDir, '--json']);
    stop.abort();
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    expect(written).toBeGreaterThan(writtenBefore);
    expect(backup.stderr).toMatch(/^copied [\d.]+ MB of [\d.]+ MB \(100%\)$/m);
    const made = JSON.parse(backup.stdout) as Outcome;
    expect(made.Rows.audit_events).toBeGreaterThan(12_000);
    expect(made.MasterKey).toBe(join(server.dataDir, 'master.key'));
    // A file of its own, readable by its owner only, and nothing else left beside it.
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(backupDir)).toEqual(['ramkey-backup.db']);
    expect(readFileSync(backupFile).includes(scene.app.secret)).toBe(false);

    const newDir = withMasterKeyOf(server.dataDir, join(temp.dir, 'restored'));
    const restore = await runCli(['restore', '--from', backupFile, '--data', newDir, '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    const back = JSON.parse(restore.stdout) as Outcome;
    expect(back.Rows).toEqual(made.Rows);
    expect(back.Previous).toBeUndefined();
    expect(statSync(join(newDir, 'ramkey.db')).mode & 0o777).toBe(0o600);

    restored = await startServer({ reuse: { dataDir: newDir, admin: server.admin } });
    await checkScene(restored, scene);
    const users = await clients(restored.endpoint, scene.admin, 'v3').ram.listUsers(
      new RamModule.ListUsersRequest({ maxItems: 1000 }),
    );
    expect(users.body?.users?.user).toHaveLength(made.Rows.users ?? -1);
  });

  it('refuses to restore under a running server; stopped, it restores, keeping the old database and its used nonces', async () => {
    let running = restored as RunningServer;
    const backupFile = join(temp.dir, 'backups', 'ramkey-backup.db');
    const admin: Key = { id: running.admin.accessKeyId, secret: running.admin.accessKeySecret };
    // A call answered after the backup was made: the backup does not know its nonce.
    const afterBackup = await answerOnce(running, admin);

    const refused = await runCli(['restore', '--from', backupFile, '--data', running.dataDir]);
    expectRefusal(refused, /A Ramkey server is running on .*: stop it before restoring/);
    expect(readdirSync(running.dataDir).filter((n) => !n.startsWith('ramkey.db-nonces.'))).toEqual([
      'master.key',
      'ramkey.db',
      'ramkey.db-shm',
      'ramkey.db-wal',
    ]);
    await expectReplayRefused(running, afterBackup);

    // Restarted once, the server merges its nonce journal into the database: the nonce is then in the
    // database being replaced, and nowhere else.
    await running.stop({ keepData: true });
    running = await startServer({ reuse: { dataDir: running.dataDir, admin: running.admin } });
    await running.stop({ keepData: true });
    restored = undefined;
    const journal = readdirSync(running.dataDir).filter((n) => /^ramkey\.db-nonces\.\d+$/.test(n));
    expect(journal.map((n) => statSync(join(running.dataDir, n)).size)).toEqual([0]);

    const again = await runCli(['restore', '--from', backupFile, '--data', running.dataDir]);
    expect(again.code, again.stderr).toBe(0);
    const previous = /kept at (\S+);/.exec(again.stdout)?.[1] ?? '';
    expect(previous).toMatch(/ramkey\.db\.before-restore-\d{8}T\d{6}Z$/);
    expect(again.stdout).toMatch(/; [1-9]\d* nonces it had seen used in the last 15 minutes stay refused/);
    expect(again.stdout).toContain('accounts 1, RAM users');
    expect(statSync(previous).mode & 0o777).toBe(0o600);
    // The old database, whole: its WAL folded in, so it opens on its own.
    const old = new BetterSqlite3(previous, { readonly: true });
    try {
      expect(old.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(old.prepare('select count(*) from users').pluck().get()).toBeGreaterThan(1);
    } finally {
      old.close();
    }
    expect(existsSync(join(running.dataDir, 'ramkey.db-wal'))).toBe(false);

    restored = await startServer({ reuse: { dataDir: running.dataDir, admin: running.admin } });
    await expectReplayRefused(restored, afterBackup);
  });
});

describeSqlite('ramkey backup and restore refuse what they cannot do', () => {
  let temp: TempDir;
  /** An initialised installation (not served) and a good backup of it. */
  let base: string;
  let backupFile: string;

  beforeAll(async () => {
    temp = await makeTempDir('ramkey-backup-refusals-');
    base = join(temp.dir, 'base');
    const init = await runCli(['init', '--data', base]);
    expect(init.code, init.stderr).toBe(0);
    backupFile = join(temp.dir, 'base-backup.db');
    const backup = await runCli(['backup', '--to', backupFile, '--data', base]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`not the master key that opens them (${join(base, 'master.key')})`);
    expect(backup.stdout).toContain('a backup without its master\nkey cannot verify a single signature');
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  it('backup: no installation, no such directory, an existing file, a PostgreSQL installation', async () => {
    expectRefusal(
      await runCli(['backup', '--to', join(temp.dir, 'x.db'), '--data', join(temp.dir, 'nothing')]),
      /No Ramkey installation in .*nothing/,
    );
    const nowhere = join(temp.dir, 'no-such-dir', 'b.db');
    expectRefusal(
      await runCli(['backup', '--to', nowhere, '--data', base]),
      /the directory .*no-such-dir does not exist/,
    );
    expect(existsSync(join(temp.dir, 'no-such-dir'))).toBe(false);

    const existing = join(temp.dir, 'existing.db');
    writeFileSync(existing, 'keep me');
    expectRefusal(await runCli(['backup', '--to', existing, '--data', base]), /already exists/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');

    expectRefusal(
      await runCli(['backup', '--to', join(temp.dir, 'pg.db'), '--data', base], {
        RAMKEY_DATABASE_URL: 'postgres://127.0.0.1:1/none',
      }),
      /lives in PostgreSQL: back it up with pg_dump/,
    );
    expect(existsSync(join(temp.dir, 'pg.db'))).toBe(false);
    expect((await runCli(['backup', '--data', base])).code).toBe(2);
    expect(readdirSync(temp.dir).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('restore: a missing file, a file that is no database, or no Ramkey database', async () => {
    const dir = withMasterKeyOf(base, join(temp.dir, 'r1'));
    expectRefusal(
      await runCli(['restore', '--from', join(temp.dir, 'missing.db'), '--data', dir]),
      /there is no file .*missing\.db/,
    );
    const text = join(temp.dir, 'notes.txt');
    writeFileSync(text, 'these are not the droids\n'.repeat(200));
    expectRefusal(
      await runCli(['restore', '--from', text, '--data', dir]),
      /notes\.txt is not a SQLite database/,
    );
    const other = join(temp.dir, 'other.db');
    const db = new BetterSqlite3(other);
    db.exec('create table things (id integer primary key)');
    db.close();
    expectRefusal(await runCli(['restore', '--from', other, '--data', dir]), /not a Ramkey one/);
    // Nothing restored, nothing left behind but the master key (and the lock a server would take).
    expect(readdirSync(dir).sort()).toEqual(['master.key', 'ramkey.db-nonces.lock']);
  });

  it('restore: without the master key, or with another installation’s', async () => {
    const bare = join(temp.dir, 'bare');
    expectRefusal(
      await runCli(['restore', '--from', backupFile, '--data', bare]),
      /needs the master key of the installation it came from.*Copy that installation's master\.key into/,
    );
    expect(existsSync(join(bare, 'ramkey.db'))).toBe(false);

    const stranger = join(temp.dir, 'stranger');
    expect((await runCli(['init', '--data', stranger])).code).toBe(0);
    const before = readFileSync(join(stranger, 'ramkey.db'));
    expectRefusal(
      await runCli(['restore', '--from', backupFile, '--data', stranger]),
      /The master key \(.*stranger\/master\.key\) does not open the AccessKey secrets/,
    );
    expect(readFileSync(join(stranger, 'ramkey.db')).equals(before)).toBe(true);
    expect(readdirSync(stranger).filter((n) => n.includes('before-restore'))).toEqual([]);
  });

  it('restore: a live database with its WAL, and a backup from a newer Ramkey', async () => {
    const dir = withMasterKeyOf(base, join(temp.dir, 'r2'));
    const live = join(temp.dir, 'live.db');
    copyFileSync(backupFile, live);
    writeFileSync(`${live}-wal`, '');
    expectRefusal(await runCli(['restore', '--from', live, '--data', dir]), /a live database, not a backup/);

    const newer = join(temp.dir, 'newer.db');
    copyFileSync(backupFile, newer);
    const db = new BetterSqlite3(newer);
    db.prepare("insert into ramkey_migration (name, timestamp) values ('9999_from_the_future', 'now')").run();
    db.close();
    expectRefusal(
      await runCli(['restore', '--from', newer, '--data', dir]),
      /made by a newer version of Ramkey \(migrations 9999_from_the_future\)/,
    );
    expect(existsSync(join(dir, 'ramkey.db'))).toBe(false);
    rmSync(newer);
  });
});
