/** The errors a TCP socket reports to its program, with the strerror text programs print. */

export const TCP_ERRORS = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EINVAL: "Invalid argument",
  EACCES: "Permission denied",
  EPIPE: "Broken pipe",
  EISCONN: "Transport endpoint is already connected",
  ENOTCONN: "Transport endpoint is not connected",
} as const;

export type TcpErrno = keyof typeof TCP_ERRORS;

export class TcpError extends Error {
  constructor(readonly errno: TcpErrno) {
    super(TCP_ERRORS[errno]);
  }
}
