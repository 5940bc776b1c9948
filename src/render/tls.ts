// containerd's per-host TLS keys. Only what the user set is written: any of `ca`, `client` or
// `skip_verify` makes containerd treat an http:// host as "TLS configured" and try HTTPS on it first.
import type { TomlTable } from 'smol-toml';
import type { TlsSettings } from '../model.js';

export function tlsKeys(tls: TlsSettings): TomlTable {
  const out: TomlTable = {};
  // containerd accepts a string or an array for `ca`; a single path stays a string, as users write it.
  if (tls.ca.length === 1) out.ca = tls.ca[0] ?? '';
  else if (tls.ca.length > 1) out.ca = [...tls.ca];
  // An empty key in a `[cert, key]` pair would become the hosts dir itself (containerd joins relative
  // paths onto it): a cert file that holds its own key is written alone, the shape containerd reads so.
  if (tls.client.length > 0) out.client = tls.client.map((p) => (p.key === '' ? p.cert : [p.cert, p.key]));
  if (tls.skipVerify) out.skip_verify = true;
  return out;
}
