// ASCII-only case folding: user, group, policy and action names compare case-insensitively in ASCII
// alone, so that no Unicode folding (the Kelvin sign U+212A to `k`, say) makes two names equal.

const ASCII_UPPER = /[A-Z]+/g;

/** `s` with A-Z lowered and every other character, ASCII or not, left as it is. */
export function asciiLower(s: string): string {
  // The engine's lowering is fast and exact on pure ASCII; elsewhere it would fold too much.
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) return s.toLowerCase();
  return s.replace(ASCII_UPPER, (upper) => upper.toLowerCase());
}
