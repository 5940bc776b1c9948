// Bounds checked on the text before any parser builds a tree (invariant 9). The YAML library needs about 1 KB
// of heap per value and recurses per nesting level, smol-toml builds nested tables from dotted keys: a 200 KB
// `[[[[…` or a config of 100 000 tiny values exhausts a 64 MB heap before a schema could count anything. So
// values and nesting are counted on tokens (YAML: the library's own lexer, which agrees with its parser on
// quotes, comments and block scalars; TOML: a small scanner of its string and comment rules). The counts are
// upper bounds: a valid config is far below every limit, and the exact depth is checked again on the data.
import { Lexer } from 'yaml';
import { LIMITS } from './limits.js';

export interface ScanProblem {
  /** `syntax`: broken text the parser would report once per token (a flood), so it is reported here once. */
  kind: 'limit' | 'syntax';
  message: string;
  /** Offset into the text where the limit was passed. */
  offset: number;
}

/** Block indentation beyond this is refused: it bounds how deep block nesting can go before parsing. */
const MAX_INDENT = 1000;
// Lexer markers that are not source text (document start, flow error end, scalar start).
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

const tooManyValues = (offset: number): ScanProblem => ({
  kind: 'limit',
  message: `holds more than ${LIMITS.valuesPerFile} values`,
  offset,
});
const tooDeep = (offset: number): ScanProblem => ({ kind: 'limit', message: `is nested more than ${LIMITS.depth} levels deep`, offset });

/** YAML and JSON (JSON is read by the YAML parser). */
export function scanYaml(text: string): ScanProblem | undefined {
  let offset = 0;
  let values = 0;
  let flow = 0;
  let lineStart = true;
  let indicators = 0;
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    if (!MARKERS.has(token)) offset += token.length;
    const c = token[0];
    if (token === '\u001f' || c === '"' || c === "'" || c === '*') values++;
    else if (token === '[' || token === '{') {
      values++;
      if (++flow > LIMITS.depth) return tooDeep(at);
    } else if (token === ']' || token === '}') {
      if (--flow < 0) return { kind: 'syntax', message: 'a closing bracket or brace has no opening one', offset: at };
    } else if (flow === 0 && (token === '-' || token === '?' || token === ':')) {
      values++;
      if (++indicators > LIMITS.depth) return tooDeep(at);
    }
    if (values > LIMITS.valuesPerFile) return tooManyValues(at);
    if (c === '\n' || c === '\r') {
      lineStart = true;
      indicators = 0;
    } else if (lineStart) {
      lineStart = false;
      if (/^ +$/.test(token) && token.length > MAX_INDENT)
        return { kind: 'limit', message: `is indented more than ${MAX_INDENT} columns`, offset: at };
    }
  }
  return undefined;
}

/** TOML: counts `=`, `,`, `[` and `{` outside strings and comments; depth is brackets plus dotted key parts. */
export function scanToml(text: string): ScanProblem | undefined {
  let values = 0;
  let depth = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if (c === '"' || c === "'") {
      i = stringEnd(text, i) - 1;
    } else if (c === '[' || c === '{') {
      values++;
      depth++;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    } else if (c === '=' || c === ',' || c === '\n') {
      if (c !== '\n') values++;
      dots = 0;
    } else if (c === '.') {
      dots++;
    }
    if (values > LIMITS.valuesPerFile) return tooManyValues(i);
    if (depth + dots > LIMITS.depth) return tooDeep(i);
  }
  return undefined;
}

/** Index just past the TOML string starting at `start` (basic or literal, one line or multi-line). */
function stringEnd(text: string, start: number): number {
  const quote = text[start] as string;
  const triple = quote.repeat(3);
  const multi = text.startsWith(triple, start);
  let i = start + (multi ? 3 : 1);
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && quote === '"') i += 2;
    else if (multi && text.startsWith(triple, i)) {
      i += 3;
      // Up to two more quotes belong to the content: `""""` is a quote and the end.
      for (let extra = 0; extra < 2 && text[i] === quote; extra++) i++;
      return i;
    } else if (!multi && (c === quote || c === '\n')) return i + 1;
    else i++;
  }
  return i;
}
