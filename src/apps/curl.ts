/**
 * `curl` (7.88.1, Debian 12's) for plain HTTP: `curl [-s] [-S] [-v] [-I] [-4|-6] [-g] [-o FILE]
 * [--connect-timeout S] [-m S] http://HOST[:PORT][/PATH]`, HOST a name, an IPv4 address or an
 * IPv6 one in brackets (`http://[fd00::2]:8080/`). Sends curl's request (GET or HEAD with
 * Host, User-Agent and Accept), prints the body (or the headers with -I), and fails with curl's
 * exit codes and messages: 7 could not connect, 28 timeout, 52 empty reply, 56 receive failure,
 * 3 bad URL. -v prints curl's `*`, `>` and `<` lines on standard error.
 * Deviations: HTTP only (no TLS, no redirects, no chunked bodies); a body ends with the connection
 * or Content-Length; -o writes nothing to disk (the body is just not printed).
 */

import type { TcpError } from "../kernel/tcp/tcp-error.js";
import { TcpError as TcpErrorClass } from "../kernel/tcp/tcp-error.js";
import { MILLISECOND, SECOND } from "../sim/time.js";
import {
  type InetAddr,
  type InetFamilyChoice,
  inetText,
  lookupInet,
  parseInetLiteral,
  tcpOf,
} from "./inet-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { printText } from "./terminal.js";

export const CURL_USER_AGENT = "curl/7.88.1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface CurlOptions {
  silent: boolean;
  showError: boolean;
  verbose: boolean;
  head: boolean;
  output: string | undefined;
  connectTimeout: number;
  maxTime: number;
  family: InetFamilyChoice;
  url: string | undefined;
}

function parseArgs(args: string[]): CurlOptions | string {
  const o: CurlOptions = {
    silent: false,
    showError: false,
    verbose: false,
    head: false,
    output: undefined,
    connectTimeout: 0,
    maxTime: 0,
    family: 0,
    url: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--connect-timeout") o.connectTimeout = Number(args[++i]);
    else if (a === "-m" || a === "--max-time") o.maxTime = Number(args[++i]);
    else if (a === "-o" || a === "--output") o.output = args[++i];
    else if (a === "--silent") o.silent = true;
    else if (a === "--verbose") o.verbose = true;
    else if (a === "--head") o.head = true;
    else if (a === "--show-error") o.showError = true;
    else if (a === "--ipv4") o.family = 4;
    else if (a === "--ipv6") o.family = 6;
    else if (a === "--globoff") continue;
    else if (/^-[sSvI46g]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === "s") o.silent = true;
        else if (f === "S") o.showError = true;
        else if (f === "v") o.verbose = true;
        else if (f === "4") o.family = 4;
        else if (f === "6") o.family = 6;
        else if (f === "I") o.head = true;
      }
    } else if (a.startsWith("-")) return `curl: option ${a}: is unknown`;
    else o.url = a;
  }
  return o;
}

/**
 * `resolved`: the address already looked up (wget does its own lookup); `onConnectError` hears
 * why connect() failed (wget prints the errno's text).
 */
