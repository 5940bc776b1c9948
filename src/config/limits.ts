// Every resource bound on configuration input, in one place (invariant 9). The agent runs under a 64 MB heap
// (bin/ launcher, systemd unit, image): YAML's node tree costs about 1 KB per value and some parsers recurse,
// so bytes, nesting and value counts are checked before a parser or a schema sees the text. docs/security.md
// "Limits" documents each number; a config over one is bad input (exit 2) and a running agent keeps its last good one.
import { AgentError } from '../errors.js';
import { USER_FILE_DEADLINE_MS, USER_FILE_MAX_BYTES } from '../regular-file.js';

export const LIMITS = {
  /** Bytes of one config, credentials, ca or client file. */
  fileBytes: USER_FILE_MAX_BYTES,
  /** Bytes of every config file of every --config source together. */
  totalBytes: 4 * 1024 * 1024,
  /** Config files read from one --config directory. */
  filesPerSource: 64,
  /** Values (scalars, mappings, lists) in one file, checked on the text before parsing. */
  valuesPerFile: 20_000,
  /** Values in all config files together. */
  valuesTotal: 50_000,
  /** Nesting of mappings and lists; a valid config needs 7. */
  depth: 32,
  /** Characters of one string value (a GCP `_json_key` password is about 2 300). */
  stringLength: 16 * 1024,
  /** Characters of one mapping key. */
  keyLength: 1024,
  /** Registries in the merged config. */
  registries: 1000,
  /** Mirrors of one registry (endpoints in the k3s and Giant Swarm dialects). */
  mirrorsPerRegistry: 16,
  /** Entries of `credentials`, and of `ca` or `client` of one registry or mirror. */
  listEntries: 16,
  /** Bytes of one path component (NAME_MAX) and of a whole path (PATH_MAX - 1). */
  nameBytes: 255,
  pathBytes: 4095,
  /** One read of a user-named file; a slow network filesystem fails the load instead of hanging it. */
  readDeadlineMs: USER_FILE_DEADLINE_MS,
} as const;

/** A limit was hit: names the file and, where the text could be parsed, the field or line. */
export function limitError(file: string | undefined, message: string, field?: string): AgentError {
  return new AgentError('CMA_CONFIG_LIMIT', message, { file, ...(field === undefined ? {} : { field }) });
}
