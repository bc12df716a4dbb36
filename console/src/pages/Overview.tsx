// The account's security posture at a glance: each finding lists what it is about and links to the page
// that fixes it. Everything here is read with the signed-in principal's rights.
import type { ReactNode } from 'react';
import { rpc } from '../api/client';
import { useRequest } from '../api/hooks';
import { text } from '../api/values';
import { RequestView } from '../components/RequestView';
import { imsOwnerParams, listAllUsers, listKeys, mapLimited } from '../domain/keys';
import type { KeyRow } from '../domain/keys';
import { formatRelative } from '../format';
import { Link, segment } from '../router/router';
import { useSignedIn } from '../session/session';

/** A key unused (or, never used, created) this many days ago counts as idle. */
const IDLE_DAYS = 90;

interface OwnedKey extends KeyRow {
  /** The RAM user's name, or undefined for a root key. */
  readonly userName: string | undefined;
  readonly networkPolicy: string;
}

function policyStatus(document: string): string {
  try {
    const status = (JSON.parse(document) as { Status?: unknown }).Status;
    return typeof status === 'string' ? status : 'Inactive';
  } catch {
    return 'Inactive';
  }
}

async function posture(accountId: string, isRoot: boolean) {
  const users = await listAllUsers();
  const owners: (string | undefined)[] = [...(isRoot ? [undefined] : []), ...users.map((u) => u.UserName)];
  const keyLists = await mapLimited(owners, async (userName) =>
    (await listKeys(userName)).map((k) => ({ ...k, userName })),
  );
  const account = policyStatus(text((await rpc('ims', 'GetAccessKeyPolicyForAccount')).AccessKeyPolicy));
  const keys: OwnedKey[] = await mapLimited(keyLists.flat(), async (k) => {
    const body = await rpc('ims', 'GetAccessKeyPolicy', {
      ...imsOwnerParams(k.userName, accountId),
      UserAccessKeyId: k.AccessKeyId,
    });
    return { ...k, networkPolicy: policyStatus(text(body.AccessKeyPolicy)) };
  });
  const idleSince = Date.now() - IDLE_DAYS * 86_400_000;
  return {
    isRoot,
    userCount: users.length,
    keyCount: keys.length,
    rootKeys: keys.filter((k) => k.userName === undefined),
    idle: keys.filter((k) => k.Status === 'Active' && Date.parse(k.LastUsedDate || k.CreateDate) < idleSince),
    twoActive: users
      .map((u) => u.UserName)
      .filter((name) => keys.filter((k) => k.userName === name && k.Status === 'Active').length >= 2),
    restricted: keys.filter((k) => k.LeakRestricted),
    accountPolicy: account,
    unprotected: account === 'Active' ? [] : keys.filter((k) => k.networkPolicy !== 'Active'),
  };
}

function Finding({
  title,
  count,
  ok,
  children,
}: {
  title: string;
  count: number;
  ok: string;
  children: ReactNode;
}) {
  return (
    <section className={count === 0 ? 'panel finding ok' : 'panel finding bad'} aria-label={title}>
      <h2>
        {title} <span className={count === 0 ? 'badge ok' : 'badge bad'}>{count}</span>
      </h2>
      {count === 0 ? <p className="muted">{ok}</p> : children}
    </section>
  );
}

function keyLink(k: OwnedKey) {
  return (
    <Link to={`/keys/${segment(k.AccessKeyId)}`} className="mono">
      {k.AccessKeyId}
    </Link>
  );
}

function lastUse(k: OwnedKey) {
  return k.LastUsedDate === '' ? 'never used' : `last used ${formatRelative(k.LastUsedDate)}`;
}

function owner(k: OwnedKey) {
  return k.userName === undefined ? 'root' : k.userName;
}

export function Overview() {
  const session = useSignedIn();
  const principal = session.Principal;
  const isRoot = principal.Type === 'root-account';
  const request = useRequest(() => posture(principal.AccountId, isRoot), principal.Arn);

  return (
    <section>
      <h1>Overview</h1>
      <p className="muted">
        Account <span className="mono">{principal.AccountId}</span>, signed in as {principal.LoginName}.
      </p>
      <RequestView request={request} label="Checking the account's security posture…">
        {(p) => (
          <>
            <p>
              {p.userCount} user{p.userCount === 1 ? '' : 's'}, {p.keyCount} AccessKey
              {p.keyCount === 1 ? '' : 's'}.
            </p>
            <div className="findings">
              {p.isRoot ? (
                <Finding
                  title="Root AccessKeys"
                  count={p.rootKeys.length}
                  ok="The account has no AccessKey of its own."
                >
                  <p>
                    A root key can do everything and cannot be restricted. Give programs a RAM user's key,
                    then disable and delete these:
                  </p>
                  <ul>
                    {p.rootKeys.map((k) => (
                      <li key={k.AccessKeyId}>
                        {keyLink(k)} ({k.Status}, {lastUse(k)})
                      </li>
                    ))}
                  </ul>
                </Finding>
              ) : (
                <section className="panel finding" aria-label="Root AccessKeys">
                  <h2>Root AccessKeys</h2>
                  <p className="muted">Only the account itself can see its own keys.</p>
                </section>
              )}
              <Finding
                title={`Keys unused for ${IDLE_DAYS}+ days`}
                count={p.idle.length}
                ok={`Every active key was used in the last ${IDLE_DAYS} days.`}
              >
                <p>Active keys nobody uses: disable them, and delete them if nothing breaks.</p>
                <ul>
                  {p.idle.map((k) => (
                    <li key={k.AccessKeyId}>
                      {keyLink(k)} of {owner(k)}, {lastUse(k)}
                    </li>
                  ))}
                </ul>
              </Finding>
              <Finding
                title="Users with 2 active keys"
                count={p.twoActive.length}
                ok="No user has two active keys."
              >
                <p>Two active keys are for a rotation in progress: finish it by disabling the old key.</p>
                <ul>
                  {p.twoActive.map((name) => (
                    <li key={name}>
                      <Link to={`/users/${segment(name)}`}>{name}</Link>
                    </li>
                  ))}
                </ul>
              </Finding>
              <Finding
                title="Leak-restricted keys"
                count={p.restricted.length}
                ok="No key is restricted as leaked."
              >
                <p>
                  These keys were reported as leaked: <Link to="/alerts">rotate them</Link>.
                </p>
                <ul>
                  {p.restricted.map((k) => (
                    <li key={k.AccessKeyId}>
                      {keyLink(k)} of {owner(k)}
                    </li>
                  ))}
                </ul>
              </Finding>
              <Finding
                title="Keys without a network policy"
                count={p.unprotected.length}
                ok={
                  p.accountPolicy === 'Active'
                    ? 'The account-level network policy covers every key.'
                    : 'Every key has an active network policy of its own.'
                }
              >
                <p>
                  These keys can be used from anywhere. Set an{' '}
                  <Link to="/network-policies">account-level policy</Link> or one per key (dry-run it first).
                </p>
                <ul>
                  {p.unprotected.map((k) => (
                    <li key={k.AccessKeyId}>
                      {keyLink(k)} of {owner(k)}
                      {k.networkPolicy === 'Audit' ? ' (policy in audit mode)' : ''}
                    </li>
                  ))}
                </ul>
              </Finding>
            </div>
          </>
        )}
      </RequestView>
    </section>
  );
}
