/**
 * Congestion control, in segments: CUBIC (net/ipv4/tcp_cubic.c, RFC 9438: C = 0.4, β = 0.7,
 * fast convergence, the Reno-friendly region) as Linux's default, and Reno (RFC 5681) when
 * net.ipv4.tcp_congestion_control says so. Both grow in slow start below ssthresh.
 * CUBIC leaves slow start early with HyStart (tcp_cubic.c bictcp_hystart_update): once cwnd is
 * at least 16, an ACK train longer than half the minimum RTT, or a round whose RTT exceeds the
 * minimum by a clamp(min/8, 4 ms, 16 ms), sets ssthresh to cwnd.
 * Deviation: cwnd is a real number; HyStart looks at every RTT sample, not the first eight of a round.
 */

export interface CongestionControl {
  readonly name: "cubic" | "reno";
  /** Congestion window, segments. */
  cwnd: number;
  ssthresh: number;
  /**
   * `acked` segments were newly acknowledged at time `now` (ns); `rtt` the smoothed RTT and
   * `minRtt` the smallest sample (ns); `ackedTo` and `sentTo` the send offsets acknowledged and
   * sent so far (for HyStart's rounds).
   */
  onAck(acked: number, now: number, rtt: number, minRtt: number, ackedTo: number, sentTo: number): void;
  /** A new RTT sample (ns). */
  onRttSample?(rtt: number): void;
  /** Loss detected: returns the new ssthresh (cwnd is set by the caller's recovery). */
  onLoss(now: number): number;
}

export const INITIAL_CWND = 10;
const INFINITE_SSTHRESH = 0x7fffffff;

export class Reno implements CongestionControl {
  readonly name = "reno";
  cwnd = INITIAL_CWND;
  ssthresh = INFINITE_SSTHRESH;

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) this.cwnd += acked;
    else this.cwnd += acked / this.cwnd;
  }

  onLoss(): number {
    this.ssthresh = Math.max(2, Math.floor(this.cwnd / 2));
    return this.ssthresh;
  }
}

const CUBIC_C = 0.4;
const HYSTART_LOW_WINDOW = 16;
const HYSTART_ACK_DELTA = 2e6;
const CUBIC_BETA = 0.7;

export class Cubic implements CongestionControl {
  readonly name = "cubic";
  cwnd = INITIAL_CWND;
  ssthresh = INFINITE_SSTHRESH;
  /** W_max: cwnd before the last reduction. */
  private wMax = 0;
  /** Start of the current congestion-avoidance epoch (ns), -1 when none. */
  private epochStart = -1;
  private k = 0;
  /** The Reno-friendly estimate of cwnd. */
  private wEst = 0;
  // HyStart state: the current round ends when `roundEnd` is acknowledged.
  private roundEnd = -1;
  private roundStart = 0;
  private lastAck = 0;
  private lastRtt = 0;

  onRttSample(rtt: number): void {
    this.lastRtt = rtt;
  }

  onAck(acked: number, now: number, rtt: number, minRtt: number, ackedTo: number, sentTo: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += acked;
      if (this.cwnd >= HYSTART_LOW_WINDOW && minRtt > 0) this.hystart(now, minRtt, ackedTo, sentTo);
      return;
    }
    if (this.epochStart < 0) {
      this.epochStart = now;
      if (this.cwnd < this.wMax) this.k = Math.cbrt((this.wMax - this.cwnd) / CUBIC_C);
      else {
        this.k = 0;
        this.wMax = this.cwnd;
      }
      this.wEst = this.cwnd;
    }
    const t = (now - this.epochStart + rtt) / 1e9;
    const target = this.wMax + CUBIC_C * (t - this.k) ** 3;
    // Grow toward the cubic target over one RTT, at most 1.5x per RTT (as tcp_cubic caps cnt).
    let next =
      target > this.cwnd
        ? this.cwnd + Math.min((target - this.cwnd) / this.cwnd, 0.5) * acked
        : this.cwnd + (0.01 * acked) / this.cwnd;
    this.wEst += ((3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA)) * (acked / this.cwnd);
    if (this.wEst > next) next = this.wEst;
    this.cwnd = next;
  }

  private hystart(now: number, minRtt: number, ackedTo: number, sentTo: number): void {
    if (ackedTo >= this.roundEnd) {
      this.roundEnd = sentTo;
      this.roundStart = now;
      this.lastAck = now;
      return;
    }
    if (now - this.lastAck <= HYSTART_ACK_DELTA) {
      this.lastAck = now;
      if (now - this.roundStart > minRtt / 2) {
        this.ssthresh = Math.floor(this.cwnd);
        return;
      }
    }
    const threshold = Math.min(Math.max(minRtt / 8, 4e6), 16e6);
    if (this.lastRtt > minRtt + threshold) this.ssthresh = Math.floor(this.cwnd);
  }

  onLoss(): number {
    this.epochStart = -1;
    // Fast convergence: a flow that lost before reaching its old W_max yields bandwidth.
    this.wMax = this.cwnd < this.wMax ? (this.cwnd * (1 + CUBIC_BETA)) / 2 : this.cwnd;
    this.ssthresh = Math.max(2, Math.floor(this.cwnd * CUBIC_BETA));
    return this.ssthresh;
  }
}

export function congestionControl(name: string): CongestionControl {
  return name === "reno" ? new Reno() : new Cubic();
}
