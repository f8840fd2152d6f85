/**
 * Typed errors. A ParseError is the only thing a wire decoder may throw on bad input: it names the
 * protocol, the byte offset where decoding failed and a reason code a test can assert on.
 */

export type ParseErrorReason =
  | "truncated" // fewer bytes than the header or a length field says
  | "bad-length" // a length field that is impossible (e.g. IPv4 IHL < 5, UDP length < 8)
  | "bad-version" // a version field this decoder does not handle
  | "bad-value" // a field value outside what the format allows
  | "unsupported"; // a valid format this decoder does not model (e.g. ARP over non-Ethernet)

export class ParseError extends Error {
  override readonly name = "ParseError";
  constructor(
    readonly protocol: string,
    readonly reason: ParseErrorReason,
    readonly offset: number,
    detail: string,
  ) {
    super(`${protocol}: ${reason} at offset ${offset}: ${detail}`);
  }
}
