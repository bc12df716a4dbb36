// A dialog that is one small form: labelled text fields, the API's error, submit and Cancel. The
// create and rename dialogs of the pages are all this shape.
import { useId } from 'react';
import type { ReactNode } from 'react';
import type { ActionState } from '../api/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

/** A labelled text input; `name` fields (identifiers) are not spell-checked. */
export function TextField({
  label,
  value,
  onChange,
  required = false,
  name = false,
  hint,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  name?: boolean;
  hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        required={required}
        spellCheck={name ? false : undefined}
        autoComplete="off"
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      {hint !== undefined && <p className="hint">{hint}</p>}
    </div>
  );
}

export function FormDialog({
  title,
  action,
  submitLabel,
  pendingLabel,
  onClose,
  children,
}: {
  title: string;
  /** What submitting runs; its error is shown above the buttons. */
  action: Pick<ActionState<[], unknown>, 'run' | 'pending' | 'error'>;
  submitLabel: string;
  pendingLabel: string;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run();
        }}
      >
        {children}
        {action.error !== undefined && <ErrorBox error={action.error} />}
        <div className="actions">
          <button type="submit" disabled={action.pending}>
            {action.pending ? pendingLabel : submitLabel}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              onClose();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
