// What each containerd line makes of a config.toml `version`, measured with `containerd config dump` on
// Debian's 1.6.20, Debian's 2.1.9 and 2.3.4 (issue 23). Pure: the edit, doctor and the canary's cause all ask here.
// - 1.x reads version 2 (the `io.containerd.grpc.v1.cri` registry table); 2.0-2.2 read 2 and 3
//   (`io.containerd.cri.v1.images`); 2.3 reads 2, 3 and 4, whose registry table is 3's. A newer version than
//   the containerd knows stops it from starting (2.1.9: "expected containerd config version equal to or less
//   than `3`, got `4`").
// - A version 3 file that still holds a `[plugins."io.containerd.grpc.v1.cri".registry]` table: 2.0-2.2 ignore
//   it (a warning), but 2.3 migrates version 3 to 4 at start and the old table replaces the new one whole,
//   config_path and auth included, even when it holds only `configs` or `mirrors`. In a version 4 file 2.3
//   ignores it (a warning).
import type { ContainerdFacts, ContainerdVersion } from '../model.js';
import { formatContainerdVersion } from './detect.js';
import { tableAt, tomlKey, type TomlTable } from './toml-text.js';

/** config.toml `version` -> the plugin holding `registry`. */
export const REGISTRY_PLUGIN = {
  2: 'io.containerd.grpc.v1.cri',
  3: 'io.containerd.cri.v1.images',
  4: 'io.containerd.cri.v1.images',
} as const;
export type ConfigVersion = keyof typeof REGISTRY_PLUGIN;

const isConfigVersion = (v: unknown): v is ConfigVersion => v === 2 || v === 3 || v === 4;

/** The plugin holding `registry` in a file of this `version`, undefined for a version the agent does not edit. */
export const registryPluginOf = (version: unknown): string | undefined => (isConfigVersion(version) ? REGISTRY_PLUGIN[version] : undefined);

/** The newest config version this containerd reads, which is also what its `containerd config default` prints. */
export function newestConfigVersion(v: ContainerdVersion): ConfigVersion {
  if (v.major < 2) return 2;
  return v.major === 2 && v.minor < 3 ? 3 : 4;
}

/** From 2.3 on the loader migrates every older file to version 4 and merges drop-ins into it key by key. */
export const migratesToV4 = (v: ContainerdVersion): boolean => newestConfigVersion(v) === 4;

/** A config.toml this containerd will not use as the agent edits it: the table or key, what is wrong, the fix. */
export interface ConfigVersionProblem {
  field: string;
  problem: string;
  fix: string;
}

/** Why `doc` (config.toml as written) cannot be edited for this containerd, or undefined with its registry plugin. */
export function configVersionProblem(doc: TomlTable, facts: ContainerdFacts): ConfigVersionProblem | undefined {
  const version = doc.version;
  const v = facts.version;
  if (version === undefined) {
    return {
      field: 'version',
      problem: 'no `version`: this is the old version 1 layout, which the agent does not edit',
      fix:
        v !== undefined && v.major === 1 && v.minor < 7
          ? 'rewrite it from `containerd config default` (containerd 1.6 has no `config migrate`)'
          : 'convert it with `containerd config migrate` (1.7+) or rewrite it from `containerd config default`',
    };
  }
  if (!isConfigVersion(version)) {
    return {
      field: 'version',
      problem: `version ${JSON.stringify(version)} is not supported; expected 2, 3 or 4`,
      fix: 'rewrite it from `containerd config default`',
    };
  }
  if (v !== undefined && version > newestConfigVersion(v)) {
    const needs = version === 3 ? 'containerd 2.x' : 'containerd 2.3 or later';
    return {
      field: 'version',
      problem: `version ${version} needs ${needs}, this node runs ${formatContainerdVersion(v)}, which does not start with this file`,
      fix: `rewrite it as version ${newestConfigVersion(v)}, the layout this containerd's \`containerd config default\` prints`,
    };
  }
  const stale = ['plugins', REGISTRY_PLUGIN[2], 'registry'];
  if (version === 3 && (v === undefined || migratesToV4(v)) && tableAt(doc, stale) !== undefined) {
    const when =
      v === undefined
        ? 'containerd 2.3 and later (2.0-2.2 ignore it; the running version is not known) migrate'
        : 'containerd 2.3 migrates';
    return {
      field: tomlKey(stale),
      problem: `is the version 2 registry table in a version 3 file: ${when} it over [${tomlKey(['plugins', REGISTRY_PLUGIN[3], 'registry'])}] at start, so its config_path and auth (empty or not) replace the ones set there`,
      fix: `move what it holds into [${tomlKey(['plugins', REGISTRY_PLUGIN[3], 'registry'])}] and delete it`,
    };
  }
  return undefined;
}
