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

/** Where a device's own keys live. */
const DEVICE_KEY_PREFIXES = ["net.ipv4.conf.", "net.ipv4.neigh.", "net.ipv6.conf.", "net.ipv6.neigh."];

export class SysctlError extends Error {
  constructor(
    message: string,
    readonly kind: "unknown" | "invalid",
  ) {
    super(message);
  }
}

export class Sysctls {
  private readonly values = new Map<string, string>();
  private readonly validators = new Map<string, Validator>();
  private readonly devices: string[] = [];
  /** Called after a value changed (the namespace refreshes the numbers its packet path reads). */
  onChange: ((key: string) => void) | undefined;

  constructor() {
    for (const [k, [v, check]] of Object.entries({ ...GLOBALS, ...GLOBALS6 })) this.define(k, v, check);
    for (const scope of ["all", "default"]) this.defineConf(scope, "default");
  }

  /** Keys only the initial namespace has (host-wide switches). */
  defineInitial(): void {
    this.define("net.netfilter.nf_log_all_netns", "0", bool);
  }

  /** A device appears: its conf keys take the `default` values, its neigh keys Linux's. */
  addDevice(name: string): void {
    this.devices.push(name);
    this.defineConf(name, "default");
    for (const family of ["ipv4", "ipv6"])
      for (const [k, [v, check]] of Object.entries(NEIGH))
        this.define(`net.${family}.neigh.${name}.${k}`, v, check);
  }

  removeDevice(name: string): void {
    this.devices.splice(this.devices.indexOf(name), 1);
    for (const k of [...this.values.keys()]) {
      if (DEVICE_KEY_PREFIXES.some((p) => k.startsWith(`${p}${name}.`))) {
        this.values.delete(k);
        this.validators.delete(k);
      }
    }
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): string {
    const v = this.values.get(key);
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
    const normalised = (this.validators.get(key) as Validator)(value.trim());
    if (normalised === undefined)
      throw new SysctlError(`sysctl: setting key "${key}": Invalid argument`, "invalid");
    this.values.set(key, normalised);
    if (key === "net.ipv4.ip_forward" || key === "net.ipv4.conf.all.forwarding") {
      const on = normalised === "0" ? "0" : "1";
      this.values.set("net.ipv4.ip_forward", key === "net.ipv4.ip_forward" ? normalised : on);
      for (const scope of ["all", "default", ...this.devices])
        this.values.set(`net.ipv4.conf.${scope}.forwarding`, on);
    }
    if (key === "net.ipv6.conf.all.forwarding" || key === "net.ipv6.conf.all.disable_ipv6") {
      const name = key.slice("net.ipv6.conf.all.".length);
      for (const scope of ["default", ...this.devices])
        this.values.set(`net.ipv6.conf.${scope}.${name}`, normalised);
    }
    this.onChange?.(key);
  }

  /** `ip link set DEV name NEW`: the device's keys follow it. */
  renameDevice(from: string, to: string): void {
    this.devices[this.devices.indexOf(from)] = to;
    for (const [k, v] of [...this.values]) {
      for (const prefix of DEVICE_KEY_PREFIXES.map((p) => `${p}${from}.`)) {
        if (!k.startsWith(prefix)) continue;
        const nk = prefix.replace(`.${from}.`, `.${to}.`) + k.slice(prefix.length);
        this.values.delete(k);
        this.values.set(nk, v);
        this.validators.set(nk, this.validators.get(k) as Validator);
        this.validators.delete(k);
      }
    }
  }

  /** Every key, sorted, as `sysctl -a` lists them. */
  keys(): string[] {
    return [...this.values.keys()].sort();
  }

  private define(key: string, value: string, check: Validator): void {
    this.values.set(key, value);
    this.validators.set(key, check);
  }

  private defineConf(scope: string, from: string): void {
    for (const [family, table] of [
      ["ipv4", CONF],
      ["ipv6", CONF6],
    ] as const) {
      for (const [k, [v, check]] of Object.entries(table)) {
        const inherited = this.values.get(`net.${family}.conf.${from}.${k}`);
        this.define(`net.${family}.conf.${scope}.${k}`, inherited ?? v, check);
      }
    }
  }
}
