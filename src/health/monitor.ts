// The probe loop: one timer and at most one request in flight per mirror endpoint, results fed through the
// state machine, transitions reported the moment they happen so the daemon can re-render at once.
//
// Scheduling runs on the monotonic clock: a wall-clock step during a probe (NTP, an operator) must not delay
// failover by the step; the wall clock only stamps what status shows. The next probe starts
// `interval × (0.8..1.0)` after the previous one STARTED (or right after it finished, if it took longer). Never
// longer than the interval, so a dead mirror is down within failureThreshold × interval + timeout; randomised,
// so a fleet of agents started together (a node pool rollout, a cache restart) drifts apart instead of probing
// the cache in lock-step. A new endpoint is probed at once, not after a full interval, so boot reaches `up`
// quickly (a fleet's agents start at different instants, and one agent's new endpoints share their first round
// anyway).
//
// Rounds: when one endpoint's timer fires, every waiting endpoint whose last probe started at least the
// jitter's floor (0.8 × its gap) ago is probed with it, and all of them wait the same jittered interval for the
// next round. One agent's endpoints thus converge on one wake-up per interval: an idle process woken for one
// probe pays most of its CPU in the waking (cold caches, timers, microtasks, a GC step), so ten probes in one
// wake-up cost about a third of ten wake-ups (docs/development.md, "Footprint"). Never before that floor and never after
// due, so the bounds above still hold; the fleet's spread comes from each agent's own jitter, which a round keeps.
//
// A mirror named by a cluster host name is one endpoint here (one timer, one round at a time) whose round
// resolves the name and probes each of its addresses (named-endpoint.ts); each address has its own health,
// keyed by the URL written for it, so render and status read them like any other mirror.
//
// MonitorEvents handlers run inside the probe loop and must not throw: an exception surfaces as an unhandled
// rejection (a crash, by Node's default), which is louder than a silently dead loop.
import type { HealthView, MirrorState, ProbeSettings, ResolvedView } from '../model.js';
import { probeOnce, type ProbeResult, type ProbeTarget } from './probe.js';
import { describeProbeError } from './probe-errors.js';
import { initialHealth, nextHealth, type MirrorHealth } from './state-machine.js';
import { type Clock, realClock, timerDelay } from '../clock.js';
import { namedCadenceState, runNamedRound, type MirrorTarget, type NamedState } from './named-endpoint.js';
import { NameResolver, type Resolution } from './resolver.js';

export interface MonitorEvents {
  onResult(url: string, result: ProbeResult, health: MirrorHealth): void;
  onTransition(url: string, from: MirrorState, to: MirrorState, health: MirrorHealth): void;
  /** A named mirror's address set, or the reason it has none, changed. */
  onResolved?(url: string, resolution: Resolution): void;
}

/** A named mirror as status shows it: the last answer and its addresses' URLs in written order. */
export interface NamedSnapshot {
  resolution?: Resolution;
  addresses: string[];
  /** The addresses that passed their probes (named-endpoint.ts): the only ones ever written. */
  proven: string[];
}

/** How named mirrors are resolved: the DNS servers (empty: the system's) and the screen of their answers. */
export interface DnsOptions {
  servers: readonly string[];
  allowLoopbackAnswers: boolean;
  maxAddresses: number;
}

/** Until the config says otherwise: the system's resolver, the default screen, the mirror limit (config/limits.ts). */
const SYSTEM_RESOLVER: DnsOptions = { servers: [], allowLoopbackAnswers: false, maxAddresses: 16 };

export interface MonitorOptions {
  settings: ProbeSettings;
  events: MonitorEvents;
  probe?: typeof probeOnce;
  /** Wall time (epoch ms) for what is shown: health `since`, lastProgressAt(); the monotonic one schedules. */
  clock?: Clock;
  /** In [0, 1); drives the jitter. */
  random?: () => number;
}

/** Fraction of the interval the jitter may take off. */
export const JITTER_FRACTION = 0.2;
/**
 * Gap between probes while an endpoint is still `unknown` (at start, or when a mirror is added): the thresholds
 * still apply, but they are met within a few round trips, so the agent's first write can wait for them
 * (boot-safe without flapping a correct disk through upstream-only) and READY comes quickly. What the second
 * success proves is a second answer on a fresh connection, not the passing of time: at 100 ms, a node's boot
 * (kubelet waits for READY) waited 75 ms more for the same evidence.
 */
export const UNKNOWN_PROBE_GAP_MS = 25;

interface Endpoint {
  target: MirrorTarget;
  /** A plain mirror's health; a named one keeps its addresses' in `named`. */
  health: MirrorHealth;
  named?: NamedState;
  timer?: unknown;
  /** clock.monotonic() before which a round started by another endpoint must not take this one early. */
  earliest?: number;
  inFlight?: Promise<void>;
}

export class HealthMonitor {
  private settings: ProbeSettings;
  private readonly events: MonitorEvents;
  private readonly probe: typeof probeOnce;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly endpoints = new Map<string, Endpoint>();
  private resolver: NameResolver;
  private dnsKey = '';
  private lastProgress: number;
  private stopped = false;

