// The account's alert webhook (IMS Get/Set/DeleteNotificationWebhook): where restriction alerts are
// POSTed. Setting it returns the signing secret once; it lives in this component's state until dismissed.
import { useId, useState } from 'react';
import { rpc } from '../../api/client';
import { useAction, useRequest } from '../../api/hooks';
import { asApiError } from '../../api/errors';
import { obj, text } from '../../api/values';
import { ConfirmDialog } from '../../components/Dialog';
import { ErrorBox } from '../../components/ErrorBox';
import { RequestView } from '../../components/RequestView';
import { formatDateTime } from '../../format';

const NO_WEBHOOK = 'EntityNotExist.NotificationWebhook';

export function Webhook() {
  const hook = useRequest(async () => {
    try {
      const w = obj((await rpc('ims', 'GetNotificationWebhook')).Webhook);
      return { url: text(w.Url), updated: text(w.UpdateDate) };
    } catch (error) {
      if (asApiError(error).code === NO_WEBHOOK) return null;
      throw error;
    }
  }, 'webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | undefined>();
  const [deleting, setDeleting] = useState(false);
  const urlId = useId();
  const set = useAction(async () => {
    const w = obj((await rpc('ims', 'SetNotificationWebhook', { Url: url.trim() })).Webhook);
    setSecret(text(w.Secret));
    setUrl('');
    hook.reload();
  });
  const remove = useAction(async () => {
    await rpc('ims', 'DeleteNotificationWebhook');
    setDeleting(false);
    hook.reload();
  });
  return (
    <div className="panel">
      <RequestView request={hook} label="Loading the webhook…">
        {(w) =>
          w === null ? (
            <p>No webhook: alerts are kept here only.</p>
          ) : (
            <dl className="facts">
              <dt>URL</dt>
              <dd className="mono">{w.url}</dd>
              <dt>Set</dt>
              <dd>{formatDateTime(w.updated)}</dd>
            </dl>
          )
        }
      </RequestView>
      {secret !== undefined && (
        <div className="secret-box" role="status">
          <p>
            <strong>The signing secret is shown this once.</strong> Your receiver checks{' '}
            <code>X-Ramkey-Signature</code> with it.
          </p>
          <p>
            <code data-testid="webhook-secret">{secret}</code>
          </p>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setSecret(undefined);
            }}
          >
            I have stored the secret
          </button>
        </div>
      )}
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          void set.run();
        }}
      >
        <div className="field grow">
          <label htmlFor={urlId}>{hook.data === null ? 'Webhook URL' : 'New webhook URL'}</label>
          <input
            id={urlId}
            type="url"
            required
            placeholder="https://alerts.example/ramkey"
            autoComplete="off"
            value={url}
            onChange={(event) => {
              setUrl(event.target.value);
            }}
          />
        </div>
        <button type="submit" disabled={set.pending}>
          {set.pending ? 'Saving…' : 'Set webhook'}
        </button>
        {hook.data !== undefined && hook.data !== null && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              remove.clearError();
              setDeleting(true);
            }}
          >
            Delete webhook
          </button>
        )}
      </form>
      {set.error !== undefined && <ErrorBox error={set.error} onDismiss={set.clearError} />}
      {deleting && (
        <ConfirmDialog
          title="Delete the webhook?"
          confirmLabel="Delete webhook"
          danger
          pending={remove.pending}
          error={remove.error}
          onConfirm={() => void remove.run()}
          onClose={() => {
            setDeleting(false);
          }}
        >
          <p>Alerts are then kept here only, until a webhook is set again.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
