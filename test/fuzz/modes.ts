// The kinds of input `make fuzz` runs, by name: a mode is one file (its cases and its check) and one line here.
// main.ts shares FUZZ_RUNS among them; a finding names its mode, seed and index.
import { configMode, type FuzzMode } from './check.js';
import { tomlMode } from './toml-mode.js';

export const MODES = {
  config: configMode,
  toml: tomlMode,
} as const satisfies Record<string, FuzzMode>;

export type ModeName = keyof typeof MODES;

export function isModeName(name: string): name is ModeName {
  return Object.hasOwn(MODES, name);
}
