/**
 * The part of Go's text/template that `docker ... --format` / `-f` users write: text and
 * `{{ }}` actions (with `{{-`/`-}}` trimming), field chains on `.` and variables (`.A.B`,
 * `$v.A`), pipelines with `|`, `if`/`else`/`with`/`range` (also `range $k, $v := ...`) and `end`,
 * parenthesised sub-pipelines (`(index .A "k").B`), and the functions Docker's CLI adds (`json`, `index`, `join`, `split`, `upper`, `lower`,
 * `title`, `len`, `print`, `println`, `printf` with %s %d %v %q). Data are JSON-like values as
 * Docker's inspect gives them; a function-valued field is called with its arguments (the
 * network list's `.Label "k"`). Values print as Go's %v prints decoded JSON (`map[k:v]`,
 * `[a b]`, `<nil>`); a missing map key prints `<no value>`. Errors read like Go's
 * (`template: :1:3: ...`). Deviation: no `define`/`template`/`block`, no comparison functions.
 */

export class TemplateError extends Error {
  constructor(
    message: string,
    /** A parse error (Docker's CLI says "template parsing error:" and exits 64). */
    readonly parse = false,
  ) {
    super(message);
  }
}

type Value = unknown;

interface Text {
  kind: "text";
  text: string;
}
interface Action {
  kind: "action";
  pipe: string[];
  /** 1-based column of the action's start (Go's error positions). */
  col: number;
}
interface Block {
  kind: "if" | "with" | "range";
  pipe: string[];
  vars: string[];
  body: Node[];
  orElse: Node[];
  col: number;
}
type Node = Text | Action | Block;

/** Split an action's inside into words, keeping "strings" whole. */
function words(src: string, col: number): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||:=|,|\(|\)[\w.]*|[^\s|,"`()]+)/gy;
  let m: RegExpExecArray | null = re.exec(src);
  let end = 0;
  while (m) {
    out.push(m[1] as string);
    end = re.lastIndex;
    m = re.exec(src);
  }
  if (src.slice(end).trim() !== "")
    throw new TemplateError(`template: :1:${col}: unterminated quoted string`, true);
  return out;
}

/** Parse a template into nodes (Go's parse errors for unclosed actions and stray ends). */
export function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Block | undefined; list: Node[] }[] = [{ node: undefined, list: root }];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) (stack.at(-1) as { list: Node[] }).list.push({ kind: "text", text });
      break;
    }
    const close = src.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError(`template: :1: unclosed action`, true);
    let inner = src.slice(open + 2, close);
    if (inner.startsWith("- ")) {
      text = text.replace(/\s+$/, "");
      inner = inner.slice(1);
    }
    if (inner.endsWith(" -")) {
      trimNext = true;
      inner = inner.slice(0, -1);
    }
    const top = stack.at(-1) as { node: Block | undefined; list: Node[] };
    if (text) top.list.push({ kind: "text", text });
    const col = open + 3;
    const w = words(inner, col);
    const head = w[0];
    if (head === undefined) throw new TemplateError(`template: :1: missing value for command`, true);
    if (head === "end") {
      if (!top.node) throw new TemplateError(`template: :1: unexpected {{end}}`, true);
      stack.pop();
    } else if (head === "else") {
      if (!top.node) throw new TemplateError(`template: :1: unexpected {{else}}`, true);
      top.list = top.node.orElse;
    } else if (head === "if" || head === "with" || head === "range") {
      let pipe = w.slice(1);
      let vars: string[] = [];
      const decl = pipe.indexOf(":=");
      if (decl >= 0) {
        vars = pipe.slice(0, decl).filter((x) => x !== ",");
        pipe = pipe.slice(decl + 1);
      }
      if (pipe.length === 0) throw new TemplateError(`template: :1: missing value for ${head}`, true);
      const node: Block = { kind: head, pipe, vars, body: [], orElse: [], col };
      top.list.push(node);
      stack.push({ node, list: node.body });
    } else top.list.push({ kind: "action", pipe: w, col });
    i = close + 2;
  }
  if (stack.length > 1) throw new TemplateError(`template: :1: unexpected EOF`, true);
  return root;
}

/** Go's %v of a decoded JSON value. */
export function goString(v: Value): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object")
    return `map[${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${goString((v as Record<string, Value>)[k])}`)
      .join(" ")}]`;
  return String(v);
}

/** Go's encoding/json: compact, with <, > and & escaped. */
function goJson(v: Value): string {
  return (JSON.stringify(v ?? null) as string).replace(
    /[<>&]/g,
    (c) => `\\u00${c.charCodeAt(0).toString(16)}`,
  );
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

function printf(format: string, args: Value[]): string {
  let k = 0;
  return format.replace(/%([sdvq%])/g, (_, c: string) => {
    if (c === "%") return "%";
    const a = args[k++];
    if (c === "q") return JSON.stringify(goString(a));
    return goString(a);
  });
}

const FUNCS: Record<string, (...a: Value[]) => Value> = {
  json: (v) => goJson(v),
  index: (v, ...keys) =>
    keys.reduce<Value>(
      (o, k) => (o === null || o === undefined ? undefined : (o as Record<string, Value>)[String(k)]),
      v,
    ),
  join: (list, sep) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  split: (s, sep) => String(s).split(String(sep)),
  upper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  len: (v) =>
    Array.isArray(v) ? v.length : typeof v === "object" && v ? Object.keys(v).length : String(v).length,
  print: (...a) => a.map(goString).join(""),
  println: (...a) => `${a.map(goString).join(" ")}\n`,
  printf: (f, ...a) => printf(String(f), a),
};

class Scope {
  constructor(
    readonly dot: Value,
    readonly vars: Map<string, Value>,
  ) {}
}

function field(v: Value, name: string, col: number, args: Value[]): Value {
  if (v === null || v === undefined || typeof v !== "object")
    throw new TemplateError(`template: :1:${col}: executing "" at <.${name}>: can't evaluate field ${name}`);
  const f = (v as Record<string, Value>)[name];
  return typeof f === "function" ? (f as (...a: Value[]) => Value)(...args) : f;
}

