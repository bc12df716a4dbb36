// Disable, enable and delete for one AccessKey. Delete is offered only for a disabled key, and asks for the
// key ID to be typed after showing when and where the key was last used: a key still in use should not go.
import { useState } from 'react';
import { rpc } from '../api/client';
import { useAction } from '../api/hooks';
import { ownerParams } from '../domain/keys';
import type { KeyOwnerName, KeyRow } from '../domain/keys';
import { formatDateTime, formatRelative } from '../format';
import { ConfirmDialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

export function KeyActions({
  keyRow,
  userName,
  onChanged,
}: {
  keyRow: KeyRow;
  userName: KeyOwnerName;
  onChanged: (change: 'status' | 'deleted') => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const id = keyRow.AccessKeyId;
  const active = keyRow.Status === 'Active';
  const setStatus = useAction(async () => {
    await rpc('ram', 'UpdateAccessKey', {
      ...ownerParams(userName),
      UserAccessKeyId: id,
      Status: active ? 'Inactive' : 'Active',
    });
    onChanged('status');
  });
  const remove = useAction(async () => {
    await rpc('ram', 'DeleteAccessKey', { ...ownerParams(userName), UserAccessKeyId: id });
    setConfirming(false);
    onChanged('deleted');
  });

  return (
    <>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={setStatus.pending}
          aria-label={`${active ? 'Disable' : 'Enable'} ${id}`}
          onClick={() => void setStatus.run()}
        >
          {active ? 'Disable' : 'Enable'}
        </button>
        {!active && (
          <button
            type="button"
            className="danger"
            aria-label={`Delete ${id}`}
            onClick={() => {
              remove.clearError();
              setConfirming(true);
            }}
          >
            Delete
          </button>
        )}
      </div>
      {setStatus.error !== undefined && <ErrorBox error={setStatus.error} onDismiss={setStatus.clearError} />}
      {confirming && (
        <ConfirmDialog
          title={`Delete AccessKey ${id}?`}
          confirmLabel="Delete AccessKey"
          danger
          confirmText={id}
          pending={remove.pending}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onClose={() => {
            setConfirming(false);
          }}
        >
          <p className="notice" data-testid="last-use">
            {keyRow.LastUsedDate === ''
              ? 'This key has never been used.'
              : `Last used ${formatRelative(keyRow.LastUsedDate)} (${formatDateTime(keyRow.LastUsedDate)})` +
                (keyRow.LastUsedServiceName === '' ? '' : ` for ${keyRow.LastUsedServiceName}`) +
                (keyRow.LastUsedSourceIp === '' ? '' : ` from ${keyRow.LastUsedSourceIp}`) +
                '.'}
          </p>
          <p>
            Every program still using this key fails from the moment it is deleted. The key goes to the
            recycle bin for 30 days and can be restored from there.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
