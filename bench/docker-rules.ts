/**
 * Docker's classic rule set (20.10–27.x, userland proxy on, one user network and one published
 * port; shared/spec/docker-networking.md §4.1) as iptables-restore input: the same file the
 * Linux fixture script restores (test/fixtures/linux/netfilter/docker-classic.rules).
 */

import { readFileSync } from "node:fs";

export const DOCKER_CLASSIC = readFileSync(
  new URL("../../test/fixtures/linux/netfilter/docker-classic.rules", import.meta.url),
  "utf8",
);
