import { formatVersion } from './render-resource';

/**
 * RFC 7232 §3.1 as used by RFC 7644 §3.14: `*` matches any existing resource, otherwise one of
 * the listed tags must equal the current version. Weak and strong forms compare equal, since
 * scimflow only issues weak tags and clients echo them in either form.
 */
export function ifMatchSatisfied(header: string, version: number): boolean {
  const wanted = header.trim();
  if (wanted === '*') return true;
  const current = formatVersion(version).slice(2);
  return wanted.split(',').some((tag) => tag.trim().replace(/^W\//i, '') === current);
}
