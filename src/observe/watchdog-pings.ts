// The timer that turns WatchdogGate's verdict into WATCHDOG=1 pings (invariant 8). When the gate says no, the
// ping is withheld and systemd restarts the agent after WatchdogSec: that is the point, so it is logged loudly.

import type { Logger } from 'pino';
import type { Notifier } from './sd-notify.js';
import type { WatchdogGate } from './watchdog.js';

/** Starts pinging every `notifier.watchdogIntervalMs`; returns the function that stops it. No-op without a watchdog. */
export function startWatchdogPings(notifier: Notifier, gate: WatchdogGate, logger?: Logger): () => void {
  const interval = notifier.watchdogIntervalMs;
  if (!notifier.enabled || interval === undefined) return () => undefined;
  let withheld = false;
  let inFlight = false;
  const tick = (): void => {
    const reason = gate.stale();
    if (reason === undefined) {
      if (withheld) logger?.info('loops are making progress again; systemd watchdog pings resumed');
      withheld = false;
      // A slow systemd-notify must not pile pings up behind it: they would keep arriving after the gate closes.
      if (inFlight) return;
      inFlight = true;
      void notifier.watchdog().finally(() => (inFlight = false));
      return;
    }
    if (!withheld) logger?.error(`${reason}; withholding systemd watchdog pings, systemd will restart the agent`);
    withheld = true;
  };
  const timer = setInterval(tick, interval);
  tick();
  return () => clearInterval(timer);
}
