// A failed file operation as an operator reads it (path, syscall, errno code), and the errno tests apply/ uses.
import { AgentError } from '../errors.js';

/**
 * A failed syscall as an operator reads it: the path, the syscall and its error code. Node's own message is
 * dropped on purpose: only the path and code are needed, and nothing a file holds may reach an error.
 */
export function ioError(path: string, err: unknown, fallbackSyscall: string): AgentError {
  const e = err as NodeJS.ErrnoException;
  const syscall = typeof e?.syscall === 'string' ? e.syscall : fallbackSyscall;
  const code = typeof e?.code === 'string' ? e.code : 'EUNKNOWN';
  return new AgentError('CMA_APPLY_IO', `${syscall} failed: ${code}`, { file: path, cause: err });
}

export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Nothing is at the path: it, or a parent, does not exist, or the name is too long to ever have existed. */
export function isAbsent(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}
