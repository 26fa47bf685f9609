import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may point. A tenant's endpoint URL is chosen by whoever holds the admin API, but
 * the worker makes the request from inside the service's network: without a check it could be
 * pointed at Postgres, Redis, a cloud metadata service or anything else only the service can reach
 * (SSRF). Refused: credentials in the URL; hosts that are, or resolve to, loopback, private,
 * link-local, CGNAT, multicast, unspecified, reserved, IPv6 unique-local, link-local or
 * IPv4-mapped addresses. Checked at registration and again at each delivery, which then connects
 * to the address it checked (a DNS answer that changes in between can't redirect it: rebinding).
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64 (reaches IPv4 space)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

export interface WebhookPolicy {
  /** Development only: private and loopback targets allowed (a receiver on this machine). */
  readonly allowPrivate: boolean;
}

/** Why a webhook URL is refused, or undefined when its form is acceptable (before any DNS lookup). */
export function webhookUrlProblem(url: string, policy: WebhookPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (parsed.username || parsed.password) return 'must not carry credentials (the signature authenticates us)';
  if (!parsed.hostname) return 'must name a host';
  const literal = hostAddress(parsed);
  if (literal && !policy.allowPrivate && isBlocked(literal))
    return `must not point at a private or reserved address (${literal})`;
  return undefined;
}

/** The address to connect to for a webhook URL, after checking every address its host resolves to. */
export async function resolveWebhookTarget(
  url: URL,
  policy: WebhookPolicy,
): Promise<{ address: string; family: 4 | 6 }> {
  const literal = hostAddress(url);
  const addresses = literal
    ? [{ address: literal, family: isIP(literal) === 6 ? 6 : 4 }]
    : await lookup(url.hostname, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${url.hostname} has no address`);
  if (!policy.allowPrivate) {
    const bad = addresses.find(({ address }) => isBlocked(address));
    if (bad) throw new Error(`${url.hostname} resolves to a private or reserved address (${bad.address})`);
  }
  const [first] = addresses;
  if (!first) throw new Error(`${url.hostname} has no address`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The IP literal a URL names as its host (the URL parser already turned 0x7f000001 into 127.0.0.1). */
function hostAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

function isBlocked(address: string): boolean {
  return blocked.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Where a delivery connects, or why it may not: checked again for every run (SSRF, DNS rebinding). */
export type WebhookTarget = { readonly address: string; readonly family: 4 | 6 } | { readonly refused: string };

export async function checkedWebhookTarget(url: string, policy: WebhookPolicy): Promise<WebhookTarget> {
  const problem = webhookUrlProblem(url, policy);
  if (problem) return { refused: `not delivered: the URL ${problem}` };
  try {
    return await resolveWebhookTarget(new URL(url), policy);
  } catch (error) {
    return { refused: `not delivered: ${error instanceof Error ? error.message : String(error)}` };
  }
}
