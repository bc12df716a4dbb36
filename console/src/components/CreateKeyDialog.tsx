// Creates an AccessKey and shows its secret this once: copy it or download it as CSV, then close. The secret
// lives only in this dialog's state; closing the dialog drops it, and nothing ever shows it again.
import { useState } from 'react';
import { rpc } from '../api/client';
import { useAction } from '../api/hooks';
import { obj, text } from '../api/values';
import { ownerParams } from '../domain/keys';
import type { KeyOwnerName } from '../domain/keys';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

interface NewKey {
  readonly id: string;
  readonly secret: string;
}

/** The CSV Alibaba's console offers for a new key: a header line and the ID and secret. */
function csvOf(key: NewKey): string {
  return `AccessKey ID,AccessKey Secret\r\n${key.id},${key.secret}\r\n`;
}

function download(key: NewKey): void {
  // A blob: address names the data, it does not carry it: the secret is in no URL.
  const url = URL.createObjectURL(new Blob([csvOf(key)], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `AccessKey-${key.id}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

export function CreateKeyDialog({
  userName,
  label,
  onClose,
}: {
  userName: KeyOwnerName;
  /** Whose key, in words: `alice`, or `your account (root)`. */
  label: string;
  onClose: (created: boolean) => void;
}) {
  const [key, setKey] = useState<NewKey | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const create = useAction(async () => {
    const body = await rpc('ram', 'CreateAccessKey', ownerParams(userName));
    const created = obj(body.AccessKey);
    setKey({ id: text(created.AccessKeyId), secret: text(created.AccessKeySecret) });
  });

  const copy = async (what: string, value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(`${what} copied.`);
    } catch {
      setCopied(`Could not copy: select the ${what.toLowerCase()} and copy it by hand.`);
    }
  };

  if (key === undefined) {
    return (
      <Dialog
        title="Create an AccessKey"
        onClose={() => {
          onClose(false);
        }}
      >
        <p>
          A new AccessKey for <strong>{label}</strong>. Its secret is shown once, right after it is created.
        </p>
        {create.error !== undefined && <ErrorBox error={create.error} />}
        <div className="actions">
          <button type="button" disabled={create.pending} onClick={() => void create.run()}>
            {create.pending ? 'Creating…' : 'Create AccessKey'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              onClose(false);
            }}
          >
            Cancel
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="AccessKey created"
      onClose={() => {
        onClose(true);
      }}
    >
      <div className="secret-box">
        <p>
          <strong>This is the only time the secret is shown. It will not be shown again.</strong> Store it
          somewhere safe now, or download it as CSV.
        </p>
        <dl className="key-pair">
          <dt>AccessKey ID</dt>
          <dd>
            <code data-testid="new-key-id">{key.id}</code>
          </dd>
          <dt>AccessKey secret</dt>
          <dd>
            <code data-testid="new-key-secret">{key.secret}</code>
          </dd>
        </dl>
      </div>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void copy('ID', key.id)}>
          Copy ID
        </button>
        <button type="button" className="secondary" onClick={() => void copy('Secret', key.secret)}>
          Copy secret
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            download(key);
          }}
        >
          Download CSV
        </button>
      </div>
      {copied !== undefined && (
        <p role="status" className="muted">
          {copied}
        </p>
      )}
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            onClose(true);
          }}
        >
          I have stored the secret
        </button>
      </div>
    </Dialog>
  );
}
