// Filesystem failures of the sync as one operator line: path, syscall, errno code; never file content.
import { AgentError } from '../errors.js';
import { ioError } from '../apply/io-error.js';

export function syncIoError(path: string, err: unknown, syscall: string): AgentError {
  if (err instanceof AgentError) return err;
  return new AgentError('CMA_SYNC_IO', ioError(path, err, syscall).message, { file: path, cause: err });
}
