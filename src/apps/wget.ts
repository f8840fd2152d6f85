/**
 * `wget [-q] [-O FILE|-O-] URL` as the alpine/busybox images have it (busybox 1.36 wget): an HTTP
 * GET through curl's machinery (curl.ts), the page written to standard output with `-O-`. Without
 * -q it says `Connecting to HOST[:PORT] (ADDR:PORT)` (HOST[:PORT] as the URL has it) first,
 * `writing to stdout` once the answer comes (not when the connection fails) and `written to
 * stdout` last on standard error. A failure is
 * busybox's `wget: bad address 'HOST'` (unknown name) or xconnect's `wget: can't connect to
 * remote host (ADDR): ERROR` — without `(ADDR)` for IPv6, as xconnect prints the address of an
 * AF_INET peer only — ERROR being connect()'s (Connection refused, Permission denied, ...), exit
 * 1. An IPv6 address goes in brackets in the URL and in what it prints; a name is tried over IPv4,
 * then IPv6.
 * Deviations: no progress bar; `-O FILE` writes nothing (there is no filesystem).
 */

import { curl } from "./curl.js";
import { inetHostText, lookupInet } from "./inet-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";

export function wget(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  let quiet = false;
  let url = "";
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-q") quiet = true;
    else if (a === "-qO-" || a === "-qO" || a === "-q-O-") quiet = true;
    else if (a === "-O" || a === "-O-") {
      if (a === "-O") i++;
    } else if (a.startsWith("-")) {
      ctx.err(`wget: unrecognized option '${a}'`);
      ctx.exit(1);
      return undefined;
    } else url = a;
  }
  const m = /^(?:http:\/\/)?(\[[^\]/]*\]|[^/:[\]]+)(?::(\d+))?/.exec(url);
  const host = m?.[1] ?? "";
  const port = m?.[2] ?? "80";
  let inner: RunningProcess | undefined;
  let stopped = false;
  lookupInet(ctx, host.replace(/^\[(.*)\]$/, "$1"), 0, (addr) => {
    if (stopped) return;
    if (addr === undefined) {
      ctx.err(`wget: bad address '${host}'`);
      ctx.exit(1);
      return;
    }
    const dotted = inetHostText(ctx.ns, addr);
    if (!quiet) ctx.err(`Connecting to ${host}${m?.[2] ? `:${port}` : ""} (${dotted}:${port})`);
    // busybox opens its output after the answer's headers: "writing to stdout" comes with the
    // page, and never when connect() fails.
    let writing = false;
    const startWriting = () => {
      if (!writing && !quiet) ctx.err("writing to stdout");
      writing = true;
    };
    // curl does the transfer quietly; its errors become busybox's texts.
    let connectError = "Connection refused";
    inner = curl(
      ["-s", url],
      {
        ...ctx,
        out: (line) => {
          startWriting();
          ctx.out(line);
        },
        err: () => {},
        exit: (code) => {
          if (code === 7) {
            const where = addr.v6 ? "" : ` (${dotted})`;
            ctx.err(`wget: can't connect to remote host${where}: ${connectError}`);
          } else if (code === 0 && !quiet) {
            startWriting();
            ctx.err("written to stdout");
          }
          ctx.exit(code === 0 ? 0 : 1);
        },
      },
      addr,
      (e) => {
        connectError = e.message;
      },
    );
  });
  return {
    interrupt: () => {
      stopped = true;
      inner?.interrupt();
    },
  };
}
