/**
 * The LOG target's line for IPv6 (nf_log_ip6_packet / dump_ipv6_packet in nf_log_syslog.c, read
 * from the source: no Linux capture, since reading a namespace's LOG lines needs the host-wide
 * net.netfilter.nf_log_all_netns): header fields, ICMPv6 echo, and an error's quoted packet.
 */

import { describe, expect, it } from "vitest";
import { Packet } from "../../src/link/packet.js";
import { logLine } from "../../src/netfilter/log-target.js";
import { put16, put32 } from "../../src/util/bytes.js";
import { ipv6 } from "../../src/util/ipv6-address.js";

function ipv6Packet(src: string, dst: string, hop: number, payload: Uint8Array): Packet {
  const p = Packet.alloc(14 + 40 + payload.length);
  const o = p.head + 14;
  p.buf.set([2, 0, 0, 0, 6, 0x11, 2, 0, 0, 0, 6, 0x1a, 0x86, 0xdd], p.head);
  put32(p.buf, o, 0x60012345);
  put16(p.buf, o + 4, payload.length);
  p.buf[o + 6] = 58;
  p.buf[o + 7] = hop;
  p.buf.set(ipv6(src), o + 8);
  p.buf.set(ipv6(dst), o + 24);
  p.buf.set(payload, o + 40);
  p.pull(14);
  return p;
}

describe("LOG for IPv6", () => {
  const echo = new Uint8Array(64);
  echo.set([128, 0, 0, 0, 0x12, 0x34, 0, 1]);
  const dev = { inName: "eth0", outName: "eth1", physIn: "", physOut: "" };

  it("an echo request being forwarded", () => {
    const p = ipv6Packet("fd00:1::a", "fd00:2::b", 63, echo);
    expect(logLine("v6: ", p, dev)).toBe(
      "v6: IN=eth0 OUT=eth1 MAC=02:00:00:00:06:11:02:00:00:00:06:1a:86:dd SRC=fd00:1::a DST=fd00:2::b LEN=104 TC=0 HOPLIMIT=63 FLOWLBL=74565 PROTO=ICMPv6 TYPE=128 CODE=0 ID=4660 SEQ=1 ",
    );
  });

  it("an error quotes the packet it is about, closed with ') '", () => {
    const inner = ipv6Packet("fd00:2::b", "fd00:1::a", 63, echo);
    const quoted = inner.buf.slice(inner.head, inner.tail);
    const err = new Uint8Array(8 + quoted.length);
    err.set([1, 1]);
    err.set(quoted, 8);
    const p = ipv6Packet("fd00:2::1", "fd00:2::b", 64, err);
    expect(logLine("", p, { ...dev, inName: "" })).toBe(
      "IN= OUT=eth1 SRC=fd00:2::1 DST=fd00:2::b LEN=152 TC=0 HOPLIMIT=64 FLOWLBL=74565 PROTO=ICMPv6 TYPE=1 CODE=1 [SRC=fd00:2::b DST=fd00:1::a LEN=104 TC=0 HOPLIMIT=63 FLOWLBL=74565 PROTO=ICMPv6 TYPE=128 CODE=0 ID=4660 SEQ=1 ) ",
    );
  });
});
