// Last line of defence for invariant 7: whatever a parser or schema put into an error message, no value
// that sits under a secret key in any input, credentials files included, survives.
import { AgentError } from '../errors.js';
import { decodeBasicAuth, SECRET_KEYS } from './credential.js';
import type { PathKey } from './field-path.js';
import { isPlainObject } from './merge.js';

// Shorter values would redact ordinary words; schema messages never echo input anyway.
const MIN_SECRET_LENGTH = 4;
// Words taken from raw text are guesses: longer, so that no ordinary word of a message is ever taken.
const MIN_TEXT_SECRET_LENGTH = 8;
// `password: x`, `"auth": "x"`, `identity_token = 'x'`, `password: *x`: a secret key and the word after it,
// also on the next line (`password:` and the value, mistakenly, one line down). The word is matched ahead
// only: it may itself be the next secret key (`auth:` then `identity_token:` one line down).
const SECRET_IN_TEXT = new RegExp(
  `(?:^|[\\s{,"'])(?:${[...SECRET_KEYS].join('|')})["']?[ \\t]*[:=](?=[ \\t]*(?:\\r?\\n[ \\t]*)?[*&!|>"'\\\\ \\t]*([^"',{}[\\]\\s\\\\]+))`,
  'gm',
);
// Keys that are field names of a credential, not pasted secrets.
const FIELD_NAMES = new Set([...SECRET_KEYS, 'username', 'email', 'serveraddress']);

// Giant Swarm's `credentials` is a mapping of username/password/auth (native `credentials` is a list of
// paths, which are no secret): a key of that mapping that is no field name is a pasted secret.
const CREDENTIALS_MAPPING = 'credentials';

/** Whether the value under `key` holds secrets: a secret key, or `credentials` as a mapping (`next` a key). */
function holdsSecrets(key: PathKey, next: unknown): boolean {
  if (typeof key !== 'string') return false;
  return SECRET_KEYS.has(key) || (key === CREDENTIALS_MAPPING && isPlainObject(next));
}

/**
 * `path` as far as it is made of field names: below a secret key (`password`, `auth`...) or a `credentials`
 * mapping only the known credential field names go on. A damaged file can turn a secret's text into a key
 * (`password:\n  s3cret: x`, `{username: u, password s3cret}`), and an error's field path must never show it.
 */
export function pathAboveSecrets(path: readonly PathKey[]): PathKey[] {
  let underSecret = false;
  const out: PathKey[] = [];
  for (const [i, key] of path.entries()) {
    if (underSecret && !(typeof key === 'string' && FIELD_NAMES.has(key))) break;
    out.push(key);
    if (holdsSecrets(key, typeof path[i + 1] === 'string' ? {} : undefined)) underSecret = true;
  }
  return out;
}

export class SecretSet {
  readonly #values = new Set<string>();

  add(value: string): void {
    if (value.length >= MIN_SECRET_LENGTH) this.#values.add(value);
  }

  addFrom(data: unknown, underSecretKey = false): void {
    if (typeof data === 'string') {
      if (!underSecretKey) return;
      this.add(data);
      const decoded = decodeBasicAuth(data);
      if (decoded) this.add(decoded.password);
    } else if (Array.isArray(data)) {
      for (const item of data) this.addFrom(item, underSecretKey);
    } else if (isPlainObject(data)) {
      for (const [key, value] of Object.entries(data)) {
        // A secret pasted as a key (`auth: {s3cret: ...}`, `{password s3cret}`) would come back in an
        // "unknown key" field path: the key, and each word of it that is no field name.
        if (underSecretKey && !FIELD_NAMES.has(key))
          for (const part of [key, ...key.split(/[\s:=]+/)]) if (!FIELD_NAMES.has(part)) this.add(part);
        this.addFrom(value, underSecretKey || holdsSecrets(key, value));
      }
    }
  }

  /**
   * The word after each secret key in raw text, for a file that may not parse: a damaged file can turn a password
   * into a key or a table name, which an error's field path would show.
   */
  addFromText(text: string): void {
    for (const [, word = ''] of text.matchAll(SECRET_IN_TEXT)) {
      // Also its parts between colons: a value one line down (`s3cret:`) is read as a key without its colon.
      for (const part of [word, ...word.split(':')]) {
        if (part.length >= MIN_TEXT_SECRET_LENGTH && !FIELD_NAMES.has(part)) this.#values.add(part);
      }
    }
  }

  redact(error: AgentError): AgentError {
    let message = error.message;
    let field = error.field;
    // Longest first: a guessed word (`Tr0ub4dor&3`) replaced first would leave the rest of the longer
    // secret holding it (`Tr0ub4dor&3 correcthorse`) in the text.
    for (const secret of [...this.#values].sort((a, b) => b.length - a.length)) {
      message = message.split(secret).join('***');
      field = field?.split(secret).join('***');
    }
    if (message === error.message && field === error.field) return error;
    return new AgentError(error.code, message, { file: error.file, field, cause: error.cause });
  }
}
