import { isIP } from "node:net";
import { hostname } from "node:os";

/**
 * The Host header check against DNS rebinding: a web page on an attacker's name that resolves
 * to this machine reaches the engine with that name in Host. IP addresses are always accepted
 * (a page can only be served from an IP address by that address itself); names must be listed.
 */
export interface HostCheck {
  /** undefined when the Host is accepted, otherwise the name refused */
  refused(hostHeader: string | undefined): string | undefined;
  names: readonly string[];
}

const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** localhost, the bind address when it is a name, this machine's name when bound to every interface, and the configured names. */
export function defaultAllowedHosts(bindHost: string): string[] {
  const names = ["localhost"];
  if (!isIP(bindHost) && !WILDCARD_BINDS.has(bindHost)) names.push(bindHost);
  if (WILDCARD_BINDS.has(bindHost)) {
    const machine = hostname();
    names.push(machine);
    if (!machine.includes(".")) names.push(`${machine}.local`);
  }
  return names;
}

/** The name part of a Host header, lower case, without port and trailing dot; brackets kept off IPv6. */
export function hostName(hostHeader: string): string {
  let h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(":");
  if (colon >= 0 && h.indexOf(":") === colon) h = h.slice(0, colon);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

export function createHostCheck(bindHost: string, configured: readonly string[] | undefined): HostCheck {
  const names = [...defaultAllowedHosts(bindHost), ...(configured ?? [])].map((n) => hostName(n));
  const any = names.includes("*");
  const accepted = new Set(names);
  return {
    names,
    refused(hostHeader) {
      // HTTP/1.0 clients may omit Host (HTTP/1.1 without one is refused by Node itself); browsers always send it
      if (any || hostHeader === undefined || hostHeader === "") return undefined;
      const name = hostName(hostHeader);
      if (isIP(name) || accepted.has(name)) return undefined;
      return name;
    },
  };
}
