// A parsed YAML (or JSON) document -> plain data, by our rules instead of the library's toJS: anchors, aliases
// and tags are refused (`password: &x tail` silently became `tail`, and an alias bomb expands exponentially),
// keys must be plain text, and duplicate keys are found with a Set (the library's own check is quadratic in the
// keys of a mapping). Errors name the line and the field and never quote the text. Depth is bounded by the
// prescan before this runs, so the recursion here is bounded too.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { formatPath, type PathKey } from './field-path.js';
import { pathAboveSecrets } from './secret-set.js';

export class YamlProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
    path: readonly PathKey[],
  ) {
    super(message);
    this.path = pathAboveSecrets(path);
  }

  readonly path: readonly PathKey[];
}

function startOf(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

function checkProps(node: Node, path: readonly PathKey[]): void {
  const { anchor, tag } = node as { anchor?: string; tag?: string };
  if (anchor !== undefined)
    throw new YamlProblem(
      'anchors (`&name`) are not supported: write the value out, or quote it if it starts with `&`',
      startOf(node),
      path,
    );
  if (tag !== undefined)
    throw new YamlProblem('tags (`!name`) are not supported: quote the value if it starts with `!`', startOf(node), path);
}

/** A scalar key as text, as YAML's own toJS names it (`1: x` -> "1", `~: x` -> ""). */
function keyText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${value}`;
  return JSON.stringify(value) ?? '';
}

function toPlain(node: unknown, path: PathKey[]): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node))
    throw new YamlProblem(
      'aliases (`*name`) are not supported: write the value out, or quote it if it starts with `*`',
      startOf(node),
      path,
    );
  checkProps(node as Node, path);
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item, i) => toPlain(item, [...path, i]));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (key !== null && !isScalar(key))
        throw new YamlProblem('a key must be plain text, not a mapping, a list or an alias', startOf(key), path);
      if (key !== null) checkProps(key, path);
      const name = key === null ? '' : keyText(key.value);
      const at = [...path, name];
      if (seen.has(name)) throw new YamlProblem('duplicate key', startOf(key), at);
      seen.add(name);
      // defineProperty, not assignment: a `__proto__` key stays data and is reported as unknown by the schema.
      Object.defineProperty(out, name, { value: toPlain(pair.value, at), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new YamlProblem('holds a YAML node the agent does not read', startOf(node as Node), path);
}

/** The document's data; throws YamlProblem. */
export function documentToPlain(doc: Document.Parsed): unknown {
  return toPlain(doc.contents, []);
}

const NAMELIKE_KEY = /^[A-Za-z0-9_.:@[\]-]{1,255}$/;

/** The field path of the innermost mapping entry or list item around `offset`, for syntax errors. */
export function fieldAt(doc: Document.Parsed, offset: number): string {
  const path: PathKey[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 1000; depth++) {
    const inside = (n: unknown) => {
      const range = (n as Node | null)?.range;
      return range !== undefined && range !== null && range[0] <= offset && offset <= range[2];
    };
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.value) || inside(p.key)) ?? node.items.findLast((p) => startOf(p.key as Node) <= offset);
      if (pair === undefined || !isScalar(pair.key)) break;
      const key = keyText(pair.key.value);
      // A broken document can make a key of any text, a password included: such a key ends the path.
      if (!NAMELIKE_KEY.test(key)) break;
      path.push(key);
      next = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((item) => inside(item));
      if (i === -1) break;
      path.push(i);
      next = node.items[i];
    } else break;
    node = next;
  }
  return formatPath(pathAboveSecrets(path));
}
