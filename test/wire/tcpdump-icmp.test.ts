/** dockwire's ICMP text for every type and code against what the real tcpdump printed for the same frames. */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { decodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { icmpMessages } from "../fixtures/tcpdump/icmp-messages.js";

const dir = new URL("../fixtures/tcpdump/", import.meta.url);

describe("ICMP text as tcpdump prints it", () => {
  const frames = icmpMessages();

  it("the committed pcap holds exactly the frames built today", () => {
    const pcap = readPcap(new Uint8Array(readFileSync(new URL("icmp-messages.pcap", dir))));
    expect(pcap.records.map((r) => Buffer.from(r.data).toString("hex"))).toEqual(
      frames.map((f) => Buffer.from(f).toString("hex")),
    );
  });

  it("every destination-unreachable code, time exceeded, redirect, parameter problem, quench, echo", () => {
    const tcpdump = readFileSync(new URL("icmp-messages.txt", dir), "utf8").trimEnd().split("\n");
    expect(frames.map((f) => summarizeFrame(decodeFrame(f), f.length))).toEqual(tcpdump);
  });
});
