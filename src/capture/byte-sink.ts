/**
 * Where capture bytes go. A FileSink streams to disk through one fixed buffer, so a capture of any
 * length uses bounded memory; a MemorySink keeps everything (tests, small captures).
 */

import { closeSync, openSync, writeSync } from "node:fs";

export interface ByteSink {
  write(bytes: Uint8Array, off: number, len: number): void;
  close(): void;
}

export class FileSink implements ByteSink {
  private readonly fd: number;
  private readonly buffer: Uint8Array;
  private used = 0;
  /** Bytes handed to the sink so far. */
  bytesWritten = 0;

  constructor(path: string, bufferSize = 1 << 20) {
    this.fd = openSync(path, "w");
    this.buffer = new Uint8Array(bufferSize);
  }

  write(bytes: Uint8Array, off: number, len: number): void {
    this.bytesWritten += len;
    if (len > this.buffer.length - this.used) this.flush();
    if (len > this.buffer.length) {
      writeAll(this.fd, bytes, off, len);
      return;
    }
    this.buffer.set(bytes.subarray(off, off + len), this.used);
    this.used += len;
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array, off: number, len: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, bytes, off + done, len - done);
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
