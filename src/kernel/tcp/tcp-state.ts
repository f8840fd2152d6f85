/**
 * TCP connection states (include/net/tcp_states.h order does not matter here) and the names
 * `ss` prints for them.
 */

export const TCP_CLOSED = 0;
export const TCP_LISTEN = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_ESTABLISHED = 4;
export const TCP_FIN_WAIT1 = 5;
export const TCP_FIN_WAIT2 = 6;
export const TCP_CLOSE_WAIT = 7;
export const TCP_CLOSING = 8;
export const TCP_LAST_ACK = 9;
export const TCP_TIME_WAIT = 10;

export type TcpState = number;

/** As `ss -tan` prints the state column. */
export const SS_STATE_NAMES: readonly string[] = [
  "UNCONN",
  "LISTEN",
  "SYN-SENT",
  "SYN-RECV",
  "ESTAB",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "CLOSE-WAIT",
  "CLOSING",
  "LAST-ACK",
  "TIME-WAIT",
];

/** States in which the connection can still carry our data out. */
export function canSend(state: TcpState): boolean {
  return state === TCP_ESTABLISHED || state === TCP_CLOSE_WAIT;
}
