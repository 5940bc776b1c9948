// Bytes -> plain data, by file extension. Duplicate keys are errors in every format: a silently dropped
// first value is exactly the kind of surprise that sends a node to the wrong mirror.
import { parseDocument } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { AgentError } from '../errors.js';
import { isPlainObject, type Plain } from './merge.js';

type Format = 'yaml' | 'json' | 'toml';

function formatOf(path: string): Format {
  if (path.endsWith('.toml')) return 'toml';
  if (path.endsWith('.json')) return 'json';
  return 'yaml';
}

/**
 * Parser messages quote the offending text, which may be a password: keep the first line, drop the
 * parser's own position suffix (we add ours) and anything in quotes.
 */
function safeReason(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '').replace(/ at line \d+, column \d+:?$/, '');
  return first.replace(/"[^"]*"|'[^']*'/g, '(value hidden)').slice(0, 200);
}

function syntax(file: string, format: Format, reason: string, pos?: { line: number; col: number }): AgentError {
  const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
  return new AgentError('CMA_CONFIG_SYNTAX', `not valid ${format.toUpperCase()}${where}: ${reason}`, { file });
}

function decodeText(file: string, format: Format, bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw syntax(file, format, 'the file is not UTF-8 text');
  }
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (control) {
    const before = text.slice(0, control.index).split('\n');
    throw syntax(file, format, 'the file holds binary data (control characters)', { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 });
  }
  return text;
}

function parseYamlLike(file: string, format: Format, text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, schema: format === 'json' ? 'json' : 'core' });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw syntax(file, format, first.code === 'DUPLICATE_KEY' ? 'duplicate key' : safeReason(first.message), pos);
  }
  if (doc.contents === null) return undefined;
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

function parseTomlText(file: string, text: string): unknown {
  try {
    const data = parseToml(text);
    // A TOML document without a single key or table is whitespace and comments only.
    return Object.keys(data).length === 0 ? undefined : data;
  } catch (err) {
    if (err instanceof TomlError) throw syntax(file, 'toml', safeReason(err.message), { line: err.line, col: err.column });
    throw err;
  }
}

/** The top-level mapping of one file. Throws one AgentError: empty, syntax, or not a mapping. */
export function parseConfigFile(file: string, bytes: Buffer, format: Format = formatOf(file)): Plain {
  const text = decodeText(file, format, bytes);
  const data = format === 'toml' ? parseTomlText(file, text) : parseYamlLike(file, format, text);
  if (data === undefined || data === null) throw new AgentError('CMA_CONFIG_EMPTY', 'the file is empty or holds only comments', { file });
  if (!isPlainObject(data)) throw syntax(file, format, 'the top level must be a mapping of keys to values');
  return data;
}
