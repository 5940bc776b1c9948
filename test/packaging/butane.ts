// Butane -> Ignition for the part of Butane our source uses, with --strict's refusal of anything else, so
// the committed Ignition file can be checked (and regenerated) without the butane binary.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Butane variant@version -> the Ignition spec version it produces. */
const SPECS: Record<string, string> = { 'flatcar@1.0.0': '3.3.0', 'fcos@1.4.0': '3.3.0' };

type Obj = Record<string, unknown>;

function only(obj: Obj, where: string, keys: readonly string[]): Obj {
  const extra = Object.keys(obj).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new Error(`${where}: unsupported key(s) ${extra.join(', ')}`);
  return obj;
}

/** RFC 2397, percent-encoded like Butane's uncompressed output. */
export function dataUrl(text: string): string {
  return `data:,${encodeURIComponent(text)}`;
}

function contents(c: Obj, where: string): Obj {
  only(c, where, ['inline', 'source', 'verification']);
  if (typeof c.inline === 'string') return { source: dataUrl(c.inline) };
  return c.verification === undefined ? { source: c.source } : { source: c.source, verification: c.verification };
}

export function butaneToIgnition(text: string, filesDir: string): Obj {
  // Butane reads YAML 1.1: `mode: 0755` is octal there, decimal 755 in YAML 1.2.
  const doc = only(parse(text, { version: '1.1' }) as Obj, 'top level', ['variant', 'version', 'storage', 'systemd']);
  const spec = SPECS[`${String(doc.variant)}@${String(doc.version)}`];
  if (spec === undefined) throw new Error(`variant ${String(doc.variant)} version ${String(doc.version)} is not supported`);
  const out: Obj = { ignition: { version: spec } };
  if (doc.storage !== undefined) {
    const storage = only(doc.storage as Obj, 'storage', ['directories', 'files']);
    out.storage = {
      directories: ((storage.directories ?? []) as Obj[]).map((d, i) => only({ ...d }, `storage.directories.${i}`, ['path', 'mode'])),
      files: ((storage.files ?? []) as Obj[]).map((f, i) => {
        const where = `storage.files.${i}`;
        only(f, where, ['path', 'mode', 'contents']);
        return { path: f.path, mode: f.mode, contents: contents(f.contents as Obj, `${where}.contents`) };
      }),
    };
  }
  if (doc.systemd !== undefined) {
    const units = (only(doc.systemd as Obj, 'systemd', ['units']).units ?? []) as Obj[];
    out.systemd = {
      units: units.map((u, i) => {
        only(u, `systemd.units.${i}`, ['name', 'enabled', 'contents', 'contents_local', 'dropins']);
        const unit: Obj = { name: u.name };
        if (u.enabled !== undefined) unit.enabled = u.enabled;
        const local = u.contents_local as string | undefined;
        unit.contents = local === undefined ? u.contents : readFileSync(join(filesDir, local), 'utf8');
        if (u.dropins !== undefined)
          unit.dropins = (u.dropins as Obj[]).map((d, j) => only({ ...d }, `systemd.units.${i}.dropins.${j}`, ['name', 'contents']));
        return unit;
      }),
    };
  }
  return out;
}
