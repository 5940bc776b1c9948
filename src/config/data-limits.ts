// Limits on parsed data, whatever the format: nesting depth, string and key lengths, text that cannot be
// written as UTF-8, and one value budget shared by every file of a load. The walk stops at the depth limit, so
// data nested 100 000 levels (TOML dotted keys, a parser without a depth bound) never overflows the stack.
import { AgentError } from '../errors.js';
import { formatPath, type PathKey } from './field-path.js';
import { pathAboveSecrets } from './secret-set.js';
import { LIMITS, limitError } from './limits.js';
import { isPlainObject } from './merge.js';

// An unpaired UTF-16 surrogate (`"\ud800"` in JSON or YAML): no UTF-8 encoding exists, so containerd would get
// U+FFFD instead of the password the user wrote.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Values counted over one load (all config files), so many small files cannot add up to a huge config. */
export class ValueBudget {
  used = 0;
}

function textProblem(text: string, max: number, what: string): string | undefined {
  if (text.length > max) return `${what} is longer than ${max} characters`;
  if (LONE_SURROGATE.test(text))
    return `${what} holds an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which has no UTF-8 form: write the character itself or its full surrogate pair`;
  return undefined;
}

/** The first limit `data` passes, as an error naming `file` and the field; undefined when within every limit. */
export function checkData(file: string, data: unknown, budget: ValueBudget): AgentError | undefined {
  const walk = (value: unknown, path: PathKey[]): AgentError | undefined => {
    const field = () => formatPath(pathAboveSecrets(path)) || '(top level)';
    if (++budget.used > LIMITS.valuesTotal)
      return limitError(file, `the config files hold more than ${LIMITS.valuesTotal} values together`, field());
    if (typeof value === 'string') {
      const problem = textProblem(value, LIMITS.stringLength, 'the value');
      return problem === undefined
        ? undefined
        : new AgentError(value.length > LIMITS.stringLength ? 'CMA_CONFIG_LIMIT' : 'CMA_CONFIG_FIELD', problem, { file, field: field() });
    }
    const children: Array<[PathKey, unknown]> = Array.isArray(value)
      ? value.map((v, i): [PathKey, unknown] => [i, v])
      : isPlainObject(value)
        ? Object.entries(value)
        : [];
    if (children.length > 0 && path.length >= LIMITS.depth)
      return limitError(file, `is nested more than ${LIMITS.depth} levels deep`, field());
    for (const [key, child] of children) {
      if (typeof key === 'string') {
        const problem = textProblem(key, LIMITS.keyLength, 'the key');
        if (problem !== undefined)
          return new AgentError(key.length > LIMITS.keyLength ? 'CMA_CONFIG_LIMIT' : 'CMA_CONFIG_FIELD', problem, { file, field: field() });
      }
      const found = walk(child, [...path, key]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(data, []);
}
