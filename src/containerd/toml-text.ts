// Just enough TOML lexing to edit config.toml as text: smol-toml parses but drops comments and layout on
// stringify, and an operator's config.toml is full of both. Every edit made with these helpers is checked
// by re-parsing the whole result (config-toml.ts), so a form they do not recognise leads to a refusal,
// never to a wrong file.
import { parse, TomlError } from 'smol-toml';
import { AgentError } from '../errors.js';

export type TomlTable = Record<string, unknown>;

/** Parses TOML; the error names line and column only, because the offending line may hold a password. */
export function parseTomlSafely(text: string, file: string): TomlTable {
  try {
    return parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    throw new AgentError('CMA_CONTAINERD_CONFIG', `not valid TOML${where}`, { file });
  }
}

/** A TOML basic string. JSON's escapes are TOML's, except that TOML also forbids a raw DEL. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll('\x7f', '\\u007f');
}

/** `plugins."io.containerd.grpc.v1.cri".registry` style dotted key, every part quoted unless bare-safe. */
export function tomlKey(parts: readonly string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : tomlString(p))).join('.');
}

/**
 * The key path of a `[table]` header line, or undefined for any other line (including `[[array]]`
 * headers). Handles bare, "basic" and 'literal' keys, whitespace around dots, and a trailing comment.
 */
export function headerPath(line: string): string[] | undefined {
  const s = line.trimStart();
  if (!s.startsWith('[') || s.startsWith('[[')) return undefined;
  const parts: string[] = [];
  let i = 1;
  const skipSpace = (): void => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  for (;;) {
    skipSpace();
    const part = readKeyPart(s, i);
    if (!part) return undefined;
    parts.push(part.value);
    i = part.end;
    skipSpace();
    if (s[i] === ']') break;
    if (s[i] !== '.') return undefined;
    i++;
  }
  const rest = s.slice(i + 1).trim();
  return rest === '' || rest.startsWith('#') ? parts : undefined;
}

function readKeyPart(s: string, start: number): { value: string; end: number } | undefined {
  const quote = s[start];
  if (quote === '"') {
    let j = start + 1;
    while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length) return undefined;
    try {
      return { value: JSON.parse(s.slice(start, j + 1)) as string, end: j + 1 };
    } catch {
      return undefined;
    }
  }
  if (quote === "'") {
    const j = s.indexOf("'", start + 1);
    return j < 0 ? undefined : { value: s.slice(start + 1, j), end: j + 1 };
  }
  const m = /^[A-Za-z0-9_-]+/.exec(s.slice(start));
  return m ? { value: m[0], end: start + m[0].length } : undefined;
}

/** Whether a line opens a new table or array of tables, which ends the previous table's section. */
export function isTableLine(line: string): boolean {
  return line.trimStart().startsWith('[');
}

export function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** Walks nested tables; undefined as soon as a step is missing or not a table. */
export function tableAt(doc: TomlTable, path: readonly string[]): TomlTable | undefined {
  let cur: unknown = doc;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as TomlTable)[key];
  }
  return typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as TomlTable) : undefined;
}
