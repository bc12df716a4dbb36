// A dialog that is one small form: labelled fields (TextField), the API's error, submit and Cancel.
// The create and rename dialogs of the pages are all this shape.
import type { ReactNode } from 'react';
import type { ActionState } from '../api/hooks';
import { Dialog } from './Dialog';
import { ErrorBox } from './ErrorBox';

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
