/**
 * The transcript make-ip6tables-fixtures.sh writes: `# on X (NS)` says where the commands after it
 * ran, `$ CMD`, what it printed, `[exit N]`; the script's own notes are dropped (ip6tables-save's
 * `# Generated` lines are output and kept).
 */

export interface Ip6Step {
  ns: string;
  command: string;
  output: string[];
  exit: number;
}

/** Transcript steps (the script's own `# ...` notes dropped, `# Generated` lines kept). */
export function ip6Steps(text: string): Ip6Step[] {
  const steps: Ip6Step[] = [];
  let here = "";
  // After a note of the script's own (like `# udp ...`), what follows is not a command's output.
  let open = false;
  for (const line of text.split("\n")) {
    const on = /^# on \w \((\S+)\)$/.exec(line);
    if (on) {
      here = on[1] as string;
      open = false;
    } else if (/^# (sleep |errors$|listings$|\(|udp |setup:|ip6tables ground|kernel )/.test(line))
      open = false;
    else if (line.startsWith("$ ")) {
      steps.push({ ns: here, command: line.slice(2), output: [], exit: 0 });
      open = true;
    } else if (!open) continue;
    else if (/^\[exit \d+\]$/.test(line)) (steps.at(-1) as Ip6Step).exit = Number(line.slice(6, -1));
    else steps.at(-1)?.output.push(line);
  }
  for (const s of steps) while (s.output.at(-1) === "") s.output.pop();
  return steps;
}
