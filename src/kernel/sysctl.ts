/**
 * The sysctls of one network namespace (/proc/sys/net), with the names, defaults and validation
 * of Linux 6.x in a new namespace: net.ipv4.* globals, net.ipv4.conf.{all,default,DEV}.*,
 * net.ipv4.neigh.DEV.* (per device; `default` exists only in the initial namespace) and
 * net.bridge.bridge-nf-call-* (br_netfilter loaded, as on a Docker host), and IPv6's
 * net.ipv6.*, net.ipv6.conf.{all,default,DEV}.*, net.ipv6.neigh.DEV.*. Writing
 * net.ipv4.ip_forward also sets conf.all.forwarding and every device's forwarding, as
 * devinet_forward does; writing net.ipv6.conf.all.forwarding or .disable_ipv6 sets `default` and
 * every device too (addrconf_fixup_forwarding, addrconf_disable_ipv6). Values are kept as the
 * text `sysctl` prints.
 *
 * Storage: a device's keys are its starting values (a snapshot of `default`, shared by every device
 * made while `default` stays the same) plus what was written to it, so a namespace with many
 * devices holds one small record per device rather than a map entry per key.
 *
 * Deviations: only the keys dockwire's kernel reads or a Docker host commonly touches exist.
 * IPv6 starts disabled (disable_ipv6 = 1 in all, default and every device), as the Linux
 * fixtures are captured; `sysctl -w net.ipv6.conf.all.disable_ipv6=0` turns it on.
 */

type Validator = (value: string) => string | undefined;

const bool: Validator = (v) => (/^-?\d+$/.test(v) ? String(Number(v)) : undefined);
const nonNegative: Validator = (v) => (/^\d+$/.test(v) ? String(Number(v)) : undefined);

