// A labelled input with its hint and its error: the shape of every simple field of the console's forms.
import { useId } from 'react';
import type { ReactNode } from 'react';

export function TextField({
  label,
  value,
  onChange,
  required = false,
  name = false,
  type = 'text',
  autoComplete = 'off',
  hint,
  error,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  /** An identifier (user, group or policy name): not spell-checked. */
  name?: boolean;
  type?: 'text' | 'password';
  autoComplete?: string;
  hint?: ReactNode;
  /** What is wrong with the value, shown under it (and the input marked invalid). */
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        required={required}
        spellCheck={name ? false : undefined}
        autoComplete={autoComplete}
        aria-invalid={error !== undefined ? true : undefined}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      {hint !== undefined && <p className="hint">{hint}</p>}
      {error !== undefined && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
