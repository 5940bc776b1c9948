// Bytes -> plain data, by file extension. Duplicate keys are errors in every format: a silently dropped
// first value is exactly the kind of surprise that sends a node to the wrong mirror. Every bound of
// src/config/limits.ts is checked before a parser sees the text, and no error ever quotes the text: a parser's
// own message can hold a password (`password: *s3cret`), so errors are fixed sentences chosen by error kind,
// with the line and the field.
import { LineCounter, type ErrorCode as YamlErrorCode } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { AgentError } from '../errors.js';
import { checkData, ValueBudget } from './data-limits.js';
import { formatPath } from './field-path.js';
import { pathAboveSecrets } from './secret-set.js';
import { LIMITS } from './limits.js';
import { isPlainObject, type Plain } from './merge.js';
import { scanToml, scanYaml, type ScanProblem } from './prescan.js';
import { composeYaml, FirstYamlError } from './yaml-compose.js';
import { documentToPlain, fieldAt, YamlProblem } from './yaml-plain.js';

type Format = 'yaml' | 'json' | 'toml';

function formatOf(path: string): Format {
  if (path.endsWith('.toml')) return 'toml';
  if (path.endsWith('.json')) return 'json';
  return 'yaml';
}

// What each YAML parser error means, in words that never depend on the input.
const YAML_REASONS: Partial<Record<YamlErrorCode, string>> = {
  BAD_DQ_ESCAPE: 'a double-quoted string holds an invalid escape',
  BAD_INDENT: 'the indentation is wrong',
  BAD_SCALAR_START: 'a plain value cannot start with this character: quote the value',
  BLOCK_AS_IMPLICIT_KEY: 'a key cannot be a block value',
  BLOCK_IN_FLOW: 'a block value cannot be inside `[...]` or `{...}`',
  DUPLICATE_KEY: 'duplicate key',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
  MISSING_CHAR: 'a closing quote, bracket or brace is missing',
  MULTILINE_IMPLICIT_KEY: 'a key cannot span lines',
  MULTIPLE_DOCS: 'holds more than one document (`---`)',
  TAB_AS_INDENT: 'tabs cannot indent YAML: use spaces',
  UNEXPECTED_TOKEN: 'unexpected text here; if a value starts with `*`, `&`, `!`, `|`, `>`, `%`, `@` or a backquote, quote it',
};

function syntax(file: string, format: Format, reason: string, where?: { line: number; col: number; field?: string }): AgentError {
  const at = where ? ` at line ${where.line}, column ${where.col}` : '';
  return new AgentError('CMA_CONFIG_SYNTAX', `not valid ${format.toUpperCase()}${at}: ${reason}`, {
    file,
    ...(where?.field ? { field: where.field } : {}),
  });
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
  if (control) throw syntax(file, format, 'the file holds binary data (control characters)', positionOf(text, control.index));
  return text;
}

function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

function scanned(file: string, format: Format, text: string, problem: ScanProblem): AgentError {
  const { line, col } = positionOf(text, problem.offset);
  if (problem.kind === 'syntax') return syntax(file, format, problem.message, { line, col });
  return new AgentError('CMA_CONFIG_LIMIT', `${problem.message} (at line ${line}, column ${col}; see docs/security.md "Limits")`, { file });
}

/** The field around `offset`, from the text before it (parsed again, tolerating a few errors), or ''. */
function fieldBefore(text: string, schema: 'core' | 'json', offset: number): string {
  try {
    const doc = composeYaml(text.slice(0, offset + 1), schema, undefined, 50);
    return doc === undefined ? '' : fieldAt(doc, offset);
  } catch {
    return '';
  }
}

function parseYamlLike(file: string, format: Format, text: string): unknown {
  const problem = scanYaml(text);
  if (problem !== undefined) throw scanned(file, format, text, problem);
  const lines = new LineCounter();
  const schema = format === 'json' ? 'json' : 'core';
  let doc;
  try {
    doc = composeYaml(text, schema, lines);
  } catch (err) {
    if (!(err instanceof FirstYamlError)) throw err;
    throw syntax(file, format, YAML_REASONS[err.code] ?? 'the syntax is broken here', {
      ...lines.linePos(err.offset),
      field: fieldBefore(text, schema, err.offset),
    });
  }
  if (doc === undefined || doc.contents === null) return undefined;
  try {
    return documentToPlain(doc);
  } catch (err) {
    if (!(err instanceof YamlProblem)) throw err;
    throw syntax(file, format, err.message, { ...lines.linePos(err.offset), field: formatPath(err.path) });
  }
}

/** The dotted table and key a TOML line is in, from the text alone (smol-toml gives no partial tree). */
function tomlFieldAt(text: string, line: number): string {
  const lines = text.split('\n', line);
  const header = /^\s*\[{1,2}([A-Za-z0-9_.\-" ]+)\]{1,2}\s*(#.*)?$/;
  const table = lines
    .slice(0, -1)
    .reverse()
    .map((l) => header.exec(l)?.[1]?.replace(/["\s]/g, ''))
    .find((t) => t !== undefined);
  const key = /^\s*([A-Za-z0-9_.-]+)\s*=/.exec(lines.at(-1) ?? '')?.[1];
  const parts = [table, key]
    .filter((p) => p !== undefined)
    .join('.')
    .split('.');
  return formatPath(pathAboveSecrets(parts));
}

function parseTomlText(file: string, text: string): unknown {
  const problem = scanToml(text);
  if (problem !== undefined) throw scanned(file, 'toml', text, problem);
  try {
    const data = parseToml(text, { maxDepth: LIMITS.depth });
    // A TOML document without a single key or table is whitespace and comments only.
    return Object.keys(data).length === 0 ? undefined : data;
  } catch (err) {
    if (err instanceof TomlError) {
      const field = tomlFieldAt(text, err.line);
      const surrogate = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/.test(text.split('\n', err.line).at(-1) ?? '');
      const reason = surrogate
        ? 'a \\uD800-\\uDFFF escape is half of a UTF-16 surrogate pair, not a character: write the character itself or its \\U escape'
        : 'the syntax is broken here (a missing quote, bracket or `=`, a duplicate key, or an invalid escape)';
      throw syntax(file, 'toml', reason, { line: err.line, col: err.column, ...(field === '' ? {} : { field }) });
    }
    throw err;
  }
}

/**
 * The top-level mapping of one file. Throws one AgentError: empty, syntax, over a limit, or not a mapping.
 * `budget` counts values over every file of one load.
 */
export function parseConfigFile(file: string, bytes: Buffer, format: Format = formatOf(file), budget = new ValueBudget()): Plain {
  const text = decodeText(file, format, bytes);
  let data: unknown;
  try {
    data = format === 'toml' ? parseTomlText(file, text) : parseYamlLike(file, format, text);
  } catch (err) {
    if (err instanceof AgentError) throw err;
    // Whatever a parser throws on its own (its message may quote the text) is still this file's bad input.
    throw syntax(file, format, 'the parser could not read this file');
  }
  if (data === undefined || data === null) throw new AgentError('CMA_CONFIG_EMPTY', 'the file is empty or holds only comments', { file });
  if (!isPlainObject(data)) throw syntax(file, format, 'the top level must be a mapping of keys to values');
  const problem = checkData(file, data, budget);
  if (problem !== undefined) throw problem;
  return data;
}
