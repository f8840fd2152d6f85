/**
 * `httpd -p PORT`: the web server of the `httpd` image (Apache 2.4) reduced to what a published
 * port needs — it answers every request with Apache's default page ("It works!") for `/` and
 * `/index.html`, 404 otherwise, HEAD without the body, then closes the connection (it sends
 * `Connection: close`, so the server's FIN comes first and the server side keeps TIME_WAIT).
 * Runs until interrupted. Where the namespace runs IPv6 (loopback has ::1) it listens as Apache's
 * `Listen 80` does, on one dual-stack socket [::]:80 (`ss`: `*:80`); with `--ipv6only` as nginx's
 * `listen 80; listen [::]:80;` does, on 0.0.0.0:80 and an IPV6_V6ONLY [::]:80. Without IPv6,
 * 0.0.0.0:80 only (deviation: Linux lets a program bind [::] even with IPv6 disabled).
 * Deviation: no keep-alive, no other paths or methods (501).
 */

import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { httpDate } from "./wall-clock.js";

export const IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n";
const NOT_FOUND =
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n' +
  "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The response to one request line (`METHOD PATH VERSION`) at simulated time `now`. */
export function httpResponse(requestLine: string, now: number): string {
  const [method = "", path = ""] = requestLine.split(" ");
  const found = path === "/" || path === "/index.html";
  const ok = method === "GET" || method === "HEAD";
  const status = !ok ? "501 Not Implemented" : found ? "200 OK" : "404 Not Found";
  const body = found && ok ? IT_WORKS : NOT_FOUND;
  const head = [
    `HTTP/1.1 ${status}`,
    `Date: ${httpDate(now)}`,
    "Server: Apache/2.4.62 (Unix)",
    ...(found && ok
      ? ["Last-Modified: Mon, 11 Jun 2007 18:53:14 GMT", 'ETag: "2d-432a5e4a73a80"', "Accept-Ranges: bytes"]
      : []),
    `Content-Length: ${body.length}`,
    `Content-Type: text/html${found && ok ? "" : "; charset=iso-8859-1"}`,
    "Connection: close",
  ];
  return `${head.join("\r\n")}\r\n\r\n${method === "HEAD" ? "" : body}`;
}

export function httpd(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  let port = 80;
  let v6only = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-p" || a === "--port") port = Number(args[++i]);
    else if (a === "--ipv6only") v6only = true;
    else if (a === "-f" || a === "-D" || a === "FOREGROUND") continue;
    else {
      ctx.err(`httpd: unknown option ${a}`);
      ctx.exit(1);
      return undefined;
    }
  }
  if (!(port > 0 && port < 65536)) {
    ctx.err("httpd: bad port");
    ctx.exit(1);
    return undefined;
  }
  const ns = ctx.ns;
  const ipv6 = ns.ipv6.addrconf.isRunning(ns.lo.ifindex);
  const servers: TcpSocket[] = [];
  const open = (v6: boolean): boolean => {
    const server = (v6 ? ns.tcp6 : ns.tcp).socket();
    server.v6only = v6only;
    // Apache and busybox httpd set SO_REUSEADDR on their listeners.
    server.reuseAddr = true;
    try {
      server.bind(0, port).listen(511);
    } catch (e) {
      if (!(e instanceof TcpError)) throw e;
      ctx.err(
        `(98)${e.message}: AH00072: make_sock: could not bind to address ${v6 ? "[::]" : "0.0.0.0"}:${port}`,
      );
      return false;
    }
    server.onConnection = (c) => serve(c, ctx);
    servers.push(server);
    return true;
  };
  const ok = ipv6 ? (!v6only || open(false)) && open(true) : open(false);
  const stop = () => {
    for (const s of servers) s.close();
  };
  if (!ok) {
    stop();
    ctx.exit(1);
    return undefined;
  }
  return {
    interrupt: () => {
      stop();
      ctx.exit(0);
    },
  };
}

function serve(c: TcpSocket, ctx: ProcessContext): void {
  let request = "";
  c.onData = (d) => {
    request += decoder.decode(d);
    const end = request.indexOf("\r\n\r\n");
    if (end < 0) return;
    const line = request.slice(0, request.indexOf("\r\n"));
    c.onData = undefined;
    c.write(encoder.encode(httpResponse(line, ctx.host.sim.now)));
    c.close();
  };
  c.onEnd = () => c.close();
}
