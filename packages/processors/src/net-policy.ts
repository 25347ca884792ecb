/**
 * Which hosts and networks a connector may reach. Pure (no node imports) so the browser-side
 * config schema can validate entries with the same parser the engine enforces with.
 *
 * An entry is a host name (`api.example.com`, or `*.example.com` for its subdomains), an IP
 * address or a CIDR network (`10.0.0.0/8`, `fe80::/10`), optionally with a port:
 * `host:8080`, `10.0.0.0/8:443`, `[::1]:8080`, `[fd00::]/8:443`.
 */

export interface NetworkRule {
  /** as written, for messages */
  text: string;
  port?: number;
  /** a host-name rule: exact name, or a suffix (`.example.com`) for a wildcard */
  name?: string;
  wildcard?: boolean;
  /** an address rule: the network, its prefix length and family */
  net?: { family: 4 | 6; bits: bigint; prefix: number };
}

/** Allowed and denied destinations. An empty or absent `allow` allows every destination not denied. */
export interface NetworkPolicy {
  allow?: readonly NetworkRule[];
  deny: readonly NetworkRule[];
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let tail: bigint | undefined;
  // an embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1].split(":")) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== undefined) v = (v & ~0xffffffffn) | tail;
  return v;
}

const MAPPED_V4_PREFIX = 0xffffn << 32n;

/** An address as family and bits; an IPv4-mapped IPv6 address counts as the IPv4 address it carries. */
export function parseAddress(address: string): { family: 4 | 6; bits: bigint } | undefined {
  const a = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseIPv4(a);
  if (v4 !== undefined) return { family: 4, bits: v4 };
  const v6 = a.includes(":") ? parseIPv6(a) : undefined;
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === MAPPED_V4_PREFIX >> 32n) return { family: 4, bits: v6 & 0xffffffffn };
  return { family: 6, bits: v6 };
}

function parsePort(p: string): number | undefined {
  if (!/^\d{1,5}$/.test(p)) return undefined;
  const n = Number(p);
  return n >= 1 && n <= 65535 ? n : undefined;
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

/** Parses one entry; a string is the reason it is not one. */
export function parseNetworkRule(entry: string): NetworkRule | string {
  const text = entry.trim();
  let target = text;
  let portText: string | undefined;
  if (target.startsWith("[")) {
    const close = target.indexOf("]");
    if (close < 0) return `"${text}": missing ]`;
    const m = /^(\/\d{1,3})?(?::(.*))?$/.exec(target.slice(close + 1));
    if (!m) return `"${text}" is not an address, network or host`;
    portText = m[2];
    target = target.slice(1, close) + (m[1] ?? "");
  } else if ((target.match(/:/g) ?? []).length === 1) {
    const i = target.lastIndexOf(":");
    portText = target.slice(i + 1);
    target = target.slice(0, i);
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = parsePort(portText);
    if (port === undefined) return `"${text}": ${portText} is not a port`;
  }
  const slash = target.indexOf("/");
  const addrText = slash >= 0 ? target.slice(0, slash) : target;
  const addr = parseAddress(addrText);
  if (addr) {
    const width = addr.family === 4 ? 32 : 128;
    // a prefix on a mapped address is written for IPv6: count it as the IPv4 prefix it covers
    const mapped = addr.family === 4 && addrText.includes(":");
    let prefix = width;
    if (slash >= 0) {
      const p = target.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p)) return `"${text}": /${p} is not a prefix length`;
      prefix = Number(p) - (mapped ? 96 : 0);
      if (prefix < 0 || prefix > width) return `"${text}": /${p} is not a prefix length for IPv${addr.family}`;
    }
    const shift = BigInt(width - prefix);
    return { text, port, net: { family: addr.family, bits: (addr.bits >> shift) << shift, prefix } };
  }
  if (slash >= 0) return `"${text}" is not a network (address/prefix)`;
  if (!HOST_NAME.test(target)) return `"${text}" is not an address, network or host`;
  const name = target.toLowerCase().replace(/\.$/, "");
  return name.startsWith("*.") ? { text, port, name: name.slice(1), wildcard: true } : { text, port, name };
}

/** Parses a list of entries, failing with every bad one named. */
export function parseNetworkRules(entries: readonly string[], what: string): NetworkRule[] {
  const rules: NetworkRule[] = [];
  const bad: string[] = [];
  for (const e of entries) {
    if (e.trim() === "") continue;
    const r = parseNetworkRule(e);
    if (typeof r === "string") bad.push(r);
    else rules.push(r);
  }
  if (bad.length > 0) throw new Error(`${what}: ${bad.join("; ")}`);
  return rules;
}

function portMatches(rule: NetworkRule, port: number): boolean {
  return rule.port === undefined || rule.port === port;
}

function nameMatches(rule: NetworkRule, host: string, port: number): boolean {
  if (rule.name === undefined || !portMatches(rule, port)) return false;
  return rule.wildcard ? host.endsWith(rule.name) && host.length > rule.name.length : host === rule.name;
}

function addressMatches(rule: NetworkRule, address: { family: 4 | 6; bits: bigint }, port: number): boolean {
  const net = rule.net;
  if (!net || net.family !== address.family || !portMatches(rule, port)) return false;
  const shift = BigInt((net.family === 4 ? 32 : 128) - net.prefix);
  return (address.bits >> shift) << shift === net.bits;
}

/**
 * Why `policies` refuse a connection to `host` (the URL's host name or address literal) on `port`
 * once resolved to `addresses`; undefined when every policy allows it. A destination is denied
 * when its name or any of its addresses matches a deny rule; with an allow list, its name or
 * every one of its addresses must match an allow rule.
 */
export function refusal(policies: readonly (NetworkPolicy | undefined)[], host: string, port: number, addresses: readonly string[]): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  const parsed = addresses.map((a) => ({ text: a, addr: parseAddress(a) }));
  for (const policy of policies) {
    if (!policy) continue;
    for (const rule of policy.deny) {
      if (nameMatches(rule, name, port)) return `${host}:${port} is denied (${rule.text})`;
      for (const a of parsed) if (a.addr && addressMatches(rule, a.addr, port)) return `${host}:${port}${a.text !== host ? ` (${a.text})` : ""} is denied (${rule.text})`;
    }
    const allow = policy.allow;
    if (allow && allow.length > 0) {
      if (allow.some((rule) => nameMatches(rule, name, port))) continue;
      const outside = parsed.find((a) => !a.addr || !allow.some((rule) => addressMatches(rule, a.addr!, port)));
      if (outside || parsed.length === 0) return `${host}:${port}${outside && outside.text !== host ? ` (${outside.text})` : ""} is not in the allow list`;
    }
  }
  return undefined;
}
