import { ScimError } from '../errors';

export type Token =
  | { readonly kind: '(' | ')' | '[' | ']'; readonly at: number }
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  /** Anything else between separators: attribute paths, operators, keywords, numbers, bare values. */
  | { readonly kind: 'word'; readonly value: string; readonly at: number };

const MAX_FILTER_LENGTH = 10_000;

export function tokenize(text: string, scimType: 'invalidFilter' | 'invalidPath' = 'invalidFilter'): Token[] {
  if (text.length > MAX_FILTER_LENGTH)
    throw ScimError.badRequest(scimType, `Expression longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, at: i });
      i++;
    } else if (ch === '"') {
      const end = findStringEnd(text, i);
      if (end < 0) throw ScimError.badRequest(scimType, `Unterminated string starting at position ${i + 1}`);
      let value: unknown;
      try {
        value = JSON.parse(text.slice(i, end + 1));
      } catch {
        value = undefined;
      }
      // A quoted JSON text parses to a string or not at all.
      if (typeof value !== 'string')
        throw ScimError.badRequest(scimType, `Invalid string escape in string starting at position ${i + 1}`);
      tokens.push({ kind: 'string', value, at: i });
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !' \t\n\r()[]"'.includes(text.charAt(i))) i++;
      tokens.push({ kind: 'word', value: text.slice(start, i), at: start });
    }
  }
  return tokens;
}

function findStringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
