// Deep merge across config files (objects merge, arrays and scalars replace), remembering which file last
// set each path so that an error found only after merging still names the file the user has to edit.
// A credential is one value, not a set of fields: merged field by field, a later `{identityToken}` over an
// earlier `{username, password}` would hold both forms, so `auth` objects replace like scalars.
import type { PathKey } from './field-path.js';

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Provenance {
  readonly #byPath = new Map<string, string>();

  record(path: readonly PathKey[], file: string): void {
    this.#byPath.set(JSON.stringify(path), file);
  }

  /** The file that set the longest prefix of `path` (a leaf, or the array or object holding it). */
  fileFor(path: readonly PathKey[]): string | undefined {
    for (let n = path.length; n >= 0; n--) {
      const file = this.#byPath.get(JSON.stringify(path.slice(0, n)));
      if (file !== undefined) return file;
    }
    return undefined;
  }
}

const REPLACED_WHOLE = new Set(['auth']);

/** Merges `source` (read from `file`) into `target` in place. */
export function mergeInto(target: Plain, source: Plain, file: string, provenance: Provenance, at: PathKey[] = []): void {
  provenance.record(at, file);
  for (const [key, value] of Object.entries(source)) {
    const path = [...at, key];
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value) && !REPLACED_WHOLE.has(key)) {
      mergeInto(existing, value, file, provenance, path);
    } else {
      // defineProperty, not assignment: a `__proto__` key from a file must stay data (and be reported as
      // unknown by the schema), never become the prototype.
      Object.defineProperty(target, key, {
        value: isPlainObject(value) ? structuredClone(value) : value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      recordAll(value, path, file, provenance);
    }
  }
}

function recordAll(value: unknown, path: PathKey[], file: string, provenance: Provenance): void {
  provenance.record(path, file);
  if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) recordAll(child, [...path, key], file, provenance);
  }
}
