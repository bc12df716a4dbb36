// A select of names and a button: adding a member, attaching a policy to a group or a user.
import { useId, useState } from 'react';

export function Picker({
  label,
  options,
  button,
  pending,
  onPick,
}: {
  label: string;
  options: readonly { value: string; label: string }[];
  button: string;
  pending: boolean;
  onPick: (value: string) => void;
}) {
  const [value, setValue] = useState('');
  const id = useId();
  return (
    <form
      className="toolbar picker"
      onSubmit={(event) => {
        event.preventDefault();
        if (value !== '') onPick(value);
      }}
    >
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <select
          id={id}
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
          }}
        >
          <option value="">Choose…</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={pending || value === ''}>
        {pending ? 'Working…' : button}
      </button>
    </form>
  );
}
