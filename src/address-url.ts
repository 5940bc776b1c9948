// The URL written for one resolved address of a DNS-named mirror: the mirror's URL with its host replaced by
// the address, port and path kept. One function, because the probe loop keys each address's health by this
// URL and render writes it: the two must spell it identically.
import { isIPv6 } from 'node:net';

export function addressUrl(mirrorUrl: string, address: string): string {
  const url = new URL(mirrorUrl);
  url.hostname = isIPv6(address) ? `[${address}]` : address;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
