/**
 * An endpoint's IPv6 inside its container (osl setInterfaceIPv6): IPv6 switched on for the
 * interface (and loopback, so `::1` is there as in a fresh Linux namespace), the endpoint's address
 * added without DAD (IFA_F_NODAD), and `default via` the network's IPv6 gateway (metric 1024, as
 * `ip -6 route add` gives) when the network routes and the container has no IPv6 default yet.
 */

import type { NetNamespace } from "../kernel/namespace.js";
import type { NetDevice } from "../link/net-device.js";
import type { Ipv6Pool } from "./ipam6.js";

/** Before the interface comes up: IPv6 on and the address. */
export function addEndpointIpv6(
  sandbox: NetNamespace,
  dev: NetDevice,
  address: Uint8Array,
  pool: Ipv6Pool,
): void {
  sandbox.sysctl.set(`net.ipv6.conf.${dev.name}.disable_ipv6`, "0");
  sandbox.sysctl.set("net.ipv6.conf.lo.disable_ipv6", "0");
  sandbox.ipv6.addrconf.add(dev, address, pool.prefixLen, { nodad: true });
}

/** Once the interface is up: the default route via the gateway, unless there is one. */
export function addIpv6DefaultRoute(sandbox: NetNamespace, dev: NetDevice, pool: Ipv6Pool): void {
  if (sandbox.ipv6.main.routes().some((r) => r.prefixLen === 0)) return;
  sandbox.ipv6.main.add({
    dst: new Uint8Array(16),
    prefixLen: 0,
    type: "unicast",
    gateway: pool.gateway,
    ifindex: dev.ifindex,
    metric: 1024,
    protocol: "boot",
    prefsrc: undefined,
  });
}
