// Which registries are on their mirrors and which are upstream-only, since when, and the one log line per
// change. Carved out of the reconcile loop: it only watches what the loop wrote, it never decides it.
import type { Logger } from '../model.js';
import { registryMode, type RegistryMode } from '../render/index.js';
import type { AgentConfig, HealthView } from '../model.js';

export type { RegistryMode };

export interface ModeEntry {
  mode: RegistryMode;
  since: number;
}

const MODE_MESSAGES: Record<RegistryMode, (name: string) => string> = {
  mirror: (name) => `${name} back on its mirror(s)`,
  upstream: (name) => `${name} now upstream-only: no mirror is up`,
  degraded: (name) => `${name} degraded: no mirror is up and it is mirror-only (fallback: false), so its pulls fail until one answers`,
};

export class RegistryModes {
  private readonly modes = new Map<string, ModeEntry>();

  constructor(
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
    /** A real change of mode (not a registry's first one), e.g. to count it in metrics. */
    private readonly onChange: (registry: string, mode: RegistryMode) => void,
  ) {}

  get(registry: string): ModeEntry | undefined {
    return this.modes.get(registry);
  }

  /** Records the modes that `health` gives `config` at `at`; registries no longer configured are forgotten. */
  update(config: AgentConfig, health: HealthView, at: number): void {
    const seen = new Set<string>();
    for (const registry of config.registries) {
      seen.add(registry.name);
      const mode = registryMode(registry, health);
      const previous = this.modes.get(registry.name);
      if (previous?.mode === mode) continue;
      this.modes.set(registry.name, { mode, since: at });
      if (previous === undefined) {
        // The first mode of a registry is where it starts, not a transition: logged, not counted.
        if (mode !== 'mirror')
          this.logger.info(
            { event: 'registry_mode', registry: registry.name, mode },
            `${registry.name} starts ${mode === 'upstream' ? 'upstream-only' : 'degraded (mirror-only)'}: no mirror is proven up yet (boot-safe)`,
          );
        continue;
      }
      const message = MODE_MESSAGES[mode](registry.name);
      // Both ends of an outage at warning: `journalctl -p warning` shows when pulls left the cache and when they came back.
      this.logger.warn({ event: 'registry_mode', registry: registry.name, mode }, message);
      this.onChange(registry.name, mode);
    }
    for (const name of [...this.modes.keys()]) if (!seen.has(name)) this.modes.delete(name);
  }
}
