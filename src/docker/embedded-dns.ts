/**
 * Docker's embedded DNS server (libnetwork resolver.go, resolver_unix.go) for one container on
 * user-defined networks: it listens inside the container's namespace on 127.0.0.11 at random UDP
 * and TCP ports, and nat rules in that namespace (chains DOCKER_OUTPUT and DOCKER_POSTROUTING,
 * TCP lines above UDP) send port 53 there and back. A and PTR questions for names and addresses of
 * the container's networks are answered from the daemon's records (TTL 600, addresses shuffled,
 * PTR `name.network`); other questions are forwarded, one upstream at a time with a 4 s timeout,
 * from the docker host's namespace to the nameservers of its /etc/resolv.conf (or, with --dns,
 * from the container's namespace to those servers); no upstream or no answer gives SERVFAIL.
 * Questions over TCP are answered the same way (length-prefixed). Deviations: no container-scoped
 * link aliases, no swarm service names; forwarding is over UDP only.
 */

import type { NetNamespace } from "../kernel/namespace.js";
import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import type { UdpSocket } from "../kernel/udp.js";
import { runIptables } from "../netfilter/iptables-command.js";
import type { Simulation } from "../sim/simulation.js";
import { SECOND } from "../sim/time.js";
import type { Rng } from "../util/rng.js";
import {
  aData,
  DNS_PORT,
  type DnsMessage,
  emitDns,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  nameData,
  parseDns,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
} from "../wire/dns.js";

export const RESOLVER_ADDRESS = 0x7f00000b; // 127.0.0.11
const TTL = 600;
const UPSTREAM_TIMEOUT = 4 * SECOND;

/** What the resolver asks the daemon. */
export interface DnsRecords {
  /**
   * The endpoints `name` has in the first of the container's networks that knows it: each one's
   * IPv4 address (0: none) and IPv6 address (on an IPv6 network).
   */
  addresses(name: string): { v4: number; v6: Uint8Array | undefined }[] | undefined;
  /** `name.network` for an address of the container's networks. */
  ptr(addr: number): string | undefined;
  /** The upstream nameservers (the docker host's /etc/resolv.conf, or --dns). */
  upstreams(): number[];
  /** Ask the upstreams from the container's namespace (--dns) rather than the host's. */
  fromContainer?: boolean;
}

export class EmbeddedResolver {
  private udp: UdpSocket | undefined;
  private tcp: TcpSocket | undefined;

  constructor(
    private readonly sandbox: NetNamespace,
    /** The docker host's namespace, where forwarded questions leave from. */
    private readonly hostNs: NetNamespace,
    private readonly records: DnsRecords,
    private readonly sim: Simulation,
    private readonly rng: Rng,
  ) {}

  /** Bind the sockets and write the nat rules (setupIPTable). */
  start(): void {
    const udp = this.sandbox.udp.socket().bind(RESOLVER_ADDRESS, 0);
    udp.onMessage = (d) => this.serve(d.data, (answer) => udp.send(answer, d.srcAddr, d.srcPort));
    this.udp = udp;
    const tcp = this.sandbox.tcp.socket();
    try {
      tcp.bind(RESOLVER_ADDRESS, 0).listen(128);
    } catch (e) {
      if (!(e instanceof TcpError)) throw e;
    }
    // DNS over TCP: each message behind a two-byte length (RFC 1035 §4.2.2).
    tcp.onConnection = (c) => {
      let buffered = new Uint8Array(0);
      c.onData = (d) => {
        const joined = new Uint8Array(buffered.length + d.length);
        joined.set(buffered);
        joined.set(d, buffered.length);
        buffered = joined;
        while (buffered.length >= 2) {
          const len = ((buffered[0] as number) << 8) | (buffered[1] as number);
          if (buffered.length < 2 + len) break;
          const message = buffered.slice(2, 2 + len);
          buffered = buffered.slice(2 + len);
          this.serve(message, (answer) => {
            const framed = new Uint8Array(2 + answer.length);
            framed[0] = answer.length >> 8;
            framed[1] = answer.length & 0xff;
            framed.set(answer, 2);
            c.write(framed);
          });
        }
      };
      c.onEnd = () => c.close();
    };
    this.tcp = tcp;
    const ipt = (line: string) => runIptables(this.sandbox.iptables, line.split(" "));
    const [u, t] = [udp.localPort, tcp.localPort];
    ipt("-t nat -N DOCKER_OUTPUT");
    ipt("-t nat -N DOCKER_POSTROUTING");
    ipt("-t nat -A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT");
    ipt("-t nat -A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING");
    ipt(
      `-t nat -I DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:${u}`,
    );
    ipt(`-t nat -I DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport ${u} -j SNAT --to-source :53`);
    ipt(
      `-t nat -I DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:${t}`,
    );
    ipt(`-t nat -I DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport ${t} -j SNAT --to-source :53`);
  }

