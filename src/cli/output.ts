// Output for humans (aligned tables, key: value blocks) and for scripts (--json).

export interface Output {
  json: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An aligned table; an empty list prints `(none)` so that the absence is visible. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

export function printFields(fields: Readonly<Record<string, string | undefined>>): void {
  const entries = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  const width = Math.max(...entries.map(([k]) => k.length));
  process.stdout.write(`${entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n')}\n`);
}
