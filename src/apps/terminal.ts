/** Bytes a program writes, as a terminal shows them: split into lines, a final newline implied. */

import type { ProcessContext } from "./process.js";

const decoder = new TextDecoder();

export function printText(ctx: ProcessContext, data: Uint8Array | string): void {
  const text = typeof data === "string" ? data : decoder.decode(data);
  if (text === "") return;
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  for (const l of lines) ctx.out(l);
}
