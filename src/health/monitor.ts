// The probe loop: one timer and at most one request in flight per mirror endpoint, results fed through the
// state machine, transitions reported the moment they happen so the daemon can re-render at once.
//
// Scheduling: the next probe starts `interval × (0.8..1.0)` after the previous one STARTED (or right after it
// finished, if it took longer). Never longer than the interval, so a dead mirror is down within
// failureThreshold × interval + timeout; randomised, so a fleet of agents started together (a node pool
// rollout, a cache restart) drifts apart instead of probing the cache in lock-step. A new endpoint is probed
// after a small random delay (< FIRST_PROBE_SPREAD_MS), not a full interval, so boot reaches `up` quickly.
//
// MonitorEvents handlers run inside the probe loop and must not throw: an exception surfaces as an unhandled
// rejection (a crash, by Node's default), which is louder than a silently dead loop.
import type { HealthView, MirrorState, ProbeSettings } from '../model.js';
import { probeOnce, type ProbeResult, type ProbeTarget } from './probe.js';
import { describeProbeError } from './probe-errors.js';
import { initialHealth, nextHealth, type MirrorHealth } from './state-machine.js';
import { type Clock, realClock } from '../clock.js';

export interface MonitorEvents {
  onResult(url: string, result: ProbeResult, health: MirrorHealth): void;
  onTransition(url: string, from: MirrorState, to: MirrorState, health: MirrorHealth): void;
}

export interface MonitorOptions {
  settings: ProbeSettings;
  events: MonitorEvents;
  probe?: typeof probeOnce;
  /** Epoch ms; fed to the state machine and to lastProgressAt(). */
  clock?: Clock;
  /** In [0, 1); drives the jitter. */
  random?: () => number;
}

/** Fraction of the interval the jitter may take off. */
export const JITTER_FRACTION = 0.2;
/**
 * Upper bound of the delay before the first probe of a new endpoint. Small: it only spreads one agent's own
 * endpoints (agents across a fleet start at different instants anyway, and the interval jitter keeps them
 * apart), and the first write, hence READY, waits for these probes.
 */
export const FIRST_PROBE_SPREAD_MS = 50;
/**
 * Gap between probes while an endpoint is still `unknown` (at start, or when a mirror is added): the thresholds
 * still apply, but they are met in a fraction of a second, so the agent's first write can wait for them
 * (boot-safe without flapping a correct disk through upstream-only) and READY comes quickly.
 */
export const UNKNOWN_PROBE_GAP_MS = 100;

interface Endpoint {
  target: ProbeTarget;
  health: MirrorHealth;
  timer?: unknown;
  inFlight?: Promise<void>;
}

export class HealthMonitor {
  private settings: ProbeSettings;
  private readonly events: MonitorEvents;
  private readonly probe: typeof probeOnce;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly endpoints = new Map<string, Endpoint>();
  private lastProgress: number;
  private stopped = false;

  constructor(options: MonitorOptions) {
    this.settings = options.settings;
    this.events = options.events;
    this.probe = options.probe ?? probeOnce;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.lastProgress = this.clock.now();
  }

  /** Adds, keeps and removes endpoints by URL. A kept endpoint keeps its state and uses its new TLS settings. */
  setTargets(targets: ProbeTarget[], settings: ProbeSettings): void {
    if (this.stopped) return;
    const intervalChanged = settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    const wanted = new Map<string, ProbeTarget>();
    for (const t of targets) if (!wanted.has(t.url)) wanted.set(t.url, t);

    for (const [url, endpoint] of this.endpoints) {
      if (wanted.has(url)) continue;
      this.clock.clearTimeout(endpoint.timer);
      this.endpoints.delete(url);
    }
    // The watchdog must not see the idle time before the first target as a stalled loop.
    if (this.endpoints.size === 0 && wanted.size > 0) this.lastProgress = this.clock.now();
    for (const [url, target] of wanted) {
      const existing = this.endpoints.get(url);
      if (existing === undefined) {
        const endpoint: Endpoint = { target, health: initialHealth(this.clock.now()) };
        this.endpoints.set(url, endpoint);
        this.schedule(url, endpoint, this.random() * Math.min(FIRST_PROBE_SPREAD_MS, settings.intervalMs));
        continue;
      }
      existing.target = target;
      // A waiting endpoint would otherwise sleep out the old interval (e.g. 60 s after it was set to 2 s).
      if (intervalChanged && existing.inFlight === undefined) this.schedule(url, existing, this.jitteredInterval());
    }
  }

  /** url -> state, as render reads it. */
  view(): HealthView {
    return new Map([...this.endpoints].map(([url, e]) => [url, e.health.state]));
  }

  snapshot(): Map<string, MirrorHealth> {
    return new Map([...this.endpoints].map(([url, e]) => [url, { ...e.health, transitions: [...e.health.transitions] }]));
  }

  /** When a probe last completed; with no endpoint to probe the loop is idle, not stalled, so: now. */
  lastProgressAt(): number {
    return this.endpoints.size === 0 ? this.clock.now() : this.lastProgress;
  }

  /** Cancels every timer and waits for the probes in flight (each is bounded by its own deadline, and by timeoutMs + 1 s here). */
  async stop(): Promise<void> {
    this.stopped = true;
    const inFlight: Promise<void>[] = [];
    for (const endpoint of this.endpoints.values()) {
      this.clock.clearTimeout(endpoint.timer);
      if (endpoint.inFlight !== undefined) inFlight.push(endpoint.inFlight);
    }
    this.endpoints.clear();
    let bound: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      bound = setTimeout(resolve, this.settings.timeoutMs + 1000);
    });
    await Promise.race([Promise.allSettled(inFlight), limit]);
    clearTimeout(bound);
  }

  private jitteredInterval(): number {
    return this.settings.intervalMs * (1 - JITTER_FRACTION * this.random());
  }

  /** An `unknown` endpoint is settled quickly (see UNKNOWN_PROBE_GAP_MS); a decided one at the interval. */
  private nextGap(state: MirrorState): number {
    return state === 'unknown' ? Math.min(UNKNOWN_PROBE_GAP_MS, this.jitteredInterval()) : this.jitteredInterval();
  }

  private schedule(url: string, endpoint: Endpoint, delayMs: number): void {
    this.clock.clearTimeout(endpoint.timer);
    endpoint.timer = this.clock.setTimeout(() => {
      endpoint.timer = undefined;
      endpoint.inFlight = this.runProbe(url, endpoint).finally(() => {
        endpoint.inFlight = undefined;
      });
    }, Math.max(0, delayMs));
  }

  private async runProbe(url: string, endpoint: Endpoint): Promise<void> {
    const startedAt = this.clock.now();
    // probeOnce reports failures as results; an injected probe that throws must not end this endpoint's loop.
    const result = await this.probe(endpoint.target, this.settings.timeoutMs).catch(
      (err: unknown): ProbeResult => ({ ok: false, error: describeProbeError(err, 'connect', this.settings.timeoutMs), durationMs: 0, at: this.clock.now() }),
    );
    // Removed or stopped while the request was in flight: the result belongs to nobody.
    if (this.stopped || this.endpoints.get(url) !== endpoint) return;
    const now = this.clock.now();
    this.lastProgress = now;
    const from = endpoint.health.state;
    endpoint.health = nextHealth(endpoint.health, result, this.settings, now);
    this.schedule(url, endpoint, startedAt + this.nextGap(endpoint.health.state) - now);
    this.events.onResult(url, result, endpoint.health);
    if (endpoint.health.state !== from) this.events.onTransition(url, from, endpoint.health.state, endpoint.health);
  }
}
