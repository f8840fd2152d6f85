/**
 * An iptables or ip6tables rule as the kernel keeps it (struct ipt_entry / ip6t_entry with its
 * matches and target): the fixed IP part (addresses with masks, interfaces with `+` wildcards, protocol, each with its
 * own negation), the extension matches in the order given, the target, and packet/byte counters.
 * Rules are compared structurally (what `iptables -D RULE` and `-C` need); their text forms live
 * in rule-text.ts.
 */

export interface AddressMatch {
  /** The IPv4 address (masked); 0 in an IPv6 rule. */
  addr: number;
  /** The IPv6 address (masked), as inet_ntop prints it; only in ip6tables rules. */
  addr6?: string;
  prefixLen: number;
  invert: boolean;
}

export interface InterfaceMatch {
  name: string;
  invert: boolean;
}

/** An extension match (`-m NAME` or implied by `-p tcp|udp|icmp`): its options in canonical form. */
export interface Match {
  name: string;
  /** Options as [flag, value, inverted], in the order iptables-save prints them. */
  options: MatchOption[];
}

export interface MatchOption {
  flag: string;
  value: string;
  invert: boolean;
}

export interface Target {
  /** ACCEPT, DROP, RETURN, REJECT, LOG, MARK, DNAT, SNAT, MASQUERADE, REDIRECT, CT, NOTRACK, or a chain. */
  name: string;
  /** `-g CHAIN` instead of `-j CHAIN`. */
  goto: boolean;
  /** Options in canonical form, e.g. [["--to-destination", "172.17.0.2:80"]]. */
  options: [string, string][];
}

export interface Rule {
  src?: AddressMatch;
  dst?: AddressMatch;
  inIface?: InterfaceMatch;
  outIface?: InterfaceMatch;
  /** IP protocol number (0 = all) and its negation. */
  protocol: number;
  protocolInvert: boolean;
  matches: Match[];
  target?: Target;
  packets: number;
  bytes: number;
}

export function emptyRule(): Rule {
  return { protocol: 0, protocolInvert: false, matches: [], packets: 0, bytes: 0 };
}

/** Same rule, counters aside (iptables -D / -C compare this way). */
export function sameRule(a: Rule, b: Rule): boolean {
  const strip = (r: Rule) => JSON.stringify({ ...r, packets: 0, bytes: 0 });
  return strip(a) === strip(b);
}