  constructor(options: MonitorOptions) {
    this.settings = options.settings;
    this.events = options.events;
    this.probe = options.probe ?? probeOnce;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.lastProgress = this.clock.now();
    this.resolver = this.newResolver(SYSTEM_RESOLVER, this.settings.timeoutMs);
  }

  private newResolver(dns: DnsOptions, timeoutMs: number): NameResolver {
    const { servers, allowLoopbackAnswers: allowLoopback, maxAddresses } = dns;
    return new NameResolver({ servers, timeoutMs, allowLoopback, maxAddresses, now: () => this.clock.now() });
  }

  /** How named mirrors are resolved; a change drops cached answers. */
  private useDns(dns: DnsOptions, timeoutMs: number): void {
    const key = `${dns.servers.join(',')}|${timeoutMs}|${dns.allowLoopbackAnswers}|${dns.maxAddresses}`;
    if (key === this.dnsKey) return;
    this.dnsKey = key;
    this.resolver = this.newResolver(dns, timeoutMs);
  }

  /** Adds, keeps and removes endpoints by URL. A kept endpoint keeps its state and uses its new TLS settings. */
  setTargets(targets: MirrorTarget[], settings: ProbeSettings, dns: DnsOptions = SYSTEM_RESOLVER): void {
    if (this.stopped) return;
    const intervalChanged = settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    this.useDns(dns, settings.timeoutMs);
    const wanted = new Map<string, MirrorTarget>();
    for (const t of targets) if (!wanted.has(t.url)) wanted.set(t.url, t);

    for (const [url, endpoint] of this.endpoints) {
      // A mirror that became (or stopped being) named starts over: its health belonged to other addresses.
      if (wanted.has(url) && (wanted.get(url)?.dnsName === undefined) === (endpoint.named === undefined)) continue;
      this.clock.clearTimeout(endpoint.timer);
      this.endpoints.delete(url);
    }
    // The watchdog must not see the idle time before the first target as a stalled loop.
    if (this.endpoints.size === 0 && wanted.size > 0) this.lastProgress = this.clock.now();
    for (const [url, target] of wanted) {
      const existing = this.endpoints.get(url);
      if (existing === undefined) {
        const endpoint: Endpoint = {
          target,
          health: initialHealth(this.clock.now()),
          ...(target.dnsName === undefined ? {} : { named: { addresses: new Map(), proven: new Set<string>() } }),
        };
        this.endpoints.set(url, endpoint);
        // A first probe has no previous one to keep a gap from: any round may take it.
        this.schedule(url, endpoint, 0, -Infinity);
        continue;
      }
      existing.target = target;
      // A waiting endpoint would otherwise sleep out the old interval (e.g. 60 s after it was set to 2 s).
      if (intervalChanged && existing.inFlight === undefined) this.schedule(url, existing, this.jitteredInterval(), this.clock.monotonic());
    }
  }

  /** Every probed URL with its health: a plain mirror's own, a named mirror's addresses'. */
  private healths(): Array<[string, MirrorHealth]> {
    return [...this.endpoints].flatMap(([url, e]): Array<[string, MirrorHealth]> =>
      e.named === undefined ? [[url, e.health]] : [...e.named.addresses],
    );
  }

  /** url -> state, as render reads it. */
  view(): HealthView {
    return new Map(this.healths().map(([url, h]) => [url, h.state]));
  }

  snapshot(): Map<string, MirrorHealth> {
    return new Map(this.healths().map(([url, h]) => [url, { ...h, transitions: [...h.transitions] }]));
  }

  /** Named mirror URL -> the URLs of its current addresses that passed their probes, as render writes them. */
  resolved(): ResolvedView {
    return new Map([...this.named()].map(([url, n]) => [url, n.addresses.filter((a) => n.proven.includes(a))]));
  }

  /** Named mirror URL -> its last answer and addresses, for status. */
  named(): Map<string, NamedSnapshot> {
    const out = new Map<string, NamedSnapshot>();
    for (const [url, e] of this.endpoints) {
      if (e.named !== undefined)
        out.set(url, {
          ...(e.named.resolution === undefined ? {} : { resolution: e.named.resolution }),
          addresses: [...e.named.addresses.keys()],
          proven: [...e.named.proven],
        });
    }
    return out;
  }

