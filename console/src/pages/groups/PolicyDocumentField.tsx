// A policy document editor with the API's answer beside it: when the API refuses the document, its Code
// and Message stay next to the text until it is edited again.
import { useId } from 'react';
import type { ApiError } from '../../api/errors';
import { ErrorBox } from '../../components/ErrorBox';

export function PolicyDocumentField({
  label,
  value,
  onChange,
  error,
  rows = 14,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: ApiError | undefined;
  rows?: number;
}) {
  const id = useId();
  return (
    <div className="editor-with-result">
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <textarea
          id={id}
          rows={rows}
          spellCheck={false}
          value={value}
          aria-invalid={error !== undefined}
          onChange={(event) => {
            onChange(event.target.value);
          }}
        />
        <p className="hint">JSON: Version "1" and Statement entries with Effect, Action and Resource.</p>
      </div>
      <div aria-live="polite" data-testid="document-result">
        {error !== undefined && <ErrorBox error={error} />}
      </div>
    </div>
  );
}
