// zod issues -> AgentErrors naming file and field. zod 4's default messages describe the expected type
// or values and never the input (we never enable reportInput), so they are safe to show.
import type { core } from 'zod';
import { AgentError, type ErrorCode } from '../errors.js';
import { formatPath, type PathKey } from './field-path.js';
import { schemaSentence } from './schema-sentences.js';

type Issue = core.$ZodIssue;

function toKeys(path: readonly PropertyKey[]): PathKey[] {
  return path.map((k) => (typeof k === 'number' ? k : String(k)));
}

/** Count limits of the schemas (src/config/limits.ts): `.max()` on a list, or a refinement marked `limit`. */
function isLimit(issue: Issue): boolean {
  return issue.code === 'too_big' || (issue.code === 'custom' && issue.params?.limit === true);
}

export function issuesToErrors(
  issues: readonly Issue[],
  fileFor: (path: readonly PathKey[]) => string | undefined,
  code: ErrorCode = 'CMA_CONFIG_FIELD',
): AgentError[] {
  const errors: AgentError[] = [];
  for (const issue of issues) {
    const path = toKeys(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        errors.push(
          new AgentError(code, 'unknown key: check its spelling and indentation', { file: fileFor(keyPath), field: formatPath(keyPath) }),
        );
      }
    } else if (issue.code === 'invalid_key') {
      // The key itself is the problem (a registry name): the nested issue says why.
      errors.push(new AgentError(code, issue.issues[0]?.message ?? issue.message, { file: fileFor(path), field: formatPath(path) }));
    } else {
      errors.push(
        new AgentError(isLimit(issue) ? 'CMA_CONFIG_LIMIT' : code, schemaSentence(issue, path), {
          file: fileFor(path),
          field: formatPath(path) || '(top level)',
        }),
      );
    }
  }
  return errors;
}