  stop(): void {
    this.udp?.close();
    this.tcp?.close();
  }

  private serve(data: Uint8Array, reply: (answer: Uint8Array) => void): void {
    let q: DnsMessage;
    try {
      q = parseDns(data);
    } catch {
      return;
    }
    const question = q.questions[0];
    if (!question || q.flags & FLAG_QR) return;
    const answer = (records: DnsMessage["answers"], rcode = 0) =>
      reply(
        emitDns({
          id: q.id,
          flags: FLAG_QR | (q.flags & FLAG_RD) | FLAG_RA | rcode,
          questions: q.questions,
          answers: records,
          authorities: [],
          additionals: [],
        }),
      );
    const name = question.name;
    if (question.type === TYPE_A || question.type === TYPE_AAAA) {
      const endpoints = this.records.addresses(name);
      if (endpoints) {
        // A name that exists but has no address of the family: NOERROR with no answers.
        const data =
          question.type === TYPE_A
            ? endpoints.filter((e) => e.v4 !== 0).map((e) => aData(e.v4))
            : endpoints.flatMap((e) => (e.v6 ? [e.v6.slice()] : []));
        answer(
          this.shuffle(data).map((d) => ({
            name,
            type: question.type,
            class: question.class,
            ttl: TTL,
            data: d,
          })),
        );
        return;
      }
    } else if (question.type === TYPE_PTR) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/i.exec(name);
      const addr = m
        ? ((Number(m[4]) << 24) | (Number(m[3]) << 16) | (Number(m[2]) << 8) | Number(m[1])) >>> 0
        : -1;
      const target = addr >= 0 ? this.records.ptr(addr) : undefined;
      if (target !== undefined) {
        answer([{ name, type: TYPE_PTR, class: question.class, ttl: TTL, data: nameData(target) }]);
        return;
      }
    }
    this.forward(data, this.records.upstreams(), reply, () => answer([], RCODE_SERVFAIL));
  }

  /** Ask the upstreams one at a time (from the host's namespace); `failed` when none answers. */
  private forward(
    data: Uint8Array,
    servers: number[],
    reply: (a: Uint8Array) => void,
    failed: () => void,
  ): void {
    const [server, ...rest] = servers;
    if (server === undefined) {
      failed();
      return;
    }
    const sock = (this.records.fromContainer ? this.sandbox : this.hostNs).udp.socket();
    const timer = this.sim.scheduleAfter(UPSTREAM_TIMEOUT, () => {
      sock.close();
      this.forward(data, rest, reply, failed);
    });
    sock.onMessage = (d) => {
      this.sim.cancel(timer);
      sock.close();
      reply(d.data.slice());
    };
    try {
      sock.connect(server, DNS_PORT).send(data);
    } catch {
      this.sim.cancel(timer);
      sock.close();
      this.forward(data, rest, reply, failed);
    }
  }

  private shuffle<T>(items: T[]): T[] {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  }
}
