// Which registries are on their mirrors and which are upstream-only, since when, and the one log line per
// change. Carved out of the reconcile loop: it only watches what the loop wrote, it never decides it.
import { registryMode } from '../render/index.js';
import type { AgentConfig, HealthView, RegistryMode } from '../model.js';
import type { EventLines } from './event-lines.js';

export interface ModeEntry {
  mode: RegistryMode;
  since: number;
}

export class RegistryModes {
  private readonly modes = new Map<string, ModeEntry>();

  constructor(
    private readonly lines: Pick<EventLines, 'registryStarts' | 'registryModeChanged'>,
    /** A real change of mode (not a registry's first one), e.g. to count it in metrics. */
    private readonly onChange: (registry: string, mode: RegistryMode) => void,
  ) {}

  /** The mode of each of `config`'s registries that has one. */
  of(config: AgentConfig | undefined): Map<string, ModeEntry> {
    const out = new Map<string, ModeEntry>();
    for (const registry of config?.registries ?? []) {
      const entry = this.modes.get(registry.name);
      if (entry !== undefined) out.set(registry.name, entry);
    }
    return out;
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
        this.lines.registryStarts(registry.name, mode);
        continue;
      }
      this.lines.registryModeChanged(registry.name, mode);
      this.onChange(registry.name, mode);
    }
    for (const name of [...this.modes.keys()]) if (!seen.has(name)) this.modes.delete(name);
  }
}
