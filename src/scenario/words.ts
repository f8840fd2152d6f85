/**
 * Splitting a scenario line the way a shell would for the simple cases scenarios use: words
 * separated by blanks, single and double quotes, a trailing `&` (background) and `|| true`
 * (a failure is allowed), and `#` comments.
 */

export interface ParsedLine {
  words: string[];
  background: boolean;
  mayFail: boolean;
}

export function parseLine(line: string): ParsedLine | undefined {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = "";
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "#" && !inWord) {
      break;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  if (words.length === 0) return undefined;
  let mayFail = false;
  if (words.length >= 2 && words.at(-2) === "||" && words.at(-1) === "true") {
    words.splice(-2);
    mayFail = true;
  }
  let background = false;
  if (words.at(-1) === "&") {
    words.pop();
    background = true;
  } else if (words.at(-1)?.endsWith("&")) {
    words[words.length - 1] = (words.at(-1) as string).slice(0, -1);
    background = true;
  }
  return { words, background, mayFail };
}