  /**
   * Some endpoint is not decided yet: a named mirror whose first round has not ended, or a mirror still
   * `unknown` that has not failed a probe. The daemon's boot settle waits while this holds.
   */
  undecided(): boolean {
    const resolving = [...this.endpoints.values()].some((e) => e.named !== undefined && e.named.resolution === undefined);
    return resolving || this.healths().some(([, h]) => h.state === 'unknown' && h.consecutiveFail === 0);
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
      bound = setTimeout(resolve, timerDelay(this.settings.timeoutMs + 1000));
    });
    await Promise.race([Promise.allSettled(inFlight), limit]);
    clearTimeout(bound);
  }

  private jitteredInterval(): number {
    return this.settings.intervalMs * (1 - JITTER_FRACTION * this.random());
  }

  /**
   * An `unknown` endpoint is settled quickly (see UNKNOWN_PROBE_GAP_MS); a decided one at the round's interval.
   * Another round may take it from the jitter's floor of that gap on.
   */
  private scheduleNext(url: string, endpoint: Endpoint, state: MirrorState, startedAt: number, roundIntervalMs: number): void {
    // startedAt on the monotonic clock: a wall clock stepped back during the probe must not delay the next one.
    const gap = state === 'unknown' ? Math.min(UNKNOWN_PROBE_GAP_MS, roundIntervalMs) : roundIntervalMs;
    const nominal = state === 'unknown' ? Math.min(UNKNOWN_PROBE_GAP_MS, this.settings.intervalMs) : this.settings.intervalMs;
    this.schedule(url, endpoint, startedAt + gap - this.clock.monotonic(), startedAt + (1 - JITTER_FRACTION) * nominal);
  }

  private schedule(url: string, endpoint: Endpoint, delayMs: number, earliest: number): void {
    this.clock.clearTimeout(endpoint.timer);
    endpoint.earliest = earliest;
    endpoint.timer = this.clock.setTimeout(() => this.startRound(url), Math.max(0, delayMs));
  }

  /** Probes `firedUrl` and every waiting endpoint past its `earliest`, all with one shared interval. */
  private startRound(firedUrl: string): void {
    const now = this.clock.monotonic();
    const roundIntervalMs = this.jitteredInterval();
    for (const [url, endpoint] of this.endpoints) {
      if (endpoint.earliest === undefined) continue;
      // The fired endpoint always: its timer decided it is due.
      if (url !== firedUrl && now < endpoint.earliest) continue;
      this.clock.clearTimeout(endpoint.timer);
      endpoint.timer = undefined;
      endpoint.earliest = undefined;
      endpoint.inFlight = this.runProbe(url, endpoint, roundIntervalMs).finally(() => {
        endpoint.inFlight = undefined;
      });
    }
  }

  /** probeOnce reports failures as results; an injected probe that throws must not end an endpoint's loop. */
  private probeSafely(target: ProbeTarget): Promise<ProbeResult> {
    return this.probe(target, this.settings.timeoutMs).catch((err: unknown): ProbeResult => ({
      ok: false,
      error: describeProbeError(err, 'connect', this.settings.timeoutMs),
      durationMs: 0,
      at: this.clock.now(),
    }));
  }

  private async runProbe(url: string, endpoint: Endpoint, roundIntervalMs: number): Promise<void> {
    const { named, target } = endpoint;
    if (named !== undefined && target.dnsName !== undefined)
      return this.runNamed(url, endpoint, named, { ...target, dnsName: target.dnsName }, roundIntervalMs);
    const startedAt = this.clock.monotonic();
    const result = await this.probeSafely(target);
    // Removed or stopped while the request was in flight: the result belongs to nobody.
    if (this.stopped || this.endpoints.get(url) !== endpoint) return;
    const now = this.clock.now();
    this.lastProgress = now;
    const from = endpoint.health.state;
    endpoint.health = nextHealth(endpoint.health, result, this.settings, now);
    this.scheduleNext(url, endpoint, endpoint.health.state, startedAt, roundIntervalMs);
    this.events.onResult(url, result, endpoint.health);
    if (endpoint.health.state !== from) this.events.onTransition(url, from, endpoint.health.state, endpoint.health);
  }

  private async runNamed(
    url: string,
    endpoint: Endpoint,
    named: NamedState,
    target: MirrorTarget & { dnsName: string },
    roundIntervalMs: number,
  ): Promise<void> {
    const startedAt = this.clock.monotonic();
    const deps = {
      resolver: this.resolver,
      probe: (t: ProbeTarget) => this.probeSafely(t),
      settings: this.settings,
      now: () => this.clock.now(),
    };
    const round = await runNamedRound(target, named, deps);
    if (this.stopped || this.endpoints.get(url) !== endpoint) return;
    const now = this.clock.now();
    this.lastProgress = now;
    const transitions: Array<[string, MirrorState, MirrorHealth]> = [];
    for (const [address, result] of round.results) {
      const before = named.addresses.get(address);
      if (before === undefined) continue;
      const after = nextHealth(before, result, this.settings, now);
      named.addresses.set(address, after);
      if (after.state === 'up') named.proven.add(address);
      this.events.onResult(address, result, after);
      if (after.state !== before.state) transitions.push([address, before.state, after]);
    }
    this.scheduleNext(url, endpoint, namedCadenceState(named), startedAt, roundIntervalMs);
    if (round.changed && named.resolution !== undefined) this.events.onResolved?.(url, named.resolution);
    for (const [address, from, health] of transitions) this.events.onTransition(address, from, health.state, health);
  }
}
