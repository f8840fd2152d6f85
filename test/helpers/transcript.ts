/**
 * Transcripts the Linux fixture scripts write: `$ CMD` lines, what the command printed, and
 * `[exit N]` when it failed.
 */

export interface Step {
  command: string;
  output: string[];
  exit: number;
}

export function readTranscript(text: string): Step[] {
  const steps: Step[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("$ ")) steps.push({ command: line.slice(2), output: [], exit: 0 });
    else if (/^\[exit \d+\]$/.test(line)) (steps.at(-1) as Step).exit = Number(line.slice(6, -1));
    else steps.at(-1)?.output.push(line);
  }
  for (const s of steps) while (s.output.at(-1) === "") s.output.pop();
  return steps;
}
