// Modal dialogs on the native <dialog>: showModal() makes the rest of the page inert (focus stays inside) and
// Esc cancels it; we only put focus on the first control and give it back to where it was on close.
import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode, SubmitEvent } from 'react';
import type { ApiError } from '../api/errors';
import { ErrorBox } from './ErrorBox';

export function Dialog({
  title,
  onClose,
  children,
  className,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus], input, select, textarea, button');
    first?.focus();
    return () => {
      dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={className === undefined ? 'dialog' : `dialog ${className}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/**
 * Asks before a change. With `confirmText`, the confirm button stays disabled until that exact text
 * (a key ID, a user name) is typed: for changes that cannot be undone.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = false,
  confirmText,
  pending = false,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  confirmText?: string;
  pending?: boolean;
  error?: ApiError | undefined;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const ready = confirmText === undefined || typed === confirmText;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (ready && !pending) onConfirm();
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit}>
        <div className="dialog-body">{children}</div>
        {confirmText !== undefined && (
          <div className="field">
            <label htmlFor={inputId}>
              Type <code>{confirmText}</code> to confirm
            </label>
            <input
              id={inputId}
              value={typed}
              autoComplete="off"
              spellCheck={false}
              onChange={(event) => {
                setTyped(event.target.value);
              }}
            />
          </div>
        )}
        {error !== undefined && <ErrorBox error={error} />}
        <div className="actions">
          <button type="submit" className={danger ? 'danger' : undefined} disabled={!ready || pending}>
            {pending ? 'Working…' : confirmLabel}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
