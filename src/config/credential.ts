// Registry credentials in the three spellings users have (native, Giant Swarm, k3s), normalised to the
// model's Credential. No message here ever contains a credential value.
import { z } from 'zod';
import type { Credential } from '../model.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `auth` is base64("user:password"), as in .dockerconfigjson and containerd's config.toml. */
export function decodeBasicAuth(auth: string): { username: string; password: string } | undefined {
  if (!BASE64.test(auth) || auth.length % 4 !== 0) return undefined;
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const nonEmpty = z.string().min(1, 'must not be empty');

/** A credential object whose identity-token key is spelled `tokenKey`; parses to the native shape. */
export function credentialSchema(tokenKey: string) {
  return z
    .object({ username: nonEmpty.optional(), password: nonEmpty.optional(), auth: nonEmpty.optional(), [tokenKey]: nonEmpty.optional() })
    .strict()
    .superRefine((value, ctx) => {
      const basic = value.username !== undefined || value.password !== undefined;
      const forms = [basic, value.auth !== undefined, value[tokenKey] !== undefined].filter(Boolean).length;
      if (forms !== 1) {
        ctx.addIssue({ code: 'custom', message: `give exactly one of {username, password}, {auth} or {${tokenKey}}` });
      } else if (basic && (value.username === undefined || value.password === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [value.username === undefined ? 'username' : 'password'],
          message: 'username and password go together',
        });
      } else if (value.auth !== undefined && decodeBasicAuth(value.auth) === undefined) {
        ctx.addIssue({ code: 'custom', path: ['auth'], message: 'is not base64 of "username:password"' });
      }
    })
    .transform((value): NativeAuth => {
      const token = value[tokenKey];
      if (token !== undefined) return { identityToken: token };
      if (value.auth !== undefined) return { auth: value.auth };
      return { username: value.username ?? '', password: value.password ?? '' };
    });
}

export type NativeAuth = { username: string; password: string } | { auth: string } | { identityToken: string };

export function toCredential(auth: NativeAuth): Credential {
  if ('identityToken' in auth) return { kind: 'identityToken', identityToken: auth.identityToken };
  if ('auth' in auth) {
    const decoded = decodeBasicAuth(auth.auth);
    if (decoded === undefined) throw new Error('unreachable: auth was validated by credentialSchema');
    return { kind: 'basic', ...decoded };
  }
  return { kind: 'basic', username: auth.username, password: auth.password };
}

/** Keys whose values are secrets in any of the accepted spellings; used to redact error text. */
export const SECRET_KEYS = new Set(['password', 'auth', 'identityToken', 'identitytoken', 'identity_token', 'token', 'registrytoken']);
