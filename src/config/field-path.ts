// Field paths as users read them: `registries.docker.io.mirrors[0].url`. Registry names keep their dots,
// which is what people search their file for; a key that could break the one-line error format (newline,
// quote, bracket...) is quoted instead.

export type PathKey = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_.:*@-]+$/;

export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
