// Last line of defence for invariant 7: whatever a parser or schema put into an error message, no value
// that sits under a secret key in any input, credentials files included, survives.
import { AgentError } from '../errors.js';
import { decodeBasicAuth, SECRET_KEYS } from './credential.js';
import { isPlainObject } from './merge.js';

// Shorter values would redact ordinary words; schema messages never echo input anyway.
const MIN_SECRET_LENGTH = 4;
// Keys that are field names of a credential, not pasted secrets.
const FIELD_NAMES = new Set([...SECRET_KEYS, 'username', 'email', 'serveraddress']);

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
        // A secret pasted as a key (`auth: {s3cret: ...}`) would come back in an "unknown key" field path.
        if (underSecretKey && !FIELD_NAMES.has(key)) this.add(key);
        this.addFrom(value, underSecretKey || SECRET_KEYS.has(key));
      }
    }
  }

  redact(error: AgentError): AgentError {
    let message = error.message;
    let field = error.field;
    for (const secret of this.#values) {
      message = message.split(secret).join('***');
      field = field?.split(secret).join('***');
    }
    if (message === error.message && field === error.field) return error;
    return new AgentError(error.code, message, { file: error.file, field, cause: error.cause });
  }
}
