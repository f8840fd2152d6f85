/**
 * Where capture bytes go. A FileSink streams to disk through a few fixed buffers that a worker
 * thread writes out while the simulation goes on (the write syscalls run on the second core); the
 * buffers move between the threads without copying. A capture of any length uses bounded memory:
 * when every buffer is waiting for the disk, the simulation waits. A MemorySink keeps everything
 * (tests, small captures).
 */

import { closeSync, openSync } from "node:fs";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

export interface ByteSink {
  write(bytes: Uint8Array, off: number, len: number): void;
  close(): void;
  /**
   * Optional fast path: room for `len` contiguous bytes (at most the buffer size), counted as
   * written; the caller fills `current` from the returned offset. Saves a copy per record.
   */
  reserve?(len: number): number;
  readonly current?: Uint8Array;
}

/**
 * The writer thread: plain JavaScript, so it runs the same from TypeScript tests and from dist.
 * It gets filled buffers (moved, not copied), writes them in order and hands them back.
 */
const WRITER = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const returned = new Int32Array(workerData.returned);
workerData.buffers.on("message", ({ buffer, length }) => {
  const bytes = new Uint8Array(buffer);
  let done = 0;
  while (done < length) done += writeSync(workerData.fd, bytes, done, length - done);
  workerData.back.postMessage(buffer, [buffer]);
  Atomics.add(returned, 0, 1);
  Atomics.notify(returned, 0);
});
`;

export class FileSink implements ByteSink {
  private readonly fd: number;
  private readonly worker: Worker;
  private readonly toWriter: MessagePort;
  private readonly fromWriter: MessagePort;
  /** Count of buffers the writer has handed back (shared, so we can wait on it). */
  private readonly returned: Int32Array;
  private readonly free: Uint8Array[] = [];
  private buffer: Uint8Array;
  private used = 0;
  /** Buffers handed to the writer so far. */
  private sent = 0;
  /** Bytes handed to the sink so far. */
  bytesWritten = 0;

  /** Up to `buffers` buffers of `size` bytes: at most that much waits for the disk. */
  constructor(
    path: string,
    private readonly size = 1 << 20,
    buffers = 4,
  ) {
    this.fd = openSync(path, "w");
    for (let i = 0; i < buffers - 1; i++) this.free.push(new Uint8Array(size));
    this.buffer = new Uint8Array(size);
    const toWriter = new MessageChannel();
    const fromWriter = new MessageChannel();
    this.toWriter = toWriter.port1;
    this.fromWriter = fromWriter.port2;
    const returned = new SharedArrayBuffer(4);
    this.returned = new Int32Array(returned);
    this.worker = new Worker(WRITER, {
      eval: true,
      workerData: { fd: this.fd, buffers: toWriter.port2, back: fromWriter.port1, returned },
      transferList: [toWriter.port2, fromWriter.port1],
    });
    this.worker.unref();
  }

  get current(): Uint8Array {
    return this.buffer;
  }

  reserve(len: number): number {
    if (len > this.size) throw new RangeError(`FileSink: ${len} bytes do not fit a ${this.size}-byte buffer`);
    if (this.used + len > this.size) this.handOver();
    const at = this.used;
    this.used += len;
    this.bytesWritten += len;
    return at;
  }

  write(bytes: Uint8Array, off: number, len: number): void {
    this.bytesWritten += len;
    while (len > 0) {
      if (this.used === this.size) this.handOver();
      const n = Math.min(len, this.size - this.used);
      if (n < 64) for (let i = 0; i < n; i++) this.buffer[this.used + i] = bytes[off + i] as number;
      else this.buffer.set(bytes.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      len -= n;
    }
  }

  /** Move the current buffer to the writer and take a free one, waiting for one if need be. */
  private handOver(): void {
    const buffer = this.buffer.buffer as ArrayBuffer;
    this.toWriter.postMessage({ buffer, length: this.used }, [buffer]);
    this.sent++;
    this.used = 0;
    this.buffer = this.takeFree();
  }

  private takeFree(): Uint8Array {
    for (;;) {
      const back = receiveMessageOnPort(this.fromWriter);
      if (back) this.free.push(new Uint8Array(back.message as ArrayBuffer));
      const free = this.free.pop();
      if (free) return free;
      Atomics.wait(this.returned, 0, Atomics.load(this.returned, 0), 1000);
    }
  }

  /** Write out everything, wait for the writer to finish, close the file. */
  close(): void {
    if (this.used > 0) {
      const buffer = this.buffer.buffer as ArrayBuffer;
      this.toWriter.postMessage({ buffer, length: this.used }, [buffer]);
      this.sent++;
      this.used = 0;
    }
    for (;;) {
      const done = Atomics.load(this.returned, 0);
      if (done >= this.sent) break;
      Atomics.wait(this.returned, 0, done, 1000);
    }
    void this.worker.terminate();
    closeSync(this.fd);
  }
}

export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private length = 0;

  write(bytes: Uint8Array, off: number, len: number): void {
    this.chunks.push(bytes.slice(off, off + len));
    this.length += len;
  }
  close(): void {}

  /** Everything written, as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    this.chunks = [out];
    return out;
  }
}