const GLOBALS: Record<string, [string, Validator]> = {
  "net.ipv4.ip_forward": ["0", bool],
  "net.ipv4.ip_default_ttl": [
    "64",
    (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 255 ? String(+v) : undefined),
  ],
  "net.ipv4.ip_local_port_range": ["32768\t60999", portRange],
  "net.ipv4.ip_no_pmtu_disc": ["0", bool],
  "net.ipv4.icmp_echo_ignore_all": ["0", bool],
  "net.ipv4.icmp_echo_ignore_broadcasts": ["1", bool],
  "net.ipv4.icmp_ratelimit": ["1000", nonNegative],
  "net.ipv4.icmp_ratemask": ["6168", nonNegative],
  "net.ipv4.tcp_syn_retries": [
    "6",
    (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 127 ? String(+v) : undefined),
  ],
  "net.ipv4.tcp_syn_linear_timeouts": ["4", nonNegative],
  "net.ipv4.tcp_synack_retries": ["5", nonNegative],
  "net.ipv4.tcp_retries2": ["15", nonNegative],
  "net.ipv4.tcp_fin_timeout": ["60", nonNegative],
  "net.ipv4.tcp_keepalive_time": ["7200", nonNegative],
  "net.ipv4.tcp_keepalive_intvl": ["75", nonNegative],
  "net.ipv4.tcp_keepalive_probes": ["9", nonNegative],
  "net.ipv4.tcp_sack": ["1", bool],
  "net.ipv4.tcp_timestamps": ["1", bool],
  "net.ipv4.tcp_window_scaling": ["1", bool],
  "net.ipv4.tcp_rmem": ["4096\t131072\t6291456", tripleOfSizes],
  "net.ipv4.tcp_wmem": ["4096\t16384\t4194304", tripleOfSizes],
  "net.ipv4.tcp_congestion_control": ["cubic", (v) => (v === "cubic" || v === "reno" ? v : undefined)],
  "net.core.somaxconn": ["4096", nonNegative],
  "net.core.rmem_max": ["212992", nonNegative],
  "net.core.wmem_max": ["212992", nonNegative],
  // nf_conntrack (loaded on a Docker host): table size and timeouts, seconds.
  "net.netfilter.nf_conntrack_max": ["262144", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_syn_sent": ["120", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_syn_recv": ["60", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_established": ["432000", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_fin_wait": ["120", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_close_wait": ["60", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_last_ack": ["30", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_time_wait": ["120", nonNegative],
  "net.netfilter.nf_conntrack_tcp_timeout_close": ["10", nonNegative],
  "net.netfilter.nf_conntrack_udp_timeout": ["30", nonNegative],
  "net.netfilter.nf_conntrack_udp_timeout_stream": ["120", nonNegative],
  "net.netfilter.nf_conntrack_icmp_timeout": ["30", nonNegative],
  "net.netfilter.nf_conntrack_icmpv6_timeout": ["30", nonNegative],
  "net.netfilter.nf_conntrack_generic_timeout": ["600", nonNegative],
  "net.bridge.bridge-nf-call-arptables": ["1", bool],
  "net.bridge.bridge-nf-call-ip6tables": ["1", bool],
  "net.bridge.bridge-nf-call-iptables": ["1", bool],
};

const CONF: Record<string, [string, Validator]> = {
  accept_redirects: ["1", bool],
  arp_announce: ["0", nonNegative],
  arp_ignore: ["0", nonNegative],
  arp_notify: ["0", bool],
  forwarding: ["0", bool],
  proxy_arp: ["0", bool],
  route_localnet: ["0", bool],
  rp_filter: ["0", (v) => (/^[0-2]$/.test(v) ? v : undefined)],
  send_redirects: ["1", bool],
};

const GLOBALS6: Record<string, [string, Validator]> = {
  "net.ipv6.auto_flowlabels": ["1", (v) => (/^[0-3]$/.test(v) ? v : undefined)],
  "net.ipv6.flowlabel_reflect": ["0", nonNegative],
  "net.ipv6.icmp.echo_ignore_all": ["0", bool],
  "net.ipv6.icmp.ratelimit": ["1000", nonNegative],
};

const anyInt: Validator = (v) => (/^-?\d+$/.test(v) ? String(Number(v)) : undefined);

/** net.ipv6.conf.*: Linux's defaults, except disable_ipv6 (see the header). */
const CONF6: Record<string, [string, Validator]> = {
  accept_dad: ["1", (v) => (/^[0-2]$/.test(v) ? v : undefined)],
  accept_ra: ["1", (v) => (/^[0-2]$/.test(v) ? v : undefined)],
  addr_gen_mode: ["0", (v) => (/^[0-3]$/.test(v) ? v : undefined)],
  autoconf: ["1", bool],
  dad_transmits: ["1", nonNegative],
  disable_ipv6: ["1", bool],
  enhanced_dad: ["1", bool],
  forwarding: ["0", bool],
  hop_limit: ["64", (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 255 ? String(+v) : undefined)],
  keep_addr_on_down: ["0", anyInt],
  mldv1_unsolicited_report_interval: ["10000", nonNegative],
  mldv2_unsolicited_report_interval: ["1000", nonNegative],
  router_solicitation_delay: ["1", anyInt],
  router_solicitation_interval: ["4", anyInt],
  router_solicitation_max_interval: ["3600", anyInt],
  router_solicitations: ["-1", anyInt],
};

const NEIGH: Record<string, [string, Validator]> = {
  base_reachable_time_ms: ["30000", nonNegative],
  delay_first_probe_time: ["5", nonNegative],
  gc_stale_time: ["60", nonNegative],
  mcast_solicit: ["3", nonNegative],
  retrans_time_ms: ["1000", nonNegative],
  ucast_solicit: ["3", nonNegative],
  unres_qlen: ["101", nonNegative],
  unres_qlen_bytes: ["212992", nonNegative],
};

/** tcp_rmem / tcp_wmem: min, default and max buffer sizes. */
function tripleOfSizes(v: string): string | undefined {
  const parts = v.trim().split(/\s+/);
  return parts.length === 3 && parts.every((p) => /^\d+$/.test(p) && +p > 0) ? parts.join("\t") : undefined;
}

/** ipv4_local_port_range: two ports, low <= high, low not below the privileged range (1024). */
function portRange(v: string): string | undefined {
  const parts = v.trim().split(/\s+/);
  if (parts.length !== 2 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const [lo, hi] = parts.map(Number) as [number, number];
  return lo >= 1024 && lo <= hi && hi <= 65535 ? `${lo}\t${hi}` : undefined;
}

export class SysctlError extends Error {
  constructor(
    message: string,
    readonly kind: "unknown" | "invalid",
  ) {
    super(message);
  }
}

/** The per-scope key families: `net.FAMILY.conf.SCOPE.KEY` and `net.FAMILY.neigh.DEV.KEY`. */
const SECTIONS = {
  "ipv4.conf": CONF,
  "ipv6.conf": CONF6,
  "ipv4.neigh": NEIGH,
  "ipv6.neigh": NEIGH,
} as const;
type Section = keyof typeof SECTIONS;

function defaultsOf(table: Record<string, [string, Validator]>): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([k, [v]]) => [k, v])));
}

/** Linux's values of each section, shared by every scope that has not changed them. */
const LINUX_DEFAULTS: Record<Section, Readonly<Record<string, string>>> = {
  "ipv4.conf": defaultsOf(CONF),
  "ipv6.conf": defaultsOf(CONF6),
  "ipv4.neigh": defaultsOf(NEIGH),
  "ipv6.neigh": defaultsOf(NEIGH),
};

/**
 * One scope's keys of a section (all, default, or a device): the values it started with, shared
 * with other scopes and never changed, and what was written since.
 */
interface Scope {
  base: Readonly<Record<string, string>>;
  own: Map<string, string> | undefined;
}

/** `net.ipv4.conf.eth0.50.rp_filter` → section ipv4.conf, scope eth0.50, name rp_filter. */
function parseScoped(key: string): { section: Section; scope: string; name: string } | undefined {
  const m = /^net\.(ipv[46])\.(conf|neigh)\.(.+)\.([^.]+)$/.exec(key);
  return m
    ? { section: `${m[1]}.${m[2]}` as Section, scope: m[3] as string, name: m[4] as string }
    : undefined;
}

export class Sysctls {
  private readonly globals = new Map<string, string>();
  private readonly globalValidators = new Map<string, Validator>();
  private readonly scopes = new Map<Section, Map<string, Scope>>();
  private readonly devices: string[] = [];
  /** `default`'s conf values as a shared snapshot, until `default` changes. */
  private readonly snapshots = new Map<Section, Readonly<Record<string, string>>>();
  /** Called after a value changed (the namespace refreshes the numbers its packet path reads). */
  onChange: ((key: string) => void) | undefined;

  constructor() {
    for (const [k, [v, check]] of Object.entries({ ...GLOBALS, ...GLOBALS6 })) this.define(k, v, check);
    for (const section of Object.keys(SECTIONS) as Section[]) this.scopes.set(section, new Map());
    for (const section of ["ipv4.conf", "ipv6.conf"] as const)
      for (const scope of ["all", "default"])
        this.sectionScopes(section).set(scope, { base: LINUX_DEFAULTS[section], own: undefined });
  }

  /** Keys only the initial namespace has (host-wide switches). */
  defineInitial(): void {
    this.define("net.netfilter.nf_log_all_netns", "0", bool);
  }

  /** A device appears: its conf keys take the `default` values, its neigh keys Linux's. */
  addDevice(name: string): void {
    this.devices.push(name);
    for (const section of ["ipv4.conf", "ipv6.conf"] as const)
      this.sectionScopes(section).set(name, { base: this.defaultSnapshot(section), own: undefined });
    for (const section of ["ipv4.neigh", "ipv6.neigh"] as const)
      this.sectionScopes(section).set(name, { base: LINUX_DEFAULTS[section], own: undefined });
  }

  removeDevice(name: string): void {
    this.devices.splice(this.devices.indexOf(name), 1);
    for (const scopes of this.scopes.values()) scopes.delete(name);
  }

  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  get(key: string): string {
    const v = this.lookup(key);
    if (v === undefined)
      throw new SysctlError(
        `sysctl: cannot stat /proc/sys/${key.replaceAll(".", "/")}: No such file or directory`,
        "unknown",
      );
    return v;
  }

  /** A number-valued key (first field for multi-value keys). */
  number(key: string): number {
    return Number(this.get(key).split("\t")[0]);
  }

  /** Throws SysctlError (unknown key or invalid value) and changes nothing on error. */
  set(key: string, value: string): void {
    this.get(key);
    const scoped = this.globals.has(key) ? undefined : parseScoped(key);
    const check = scoped
      ? (SECTIONS[scoped.section][scoped.name] as [string, Validator])[1]
      : (this.globalValidators.get(key) as Validator);
    const normalised = check(value.trim());
    if (normalised === undefined)
      throw new SysctlError(`sysctl: setting key "${key}": Invalid argument`, "invalid");
    this.write(key, normalised);
    if (key === "net.ipv4.ip_forward" || key === "net.ipv4.conf.all.forwarding") {
      const on = normalised === "0" ? "0" : "1";
      this.write("net.ipv4.ip_forward", key === "net.ipv4.ip_forward" ? normalised : on);
      for (const scope of ["all", "default", ...this.devices])
        this.write(`net.ipv4.conf.${scope}.forwarding`, on);
    }
    if (key === "net.ipv6.conf.all.forwarding" || key === "net.ipv6.conf.all.disable_ipv6") {
      const name = key.slice("net.ipv6.conf.all.".length);
      for (const scope of ["default", ...this.devices])
        this.write(`net.ipv6.conf.${scope}.${name}`, normalised);
    }
    this.onChange?.(key);
  }

  /** `ip link set DEV name NEW`: the device's keys follow it. */
  renameDevice(from: string, to: string): void {
    this.devices[this.devices.indexOf(from)] = to;
    for (const scopes of this.scopes.values()) {
      const s = scopes.get(from);
      if (!s) continue;
      scopes.delete(from);
      scopes.set(to, s);
    }
  }

  /** Every key, sorted, as `sysctl -a` lists them. */
  keys(): string[] {
    const all = [...this.globals.keys()];
    for (const [section, scopes] of this.scopes)
      for (const scope of scopes.keys())
        for (const name of Object.keys(SECTIONS[section])) all.push(`net.${section}.${scope}.${name}`);
    return all.sort();
  }

  private sectionScopes(section: Section): Map<string, Scope> {
    return this.scopes.get(section) as Map<string, Scope>;
  }

  private lookup(key: string): string | undefined {
    const v = this.globals.get(key);
    if (v !== undefined) return v;
    const scoped = parseScoped(key);
    if (!scoped) return undefined;
    const s = this.scopes.get(scoped.section)?.get(scoped.scope);
    if (!s) return undefined;
    return s.own?.get(scoped.name) ?? s.base[scoped.name];
  }

  /** Store a value already checked. */
  private write(key: string, value: string): void {
    const scoped = this.globals.has(key) ? undefined : parseScoped(key);
    if (!scoped) {
      this.globals.set(key, value);
      return;
    }
    const s = this.sectionScopes(scoped.section).get(scoped.scope) as Scope;
    s.own ??= new Map();
    s.own.set(scoped.name, value);
    if (scoped.scope === "default") this.snapshots.delete(scoped.section);
  }

  /** What a new device starts with: `default`'s values (one shared copy until `default` changes). */
  private defaultSnapshot(section: "ipv4.conf" | "ipv6.conf"): Readonly<Record<string, string>> {
    let snap = this.snapshots.get(section);
    if (!snap) {
      const d = this.sectionScopes(section).get("default") as Scope;
      snap = d.own ? Object.freeze({ ...d.base, ...Object.fromEntries(d.own) }) : d.base;
      this.snapshots.set(section, snap);
    }
    return snap;
  }

  private define(key: string, value: string, check: Validator): void {
    this.globals.set(key, value);
    this.globalValidators.set(key, check);
  }
}
