// Output for humans (tables and key: value blocks aligned by display width) and for scripts (--json).

export function printJson(value: unknown): void {
  process.stdout.write(formatJson(value));
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** One argument as a POSIX shell reads it back: quoted only when it has to be. */
export function shellArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** A grapheme taking no column: combining marks alone, format characters (ZWJ, ZWSP), controls. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;
/** Emoji drawn as pictures: default emoji presentation, or text presentation turned by VS16 or a keycap. */
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\u20E3/u;
/**
 * East Asian Wide and Fullwidth code points (Unicode UAX #11), by block: Hangul Jamo leading
 * consonants, CJK radicals to CJK compatibility, CJK extension A and unified ideographs, Yi, Hangul
 * syllables, CJK compatibility ideographs, vertical and small forms, fullwidth forms, the
 * supplementary ideographic planes.
 */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function isWide(codePoint: number): boolean {
  return WIDE_RANGES.some(([from, to]) => codePoint >= from && codePoint <= to);
}

/**
 * The columns `text` takes in a terminal: 2 for each East Asian wide or fullwidth character and each
 * emoji (a ZWJ sequence or a flag counts once), 0 for combining marks and format characters, else 1.
 *
 * @example displayWidth('管理员') // => 6
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += EMOJI.test(segment) || isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
  }
  return width;
}

/** `text` followed by spaces up to `width` display columns. */
export function padDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** An aligned table; an empty list prints `(none)` so that the absence is visible. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  process.stdout.write(formatTable(headers, rows));
}

/** The text printTable prints. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => padDisplay(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function printFields(fields: Readonly<Record<string, string | undefined>>): void {
  process.stdout.write(formatFields(fields));
}

/** `key: value` lines, values aligned; undefined values are left out. */
export function formatFields(fields: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined);
  const width = Math.max(...entries.map(([k]) => displayWidth(k)));
  return `${entries.map(([k, v]) => `${padDisplay(`${k}:`, width + 1)} ${v}`).join('\n')}\n`;
}
