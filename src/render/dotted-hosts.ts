// The `[host]` section written as dotted keys (`"http://[::1]:5000".capabilities = …`), for containerd 1.x.
// Its TOML parser (go-toml v1) rejects every table header holding a `[` or `]`, so `[host."http://[::1]:5000"]`
// makes it drop the whole file and use its defaults (containerd issue 10055; `\u005d` escapes do not help).
// Measured on containerd 1.6.20: dotted keys are read and each host is ordered by the line it first appears
// on (containerd sorts hosts by line), so a host's lines are kept together and in order. Inline tables
// (`"<url>" = { … }`) are read too, but their order is not kept: a pull tried the third mirror first.
// containerd 2.x finds hosts only through `[host."<url>"]` headers and reads those fine, so it gets tables.
import { stringify, type TomlTable } from 'smol-toml';
import type { ContainerdFacts } from '../model.js';

/** Whether a host key would put a bracket into a table header that containerd 1.x cannot read. */
export function needsDottedHosts(hosts: TomlTable, facts: ContainerdFacts): boolean {
  // An unknown version is treated as 1.x: there the dotted form is the only one read; on 2.x it is valid and
  // ignored (upstream only), never a file containerd drops.
  if ((facts.version?.major ?? 1) >= 2) return false;
  return Object.keys(hosts).some((url) => /[[\]]/.test(url));
}

/** `[host]` and one `key.path = value` line per value, host after host. Keys and values come from stringify. */
export function dottedHostSection(hosts: TomlTable): string {
  const lines = ['[host]'];
  for (const [url, table] of Object.entries(hosts)) lines.push(...leafLines([url], table as TomlTable));
  return `${lines.join('\n')}\n`;
}

function leafLines(path: string[], table: TomlTable): string[] {
  return Object.entries(table).flatMap(([key, value]) => {
    if (isTable(value)) return leafLines([...path, key], value);
    return [`${[...path, key].map(keyText).join('.')} = ${valueText(value)}`];
  });
}

function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PROBE = ' = true\n';

/** A key as smol-toml writes it (bare or quoted): `"<key>" = true` without its value. */
function keyText(key: string): string {
  return stringify({ [key]: true }).slice(0, -PROBE.length);
}

/** A value as smol-toml writes it: `v = <value>` without its key. */
function valueText(value: unknown): string {
  return stringify({ v: value }).slice('v = '.length, -1);
}