export function curl(
  args: string[],
  ctx: ProcessContext,
  resolved?: InetAddr,
  onConnectError?: (e: TcpError) => void,
): RunningProcess | undefined {
  const o = parseArgs(args);
  const fail = (code: number, message: string): undefined => {
    if (typeof o === "string" || !o.silent || o.showError) ctx.err(`curl: (${code}) ${message}`);
    ctx.exit(code);
    return undefined;
  };
  if (typeof o === "string") {
    ctx.err(o);
    ctx.err("curl: try 'curl --help' or 'curl --manual' for more information");
    ctx.exit(2);
    return undefined;
  }
  if (!o.url) {
    ctx.err("curl: try 'curl --help' or 'curl --manual' for more information");
    ctx.exit(2);
    return undefined;
  }
  const m = /^(?:http:\/\/)?(\[[^\]/]*\]|[^/:[\]]+)(?::(\d+))?(\/.*)?$/.exec(o.url);
  if (/^[a-z]+:\/\//.test(o.url) !== o.url.startsWith("http://")) {
    return fail(1, `Protocol "${o.url.split(":")[0]}" not supported or disabled in libcurl`);
  }
  if (!m) return fail(3, "URL using bad/illegal format or missing URL");
  const hostText = m[1] as string;
  const bracketed = hostText.startsWith("[");
  const port = m[2] ? Number(m[2]) : 80;
  const path = m[3] ?? "/";
  const literal = bracketed
    ? parseInetLiteral(ctx.ns, hostText.slice(1, -1), 6)
    : parseInetLiteral(ctx.ns, hostText, 0);
  if (bracketed && !literal) return fail(3, "URL using bad/illegal format or missing URL");
  const addr = resolved ?? literal;
  if (addr === undefined) {
    // A name: look it up first (resolver.ts), then go on with its address.
    let inner: RunningProcess | undefined;
    let stopped = false;
    lookupInet(ctx, hostText, o.family, (a) => {
      if (stopped) return;
      if (a === undefined) fail(6, `Could not resolve host: ${hostText}`);
      else inner = curl(args, ctx, a, onConnectError);
    });
    return {
      interrupt: () => {
        stopped = true;
        inner?.interrupt();
      },
    };
  }
  if (!(port > 0 && port < 65536)) return fail(3, "URL using bad/illegal format or missing URL");
  const sim = ctx.host.sim;
  const started = sim.now;
  const elapsedMs = () => Math.round((sim.now - started) / MILLISECOND);
  const v = (line: string) => {
    if (o.verbose) ctx.err(line);
  };
  // An address literal of the other family than -4/-6 asks for: curl 7.88 tries nothing and
  // says only this (no "Failed to connect to ..."), as on Linux.
  if ((o.family === 4 && addr.v6) || (o.family === 6 && !addr.v6))
    return fail(7, "Couldn't connect to server");
  const target = inetText(ctx.ns, addr);
  v(`*   Trying ${addr.v6 ? `[${target}]` : target}:${port}...`);

  const sock = tcpOf(ctx.ns, addr.v6).socket();
  let done = false;
  const timers: Array<{ cancel(): void }> = [];
  const finish = (code: number, message?: string) => {
    if (done) return;
    done = true;
    for (const t of timers) t.cancel();
    if (code !== 0) {
      sock.abort();
      fail(code, message ?? "");
      return;
    }
    v("* Closing connection 0");
    sock.close();
    ctx.exit(0);
  };
  const after = (seconds: number, fn: () => void) => {
    const ev = sim.scheduleAfter(Math.round(seconds * SECOND), fn);
    timers.push({ cancel: () => sim.cancel(ev) });
  };

  let connected = false;
  const connectFailure = (e: TcpError) => {
    onConnectError?.(e);
    return connectFailureText(e);
  };
  const connectFailureText = (e: TcpError) =>
    `Failed to connect to ${target} port ${port} after ${elapsedMs()} ms: ${e.errno === "ETIMEDOUT" ? "Connection timed out" : "Couldn't connect to server"}`;
  sock.onError = (e) => {
    if (!connected) finish(7, connectFailure(e));
    else finish(56, `Recv failure: ${e.message}`);
  };
  if (o.connectTimeout > 0)
    after(o.connectTimeout, () => {
      if (!connected)
        finish(
          28,
          `Failed to connect to ${target} port ${port} after ${elapsedMs()} ms: Timeout was reached`,
        );
    });
  if (o.maxTime > 0)
    after(o.maxTime, () =>
      finish(28, `Operation timed out after ${elapsedMs()} milliseconds with ${received} bytes received`),
    );

  let response = "";
  let received = 0;
  let headerEnd = -1;
  let contentLength = -1;
  const onBody = () => {
    if (headerEnd < 0) {
      const end = response.indexOf("\r\n\r\n");
      if (end < 0) return;
      headerEnd = end + 4;
      const headers = response.slice(0, end).split("\r\n");
      for (const h of headers) v(`< ${h}`);
      v("< ");
      if (o.head) for (const h of [...headers, ""]) ctx.out(h);
      const cl = headers.find((h) => /^content-length:/i.test(h));
      contentLength = o.head ? 0 : cl ? Number(cl.split(":")[1]) : -1;
    }
    const body = response.slice(headerEnd);
    if (contentLength >= 0 && body.length >= contentLength) {
      if (!o.head && o.output === undefined) printText(ctx, body.slice(0, contentLength));
      finish(0);
    }
  };
  sock.onConnect = () => {
    connected = true;
    v(`* Connected to ${target} (${target}) port ${port} (#0)`);
    const request = [
      `${o.head ? "HEAD" : "GET"} ${path} HTTP/1.1`,
      `Host: ${hostText}${port === 80 ? "" : `:${port}`}`,
      `User-Agent: ${CURL_USER_AGENT}`,
      "Accept: */*",
    ];
    for (const l of request) v(`> ${l}`);
    v("> ");
    sock.write(encoder.encode(`${request.join("\r\n")}\r\n\r\n`));
  };
  sock.onData = (d) => {
    received += d.length;
    response += decoder.decode(d);
    onBody();
  };
  sock.onEnd = () => {
    if (done) return;
    if (response === "") {
      finish(52, "Empty reply from server");
      return;
    }
    if (headerEnd >= 0 && !o.head && o.output === undefined) printText(ctx, response.slice(headerEnd));
    finish(0);
  };
  try {
    sock.connect(addr.addr, port);
  } catch (e) {
    if (!(e instanceof TcpErrorClass)) throw e;
    return fail(7, connectFailure(e));
  }
  return { interrupt: () => finish(130, "") };
}
