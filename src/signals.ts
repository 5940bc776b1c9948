// The one shutdown shape of both long-running commands (`run`, `sync`): SIGTERM or SIGINT stops in the
// caller's order, a second one exits 1 at once (an operator who asks twice means it), and SIGHUP either
// reloads or is ignored on purpose, never Node's default of dying.
import type { Logger } from 'pino';
import { EXIT_RUNTIME } from './errors.js';

export interface SignalHandlers {
  /** The ordered shutdown; called once, for the first SIGTERM or SIGINT. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** SIGHUP; when absent, SIGHUP is logged and ignored. */
  reload?: () => void;
  logger: Pick<Logger, 'info' | 'warn' | 'flush'>;
}

/** Installs the handlers now, so a signal during startup is handled too. */
export function onSignals(handlers: SignalHandlers): void {
  const { logger } = handlers;
  let stopping = false;
  const terminate = (signal: NodeJS.Signals) => (): void => {
    if (stopping) {
      logger.warn({ event: 'forced_exit', signal }, `second ${signal}: exiting at once`);
      logger.flush();
      process.exit(EXIT_RUNTIME);
    }
    stopping = true;
    void handlers.stop(signal);
  };
  process.on('SIGTERM', terminate('SIGTERM'));
  process.on('SIGINT', terminate('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    if (handlers.reload === undefined) {
      logger.info({ event: 'sighup' }, 'SIGHUP: nothing to reload (the sources are watched); ignored');
      return;
    }
    logger.info({ event: 'sighup' }, 'SIGHUP: reloading the config now');
    handlers.reload();
  });
}
