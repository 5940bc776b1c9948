// Basic credentials the agent hands to a plain-http host: a hosts.toml header goes with every request to it,
// a config.toml credential with every answer to a Basic challenge, both readable by anyone on the path.
// Allowed (an in-cluster cache is often plain http), never silent: one warning per registry, shown in the
// logs, in status (`warnings`) and by `doctor`. Names hosts only, never a credential.
import type { AgentConfig, Credential } from './model.js';

const inClear = (url: string | undefined, auth: Credential | undefined): url is string =>
  auth?.kind === 'basic' && url?.startsWith('http://') === true;

export interface CleartextWarning {
  registry: string;
  message: string;
}

export function cleartextCredentialWarnings(config: AgentConfig | undefined): CleartextWarning[] {
  return (config?.registries ?? []).flatMap((registry) => {
    const urls = [
      ...(registry.server !== undefined && inClear(registry.server, registry.auth) ? [registry.server] : []),
      ...registry.mirrors.filter((m) => inClear(m.url, m.auth)).map((m) => m.url),
    ];
    if (urls.length === 0) return [];
    const message = `${registry.name}: the credential for ${urls.join(', ')} is sent in clear over plain http; use https (with \`ca\` for a private CA)`;
    return [{ registry: registry.name, message }];
  });
}
