// zod's default messages ("Invalid input: expected object, received string") as sentences a YAML author can
// act on: what the field must be, what it is instead, and for the two shapes new users get wrong (a mirror
// written as a plain URL, a registry setting indented one level too little) how to write it. Our own
// refinement messages are already sentences and pass through. The input itself is never shown.
import type { core } from 'zod';
import type { PathKey } from './field-path.js';

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping (`key: value` lines)',
  record: 'a mapping (`key: value` lines)',
  array: 'a list (`- item` lines)',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'empty',
  undefined: 'missing',
};

/** Settings of one registry (native dialect): found directly under `registries`, they were indented too little. */
const REGISTRY_SETTINGS = new Set(['server', 'mirrors', 'fallback', 'ca', 'client', 'skipVerify', 'auth', 'authMode']);

const word = (type: string): string => TYPE_WORDS[type] ?? type;

function typeSentence(expected: string, received: string | undefined, path: readonly PathKey[]): string {
  const got = received === undefined ? '' : received === 'undefined' ? ', but it is missing' : `, not ${word(received)}`;
  let hint = '';
  const [first, second] = path;
  if (path.at(-2) === 'mirrors' && typeof path.at(-1) === 'number' && received === 'string') {
    hint = ': write each mirror as a mapping with a url, `- url: http://10.96.0.50:5000`';
  } else if (path.length === 2 && first === 'registries' && typeof second === 'string' && REGISTRY_SETTINGS.has(second)) {
    hint = `: \`${second}\` is a setting of one registry, so indent it under the registry's name (e.g. two spaces under \`docker.io:\`)`;
  }
  return `must be ${word(expected)}${got}${hint}`;
}

export function schemaSentence(issue: core.$ZodIssue, path: readonly PathKey[]): string {
  if (issue.code === 'invalid_type') {
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    return typeSentence(issue.expected, received, path);
  }
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid')) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && /^Too (small|big)/.test(issue.message)) {
    const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
    const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' || issue.origin === 'set' ? ' entries' : '';
    return issue.origin === 'number' || issue.origin === 'bigint' ? `must be ${bound}` : `must have ${bound}${unit}`;
  }
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input')
    return 'has none of the accepted forms (see docs/configuration.md)';
  // zod calls a mapping a "record"; users wrote a YAML mapping or a JSON/TOML object.
  return issue.message.replace(/\brecord\b/g, 'mapping');
}