function operand(word: string, s: Scope, col: number, args: Value[] = []): Value {
  if (word.startsWith('"')) return JSON.parse(word);
  if (word.startsWith("`")) return word.slice(1, -1);
  if (/^-?\d+$/.test(word)) return Number(word);
  if (word === "true" || word === "false") return word === "true";
  let base: Value;
  let path: string[];
  if (word.startsWith("$")) {
    const [name = "", ...rest] = word.split(".");
    if (!s.vars.has(name)) throw new TemplateError(`template: :1: undefined variable "${name}"`);
    base = s.vars.get(name);
    path = rest;
  } else if (word.startsWith(".")) {
    base = s.dot;
    path = word === "." ? [] : word.slice(1).split(".");
  } else throw new TemplateError(`template: :1:${col}: function "${word}" not defined`);
  path.forEach((p, i) => {
    base = field(base, p, col, i === path.length - 1 ? args : []);
  });
  return base;
}

/** An argument: an operand word, or a parenthesised pipeline with an optional `.Field` chain after it. */
type Arg = string | { group: Value; fields: string[] };

function argValue(a: Arg, s: Scope, col: number): Value {
  if (typeof a === "string") return operand(a, s, col);
  let v = a.group;
  for (const f of a.fields) v = field(v, f, col, []);
  return v;
}

function command(cmd: Arg[], s: Scope, col: number, piped: Value[]): Value {
  const [head = "", ...rest] = cmd;
  const args = () => [...rest.map((w) => argValue(w, s, col)), ...piped];
  if (typeof head !== "string") return argValue(head, s, col);
  const fn = FUNCS[head];
  if (fn) return fn(...args());
  if (rest.length > 0 || piped.length > 0) return operand(head, s, col, args());
  return operand(head, s, col);
}

/** Evaluate words[from..] up to the matching ")" (or the end); the index after it. */
function pipeline(words: string[], s: Scope, col: number, from = 0): [Value, number] {
  let value: Value;
  let first = true;
  let cmd: Arg[] = [];
  const run = () => {
    if (cmd.length === 0) throw new TemplateError(`template: :1:${col}: missing value for command`);
    value = command(cmd, s, col, first ? [] : [value]);
    first = false;
    cmd = [];
  };
  let i = from;
  while (i < words.length) {
    const w = words[i] as string;
    if (w.startsWith(")")) break;
    if (w === "|") run();
    else if (w === "(") {
      const [group, next] = pipeline(words, s, col, i + 1);
      const close = words[next];
      if (close === undefined) throw new TemplateError(`template: :1:${col}: unclosed left paren`, true);
      cmd.push({
        group,
        fields: close
          .slice(1)
          .split(".")
          .filter((f) => f !== ""),
      });
      i = next;
    } else cmd.push(w);
    i++;
  }
  run();
  return [value, i];
}

function evaluate(words: string[], s: Scope, col: number): Value {
  return pipeline(words, s, col)[0];
}

function exec(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === "text") out.push(n.text);
    else if (n.kind === "action") out.push(goString(evaluate(n.pipe, s, n.col)));
    else {
      const v = evaluate(n.pipe, s, n.col);
      if (n.kind === "if") exec(truthy(v) ? n.body : n.orElse, s, out);
      else if (n.kind === "with")
        exec(truthy(v) ? n.body : n.orElse, truthy(v) ? new Scope(v, s.vars) : s, out);
      else {
        const entries: [Value, Value][] = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === "object"
            ? Object.keys(v)
                .sort()
                .map((k) => [k, (v as Record<string, Value>)[k]])
            : [];
        if (entries.length === 0) exec(n.orElse, s, out);
        for (const [k, x] of entries) {
          const vars = new Map(s.vars);
          if (n.vars.length === 1) vars.set(n.vars[0] as string, x);
          if (n.vars.length === 2) {
            vars.set(n.vars[0] as string, k);
            vars.set(n.vars[1] as string, x);
          }
          exec(n.body, new Scope(x, vars), out);
        }
      }
    }
  }
}

/** Execute a parsed template on `data`. */
export function runTemplate(nodes: Node[], data: Value): string {
  const out: string[] = [];
  exec(nodes, new Scope(data, new Map([["$", data]])), out);
  return out.join("");
}

/** Parse and run in one go. */
export function renderTemplate(src: string, data: Value): string {
  return runTemplate(parseTemplate(src), data);
}
