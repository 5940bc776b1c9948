// One registry of every error the agent reports to a user. Each code is documented in docs/operations.md
// ("Error codes"); test/errors.test.ts fails when one is not.

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_INVALID = 2;

interface ErrorSpec {
  exit: typeof EXIT_RUNTIME | typeof EXIT_INVALID;
  summary: string;
}

export const ERROR_CODES = {
  CMA_USAGE: { exit: EXIT_INVALID, summary: 'unknown command, flag or flag value' },
  CMA_CONFIG_MISSING: { exit: EXIT_INVALID, summary: 'a --config path does not exist or holds no config file' },
  CMA_CONFIG_READ: { exit: EXIT_INVALID, summary: 'a config file could not be read (permissions, not a regular file)' },
  CMA_CONFIG_TOO_LARGE: { exit: EXIT_INVALID, summary: 'a config file is larger than the 1 MiB limit' },
  CMA_CONFIG_EMPTY: { exit: EXIT_INVALID, summary: 'a config file is empty or holds no document' },
  CMA_CONFIG_SYNTAX: { exit: EXIT_INVALID, summary: 'a config file is not valid YAML, JSON or TOML (includes duplicate keys)' },
  CMA_CONFIG_FIELD: { exit: EXIT_INVALID, summary: 'a field has a wrong type, a wrong value or is unknown' },
  CMA_CONFIG_DIALECT: { exit: EXIT_INVALID, summary: 'a file mixes the top-level keys of two dialects' },
  CMA_CONFIG_LIMIT: {
    exit: EXIT_INVALID,
    summary:
      'a config or credentials file passes a resource limit (values, nesting, string length, registries, mirrors, files): docs/security.md "Limits"',
  },
  CMA_CONFIG_FILE_REF: { exit: EXIT_INVALID, summary: 'a ca, client or credentials file named in the config cannot be read' },
  CMA_CONFIG_TRUST: {
    exit: EXIT_INVALID,
    summary: 'a cluster-provided source sets a node-only key or names a file outside the cluster-provided volumes',
  },
  CMA_APPLY_IO: { exit: EXIT_RUNTIME, summary: 'writing, renaming or removing a file under the hosts or state dir failed' },
  CMA_STATE_INVALID: { exit: EXIT_RUNTIME, summary: 'the state dir manifest is not one the agent wrote (not JSON or wrong shape)' },
  CMA_STATE_BUSY: { exit: EXIT_RUNTIME, summary: 'another agent, apply or restore is writing the same --state-dir' },
  CMA_NOT_OWNED: {
    exit: EXIT_RUNTIME,
    summary:
      'a path to write or restore is a symlink, a directory or another non-regular file, or a file that replaced one the agent owns and differs from its backup',
  },
  CMA_SHADOWED: {
    exit: EXIT_RUNTIME,
    summary:
      'a `<host>_<port>_` entry in the hosts dir, which containerd reads instead of `<host>:<port>/hosts.toml`, shadows a managed registry',
  },
  CMA_CONTAINERD_CONFIG: {
    exit: EXIT_INVALID,
    summary:
      "containerd's config.toml cannot be parsed, is larger than 1 MiB, is one containerd itself cannot load (`containerd config dump`), or conflicts with the agent (e.g. `mirrors` set)",
  },
  CMA_CONTAINERD_CONFIG_IO: { exit: EXIT_RUNTIME, summary: "containerd's config.toml (or its backup) could not be read or written" },
  CMA_CONTAINERD_RESTART: { exit: EXIT_RUNTIME, summary: 'the containerd restart command failed' },
  CMA_LISTEN: { exit: EXIT_RUNTIME, summary: 'the --listen address could not be bound' },
  CMA_SYNC_IO: {
    exit: EXIT_RUNTIME,
    summary: "`sync` could not read a --from directory or write --to (or a key's name there is taken by a file it did not create)",
  },
  CMA_AGENT_UNREACHABLE: { exit: EXIT_RUNTIME, summary: '`status` could not reach a running agent at --listen' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An error meant for an operator: one line, naming the file and the field where there is one.
 * `message` must never contain a credential.
 */
export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, where: { file?: string; field?: string; cause?: unknown } = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'AgentError';
    this.code = code;
    this.file = where.file;
    this.field = where.field;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** `file: field: message [CODE]`, the single line shown to operators. */
  toLine(): string {
    const parts = [this.file, this.field, this.message].filter((p): p is string => p !== undefined && p !== '');
    return `${parts.join(': ')} [${this.code}]`;
  }
}

/** Several errors found in one pass (all bad fields of a config), reported together. */
export class AgentErrors extends Error {
  readonly errors: readonly AgentError[];

  constructor(errors: readonly AgentError[]) {
    super(errors.map((e) => e.toLine()).join('\n'));
    this.name = 'AgentErrors';
    this.errors = errors;
  }

  get exitCode(): number {
    return Math.max(...this.errors.map((e) => e.exitCode));
  }
}

/** The code counted for an error that is not an AgentError: a defect, not an input the agent refused. */
export const INTERNAL_CODE = 'CMA_INTERNAL';

/** The operator-facing lines of any error, the code of each line, and the exit status it maps to. */
export function errorLines(err: unknown): { lines: string[]; codes: string[]; exitCode: number } {
  if (err instanceof AgentErrors || err instanceof AgentError) {
    const errors = err instanceof AgentErrors ? err.errors : [err];
    return { lines: errors.map((e) => e.toLine()), codes: errors.map((e) => e.code), exitCode: err.exitCode };
  }
  return { lines: [`internal error: ${err instanceof Error ? err.message : String(err)}`], codes: [INTERNAL_CODE], exitCode: EXIT_RUNTIME };
}
