/**
 * A namespace's iptables or ip6tables state (net/ipv4/netfilter/ip_tables.c,
 * net/ipv6/netfilter/ip6_tables.c as iptables-nft presents them): the
 * tables raw, mangle, nat and filter with their built-in chains and policies, user chains, and
 * the rules in each chain. A table exists (for `iptables-save`) once a command has changed it, as
 * with iptables-nft, and is listed in iptables-nft's fixed order: mangle, raw, filter, nat.
 * Evaluation at the hooks comes with conntrack.
 */

import type { FamilyId } from "./family.js";
import type { Rule } from "./rule.js";

export const BUILTIN_CHAINS: Record<string, string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
};

export interface Chain {
  name: string;
  builtin: boolean;
  /** ACCEPT or DROP for built-in chains. */
  policy: "ACCEPT" | "DROP" | undefined;
  rules: Rule[];
}

export class Table {
  readonly chains = new Map<string, Chain>();

  constructor(readonly name: string) {
    for (const c of BUILTIN_CHAINS[name] ?? [])
      this.chains.set(c, { name: c, builtin: true, policy: "ACCEPT", rules: [] });
  }

  /** Chains as iptables lists them: built-ins in hook order, then user chains by name. */
  ordered(): Chain[] {
    const all = [...this.chains.values()];
    return [
      ...all.filter((c) => c.builtin),
      ...all.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    ];
  }

  /** How many rules jump or go to `chain`. */
  references(chain: string): number {
    let n = 0;
    for (const c of this.chains.values()) for (const r of c.rules) if (r.target?.name === chain) n++;
    return n;
  }

  clone(): Table {
    const t = new Table(this.name);
    t.chains.clear();
    for (const [k, c] of this.chains)
      t.chains.set(k, { ...c, rules: c.rules.map((r) => structuredClone(r)) });
    return t;
  }
}

const SAVE_ORDER = ["mangle", "raw", "filter", "nat"];

export class IptablesState {
  /** 4 for iptables, 6 for ip6tables: each namespace has one state of each. */
  constructor(readonly family: FamilyId = 4) {}

  readonly tables = new Map<string, Table>();
  /** Bumped by every change, so the hooks know to recompile. */
  version = 0;
  /** Tables a command has changed (the ones iptables-save shows). */
  readonly present = new Set<string>();

  /** The table, created on first use; undefined for an unknown name. */
  table(name: string): Table | undefined {
    if (!(name in BUILTIN_CHAINS)) return undefined;
    let t = this.tables.get(name);
    if (!t) {
      t = new Table(name);
      this.tables.set(name, t);
    }
    return t;
  }

  /** The tables iptables-save prints, in its order. */
  saved(): Table[] {
    return SAVE_ORDER.filter((n) => this.present.has(n)).map((n) => this.table(n) as Table);
  }
}
