/**
 * DNS messages (src/wire/dns.ts): a query and an answer as a stub resolver and Docker's embedded
 * resolver exchange them, byte for byte (RFC 1035 layout, name compression in answers), parsed
 * back, summarised as tcpdump -n prints them; bad input gives a ParseError.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/util/errors.js";
import {
  aAddress,
  aData,
  CLASS_IN,
  dataName,
  emitDns,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  nameData,
  parseDns,
  RCODE_NXDOMAIN,
  summarizeDns,
  TYPE_A,
  TYPE_PTR,
} from "../../src/wire/dns.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("DNS messages", () => {
  const query = {
    id: 0x1234,
    flags: FLAG_RD,
    questions: [{ name: "web", type: TYPE_A, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };

  it("a query: header, the name as labels, type and class", () => {
    expect(hex(emitDns(query))).toBe(`123401000001000000000000${"03776562"}00${"0001"}${"0001"}`);
    expect(summarizeDns(query, 20)).toBe("4660+ A? web. (20)");
  });

  it("an answer points back at the question's name (c00c) and carries the address", () => {
    const answer = {
      ...query,
      flags: FLAG_QR | FLAG_RD | FLAG_RA,
      answers: [{ name: "web", type: TYPE_A, class: CLASS_IN, ttl: 600, data: aData(0xac120002) }],
    };
    const bytes = emitDns(answer);
    expect(hex(bytes)).toBe(
      `123481800001000100000000037765620000010001c00c000100010000025800 04ac120002`.replace(" ", ""),
    );
    const back = parseDns(bytes);
    expect(back.answers[0]?.name).toBe("web");
    expect(aAddress(back.answers[0] as (typeof back.answers)[0])).toBe(0xac120002);
    expect(summarizeDns(back, bytes.length)).toBe("4660 1/0/0 A 172.18.0.2 (37)");
  });

  it("NXDomain and PTR answers are summarised as tcpdump does", () => {
    expect(summarizeDns({ ...query, flags: FLAG_QR | FLAG_RD | FLAG_RA | RCODE_NXDOMAIN }, 20)).toBe(
      "4660 NXDomain 0/0/0 (20)",
    );
    const ptr = {
      ...query,
      flags: FLAG_QR | FLAG_RD | FLAG_RA,
      questions: [{ name: "2.0.18.172.in-addr.arpa", type: TYPE_PTR, class: CLASS_IN }],
      answers: [
        {
          name: "2.0.18.172.in-addr.arpa",
          type: TYPE_PTR,
          class: CLASS_IN,
          ttl: 600,
          data: nameData("web.mynet"),
        },
      ],
    };
    const back = parseDns(emitDns(ptr));
    expect(dataName(back.answers[0] as (typeof back.answers)[0])).toBe("web.mynet");
    expect(summarizeDns(back, 70)).toBe("4660 1/0/0 PTR web.mynet. (70)");
  });

  it("any message survives emit then parse", () => {
    const label = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        name,
        fc.array(fc.tuple(name, fc.nat()), { maxLength: 4 }),
        (id, q, as) => {
          const m = {
            id,
            flags: FLAG_QR | FLAG_RD,
            questions: [{ name: q, type: TYPE_A, class: CLASS_IN }],
            answers: as.map(([n, a]) => ({
              name: n,
              type: TYPE_A,
              class: CLASS_IN,
              ttl: 600,
              data: aData(a >>> 0),
            })),
            authorities: [],
            additionals: [],
          };
          expect(parseDns(emitDns(m))).toEqual(m);
        },
      ),
    );
  });

  it("truncated messages and pointer loops are ParseErrors", () => {
    expect(() => parseDns(new Uint8Array(5))).toThrow(ParseError);
    const loop = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => parseDns(loop)).toThrow(ParseError);
  });
});
