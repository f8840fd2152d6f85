/**
 * The retransmission timeout (RFC 6298 as net/ipv4/tcp_input.c tcp_rtt_estimator / tcp_set_rto
 * do it): SRTT and RTTVAR from RTT samples, RTO = SRTT + max(4·RTTVAR, tcp_rto_min 200 ms),
 * 1 s before the first sample, doubled on each timeout up to 120 s.
 * Deviation: Linux's mdev_max smoothing over a window of one RTT is simplified to RTTVAR itself.
 */

import { MILLISECOND, SECOND } from "../../sim/time.js";

export const TCP_RTO_MIN = 200 * MILLISECOND;
export const TCP_RTO_MAX = 120 * SECOND;
export const TCP_TIMEOUT_INIT = SECOND;

export class RttEstimator {
  /** Smoothed RTT in ns (0: no sample yet). */
  srtt = 0;
  rttvar = 0;
  /** The current timeout, backoff included. */
  rto = TCP_TIMEOUT_INIT;

  sample(rtt: number): void {
    if (this.srtt === 0) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.rto = this.baseRto();
  }

  /** The timeout without backoff. */
  baseRto(): number {
    if (this.srtt === 0) return TCP_TIMEOUT_INIT;
    return Math.min(TCP_RTO_MAX, Math.round(this.srtt + Math.max(4 * this.rttvar, TCP_RTO_MIN)));
  }

  backoff(): void {
    this.rto = Math.min(TCP_RTO_MAX, this.rto * 2);
  }
}
