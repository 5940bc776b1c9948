// containerd's per-host TLS keys. Only what the user set is written: any of `ca`, `client` or
// `skip_verify` makes containerd treat an http:// host as "TLS configured" and try HTTPS on it first.
import type { TomlTable } from 'smol-toml';
import type { TlsSettings } from '../model.js';
import type { FilePlacer } from './provided-files.js';

/** `placer`: where cluster-provided files are copied to (provided-files.ts); without one, paths as named. */
export function tlsKeys(tls: TlsSettings, placer?: FilePlacer): TomlTable {
  const out: TomlTable = {};
  const ca = tls.ca.map((p) => placer?.place(p, 'ca') ?? p);
  // containerd accepts a string or an array for `ca`; a single path stays a string, as users write it.
  if (ca.length === 1) out.ca = ca[0] ?? '';
  else if (ca.length > 1) out.ca = ca;
  // An empty key in a `[cert, key]` pair would become the hosts dir itself (containerd joins relative
  // paths onto it): a cert file that holds its own key is written alone, the shape containerd reads so.
  if (tls.client.length > 0)
    out.client = tls.client.map((p) =>
      p.key === ''
        ? (placer?.place(p.cert, 'certWithKey') ?? p.cert)
        : [placer?.place(p.cert, 'cert') ?? p.cert, placer?.place(p.key, 'key') ?? p.key],
    );
  if (tls.skipVerify) out.skip_verify = true;
  return out;
}
