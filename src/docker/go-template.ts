/**
 * The part of Go's text/template that `docker ... --format` / `-f` users write: text and
 * `{{ }}` actions (with `{{-`/`-}}` trimming, and comment actions), field chains on `.` and
 * variables (`.A.B`, `$v.A`), pipelines with `|`, variable declarations (`{{$v := ...}}`),
 * `if`/`else`/`else if`/`with`/`range` (also `range $k, $v := ...`) and `end`, parenthesised
 * sub-pipelines (`(index .A "k").B`). Functions: Go's builtins (and, or, not, eq, ne, lt, le, gt,
 * ge, len, index, slice, print, println, printf, html, js, urlquery) and the ones docker/cli's
 * templates package adds (json, split, join, title, lower, upper, pad, truncate); `json` encodes as
 * Go's json.Encoder with SetEscapeHTML(false). Data are JSON-like values as Docker's API gives
 * them; objects made by goMap are Go maps, other objects structs; a function-valued field is a
 * method called with its arguments (the network list's `.Label "k"`).
 *
 * Two modes, as docker/cli runs them: typed (the API's Go structs: a missing map key prints
 * `<no value>`, a missing struct field is an error) and raw (inspect's fallback on the decoded
 * JSON with missingkey=error: every object is a map and a missing key is an error). Errors read as
 * Go's: parse errors `template: :1: ...`, execution errors
 * `template: :LINE:COL: executing "" at <NODE>: ...`. Values print as Go's %v prints decoded JSON
 * (`map[k:v]`, `[a b]`, `<nil>`). Deviations: no `define`/`template`/`block`/`break`/`continue`,
 * structs print as maps (`map[...]`, Go prints `{...}` with every field).
 */

import { goMapZero, isGoMap } from "./go-map.js";

export class TemplateError extends Error {
  constructor(
    message: string,
    /** A parse error (found before anything runs), else an execution error. */
    readonly parse = false,
  ) {
    super(message);
  }
}

type Value = unknown;
type Fn = (...a: Value[]) => Value;

/** A value that encodes itself (a Go type with a MarshalJSON method): its JSON text. */
export const MARSHAL_JSON = Symbol("MarshalJSON");
/** A struct's Go type name for error messages (`*network.networkContext`). */
export const GO_TYPE = Symbol("Go type");

interface Token {
  text: string;
  /** Byte offset in the template (Go's error positions). */
  pos: number;
}
/** An argument: one token, or a parenthesised pipeline with an optional `.Field` chain after it. */
type Arg = Token | { group: Arg[][]; fields: string[]; pos: number; text: string };

interface Text {
  kind: "text";
  text: string;
}
interface Action {
  kind: "action";
  pipe: Arg[][];
  /** `$v :=` / `$v =` before the pipeline. */
  vars: string[];
  assign: boolean;
}
interface Block {
  kind: "if" | "with" | "range";
  pipe: Arg[][];
  vars: string[];
  body: Node[];
  orElse: Node[];
}
type Node = Text | Action | Block;

export interface Template {
  src: string;
  nodes: Node[];
}

/** Go's builtin functions plus docker/cli's basicFunctions: the names a template may call. */
const KNOWN = new Set([
  "and",
  "or",
  "not",
  "len",
  "index",
  "slice",
  "print",
  "printf",
  "println",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "html",
  "js",
  "urlquery",
  "call",
  "json",
  "split",
  "join",
  "title",
  "lower",
  "upper",
  "pad",
  "truncate",
]);

const lineOf = (src: string, pos: number) => 1 + (src.slice(0, pos).match(/\n/g)?.length ?? 0);

/** Split an action's inside into tokens, keeping "strings" whole. */
function tokens(src: string, inner: string, base: number): Token[] {
  const out: Token[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)*'|\||:=|=|,|\(|\)[\w.]*|[^\s|,"`'()=]+)/gy;
  let m: RegExpExecArray | null = re.exec(inner);
  let end = 0;
  while (m) {
    const text = m[1] as string;
    out.push({ text, pos: base + re.lastIndex - text.length });
    end = re.lastIndex;
    m = re.exec(inner);
  }
  const rest = inner.slice(end).trim();
  if (rest !== "") {
    const what =
      rest.startsWith('"') || rest.startsWith("`")
        ? "unterminated quoted string"
        : "unterminated character constant";
    throw new TemplateError(`template: :${lineOf(src, base)}: ${what}`, true);
  }
  for (const t of out) {
    const w = t.text;
    if (
      /^[A-Za-z_]\w*$/.test(w) &&
      !["true", "false", "nil", "else", "end", "if", "with", "range"].includes(w) &&
      !KNOWN.has(w)
    )
      throw new TemplateError(`template: :${lineOf(src, t.pos)}: function "${w}" not defined`, true);
  }
  return out;
}

/** `$a :=` / `$a, $b :=` / `$a =` at the start of a pipeline: the names, the rest, and whether it assigns. */
function declaration(pipe: Token[]): { vars: string[]; rest: Token[]; assign: boolean } {
  const at = pipe.findIndex((t) => t.text === ":=" || t.text === "=");
  if (at < 0 || !pipe.slice(0, at).every((t) => t.text.startsWith("$") || t.text === ","))
    return { vars: [], rest: pipe, assign: false };
  return {
    vars: pipe
      .slice(0, at)
      .filter((t) => t.text !== ",")
      .map((t) => t.text),
    rest: pipe.slice(at + 1),
    assign: pipe[at]?.text === "=",
  };
}

/**
 * A pipeline's commands (split at `|`), parenthesised groups gathered; variables must have been
 * declared (`known`), as Go's parser checks.
 */
function commands(src: string, toks: Token[], known: Set<string>): Arg[][] {
  const line = (t: Token) => lineOf(src, t.pos);
  let i = 0;
  const group = (): Arg[][] => {
    const cmds: Arg[][] = [[]];
    for (; i < toks.length; i++) {
      const t = toks[i] as Token;
      if (t.text.startsWith(")")) return cmds;
      if (t.text === "|") {
        if ((cmds.at(-1) as Arg[]).length === 0)
          throw new TemplateError(`template: :${line(t)}: unexpected "|" in command`, true);
        cmds.push([]);
        continue;
      }
      if (t.text === "(") {
        i++;
        const inner = group();
        const close = toks[i];
        if (!close) throw new TemplateError(`template: :${line(t)}: unclosed left paren`, true);
        const chain = close.text.slice(1);
        (cmds.at(-1) as Arg[]).push({
          group: inner,
          fields: chain.split(".").filter((f) => f !== ""),
          // A chain on a group is placed at its first field.
          pos: chain ? close.pos + 1 : t.pos,
          text: `(${inner.map((c) => c.map((x) => x.text).join(" ")).join(" | ")})${chain}`,
        });
        continue;
      }
      if (t.text.startsWith("$")) {
        const name = t.text.split(".")[0] as string;
        if (!known.has(name))
          throw new TemplateError(`template: :${line(t)}: undefined variable "${name}"`, true);
      }
      if (t.text === ":=" || t.text === "=" || t.text === ",")
        throw new TemplateError(`template: :${line(t)}: unexpected "${t.text}" in operand`, true);
      (cmds.at(-1) as Arg[]).push(t);
    }
    return cmds;
  };
  const cmds = group();
  const stray = toks[i];
  if (stray) throw new TemplateError(`template: :${line(stray)}: unexpected ")" in operand`, true);
  // A pipe at the end is allowed (the command ends there); only the first command may be a constant.
  if (cmds.length > 1 && (cmds.at(-1) as Arg[]).length === 0) cmds.pop();
  if ((cmds[0] as Arg[]).length === 0)
    throw new TemplateError(`template: :${lineOf(src, toks[0]?.pos ?? 0)}: missing value for command`, true);
  cmds.slice(1).forEach((c, k) => {
    const head = c[0] as Arg;
    if (!("group" in head) && /^(["`'\d+-]|\.$|true$|false$|nil$)/.test(head.text))
      throw new TemplateError(
        `template: :${line(head)}: non executable command in pipeline stage ${k + 2}`,
        true,
      );
  });
  return cmds;
}

/** Parse a template (Go's parse errors: unclosed actions, stray ends, unknown functions and variables). */
export function parseTemplate(src: string): Template {
  const root: Node[] = [];
  type Frame = { node: Block | undefined; list: Node[]; vars: Set<string> };
  const stack: Frame[] = [{ node: undefined, list: root, vars: new Set(["$"]) }];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) (stack.at(-1) as Frame).list.push({ kind: "text", text });
      break;
    }
    const close = src.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError(`template: :${lineOf(src, open)}: unclosed action`, true);
    let start = open + 2;
    let end = close;
    if (/^-\s/.test(src.slice(start, end))) {
      text = text.replace(/\s+$/, "");
      start++;
    }
    if (/\s-$/.test(src.slice(start, end))) {
      trimNext = true;
      end--;
    }
    const inner = src.slice(start, end);
    const top = stack.at(-1) as Frame;
    if (text) top.list.push({ kind: "text", text });
    i = close + 2;
    if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(inner)) continue;
    const w = tokens(src, inner, start);
    const head = w[0]?.text;
    const line = lineOf(src, open);
    if (head === undefined) throw new TemplateError(`template: :${line}: missing value for command`, true);
    if (head === "end") {
      if (!top.node) throw new TemplateError(`template: :${line}: unexpected {{end}}`, true);
      stack.pop();
      continue;
    }
    let kind = head;
    let pipeStart = 1;
    let chained = false;
    if (head === "else") {
      if (!top.node) throw new TemplateError(`template: :${line}: unexpected {{else}}`, true);
      const next = w[1]?.text;
      if (next !== "if" && next !== "with") {
        top.list = top.node.orElse;
        continue;
      }
      // {{else if ...}}: a block inside the else branch, closed by the same {{end}}.
      kind = next;
      pipeStart = 2;
      chained = true;
    }
    if (kind === "if" || kind === "with" || kind === "range") {
      const { vars, rest } = declaration(w.slice(pipeStart));
      if (rest.length === 0) throw new TemplateError(`template: :${line}: missing value for ${kind}`, true);
      const known = chained ? (stack.at(-2) as Frame).vars : top.vars;
      const node: Block = { kind, pipe: commands(src, rest, known), vars, body: [], orElse: [] };
      const frame = { node, list: node.body, vars: new Set([...known, ...vars]) };
      if (chained) {
        (top.node as Block).orElse.push(node);
        stack[stack.length - 1] = frame;
      } else {
        top.list.push(node);
        stack.push(frame);
      }
    } else {
      const { vars, rest, assign } = declaration(w);
      if (rest.length === 0) throw new TemplateError(`template: :${line}: missing value for command`, true);
      for (const v of assign ? vars : [])
        if (!top.vars.has(v)) throw new TemplateError(`template: :${line}: undefined variable "${v}"`, true);
      top.list.push({ kind: "action", pipe: commands(src, rest, top.vars), vars, assign });
      for (const v of vars) top.vars.add(v);
    }
  }
  if (stack.length > 1)
    throw new TemplateError(`template: :${lineOf(src, src.length)}: unexpected EOF`, true);
  return { src, nodes: root };
}

// ==== values ================================================================================

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

/** Go's json.Encoder with SetEscapeHTML(false), compact, no trailing newline. */
export function goJson(v: Value): string {
  if (typeof v === "object" && v !== null && MARSHAL_JSON in v)
    return (v as { [MARSHAL_JSON]: () => string })[MARSHAL_JSON]();
  return goJsonIndent(v ?? null).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** A bigint's place in JSON.stringify's text until it is written out as a number. */
const BIGINT_MARK = "\u0000bigint:";

/**
 * JSON.stringify (compact, or indented `indent` spaces as the CLI's json.Indent) that also writes
 * bigints (a uint64 beyond 2^53, such as an IPv6 range's DynamicIPsAvailable) as plain numbers.
 */
export function goJsonIndent(v: Value, indent?: number): string {
  const text = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${BIGINT_MARK}${x}` : x), indent);
  return (text ?? "null").replace(/"\\u0000bigint:(\d+)"/g, "$1");
}

/** Go's encoding/json.Marshal: HTML characters escaped (what the daemon's API sends). */
export function goJsonEscaped(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const isStruct = (v: Value, typed: boolean) =>
  typed && typeof v === "object" && v !== null && !Array.isArray(v) && !isGoMap(v);

function truthy(v: Value, typed: boolean): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return isStruct(v, typed) || Object.keys(v as object).length > 0;
  return true;
}

/** The Go type name of a value, as raw (decoded JSON) data has it. */
function typeName(v: Value): string {
  if (v === null || v === undefined) return "interface {}";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || typeof v === "bigint") return "json.Number";
  if (typeof v === "function") return "func";
  if (Array.isArray(v)) return "[]interface {}";
  return (v as { [GO_TYPE]?: string })[GO_TYPE] ?? "map[string]interface {}";
}

/** An error of a function call (`error calling NAME: ...`) or one Go reports by itself. */
class CallError extends Error {}

function basicKind(v: Value): string {
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (v === null || v === undefined) return "nil";
  return "other";
}

function eq(a: Value, ...bs: Value[]): boolean {
  if (bs.length === 0) throw new CallError("missing argument for comparison");
  for (const b of bs) {
    const ka = basicKind(a);
    const kb = basicKind(b);
    if (ka === "other" || kb === "other") throw new CallError("non-comparable types");
    if (ka !== kb) {
      if (ka === "nil" || kb === "nil") continue;
      throw new CallError("incompatible types for comparison");
    }
    if (a === b) return true;
  }
  return false;
}

function lt(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === "bool" || ka === "other" || ka === "nil" || kb === "bool" || kb === "other" || kb === "nil")
    throw new CallError("invalid type for comparison");
  if (ka !== kb) throw new CallError("incompatible types for comparison");
  return (a as number | string) < (b as number | string);
}

function int(v: Value): number {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new CallError(
      `wrong type for value; expected int; got ${typeName(v) === "json.Number" ? "float64" : typeName(v)}`,
    );
  return v;
}

function str(v: Value): string {
  if (typeof v !== "string") throw new CallError(`wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

/** Go's fmt verbs that templates use: %s %v %d %q %t %x with flags, width and precision. */
function printf(format: string, args: Value[]): string {
  let k = 0;
  return format.replace(
    /%([-+# 0]*)(\d+)?(?:\.(\d+))?([svdqtxX%])/g,
    (_, flags: string, width?: string, prec?: string, verb?: string) => {
      if (verb === "%") return "%";
      if (k >= args.length) return `%!${verb}(MISSING)`;
      const a = args[k++];
      let s: string;
      if (verb === "q") s = JSON.stringify(goString(a));
      else if (verb === "x" || verb === "X")
        s =
          typeof a === "number" || typeof a === "bigint"
            ? a.toString(16)
            : [...new TextEncoder().encode(goString(a))].map((b) => b.toString(16).padStart(2, "0")).join("");
      else if (verb === "d" && typeof a !== "number" && typeof a !== "bigint")
        s = `%!d(${typeName(a)}=${goString(a)})`;
      else s = goString(a);
      if (verb === "X") s = s.toUpperCase();
      if (prec !== undefined && (verb === "s" || verb === "v")) s = s.slice(0, Number(prec));
      const w = Number(width ?? 0);
      if (s.length < w)
        s = flags.includes("-") ? s.padEnd(w) : s.padStart(w, flags.includes("0") ? "0" : " ");
      return s;
    },
  );
}

/** fmt.Sprint: operands side by side, a space between two that are not strings. */
function sprint(args: Value[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += goString(a);
  });
  return out;
}

function index(typed: boolean, item: Value, ...keys: Value[]): Value {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined) throw new CallError("index of untyped nil");
    if (Array.isArray(v) || typeof v === "string") {
      if (typeof k !== "number") throw new CallError(`cannot index slice/array with type ${typeName(k)}`);
      const len = Array.isArray(v) ? v.length : v.length;
      if (k < 0 || k >= len) throw new CallError(`index out of range: ${k}`);
      v = Array.isArray(v) ? v[k] : v.charCodeAt(k);
    } else if (typeof v === "object") {
      if (typeof k !== "string") throw new CallError(`value has type ${typeName(k)}; should be string`);
      const o = v as Record<string, Value>;
      // A missing key: the element type's zero value for a typed map, nothing for raw JSON.
      v = Object.hasOwn(o, k) ? o[k] : typed && isGoMap(o) ? goMapZero(o) : undefined;
    } else throw new CallError(`can't index item of type ${typeName(v)}`);
  }
  return v;
}

function sliceOf(item: Value, ...idx: Value[]): Value {
  if (!Array.isArray(item) && typeof item !== "string")
    throw new CallError(`can't slice item of type ${typeName(item)}`);
  const [from = 0, to = item.length] = idx.map((i) => int(i));
  if (from < 0 || to > item.length || from > to) throw new CallError(`index out of range: ${to}`);
  return item.slice(from, to);
}

/** strings.Title: the first letter of each word in upper case. */
const title = (s: string) =>
  s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, b: string, c: string) => b + c.toUpperCase());

/** docker/cli's joinElements. */
function join(elems: Value, sep: Value): string {
  if (elems === null || elems === undefined) return "";
  if (Array.isArray(elems)) return elems.map(goString).join(str(sep));
  if (typeof elems === "object")
    return Object.values(elems as object)
      .map(goString)
      .sort()
      .join(str(sep));
  throw new CallError(`expected slice, got ${typeName(elems)}`);
}

function funcs(typed: boolean): Record<string, Fn> {
  return {
    json: (v) => goJson(v),
    split: (s, sep) => {
      const parts = str(s).split(str(sep));
      return sep === "" ? [...str(s)] : parts;
    },
    join,
    title: (s) => title(str(s)),
    lower: (s) => str(s).toLowerCase(),
    upper: (s) => str(s).toUpperCase(),
    // docker/cli: pad adds spaces around a non-empty string; truncate cuts to a length.
    pad: (s, prefix, suffix) =>
      str(s) === "" ? "" : " ".repeat(int(prefix)) + str(s) + " ".repeat(int(suffix)),
    truncate: (s, n) => (str(s).length < int(n) ? str(s) : str(s).slice(0, int(n))),
    index: (v, ...k) => index(typed, v, ...k),
    slice: sliceOf,
    len: (v) => {
      if (Array.isArray(v)) return v.length;
      if (typeof v === "string") return new TextEncoder().encode(v).length;
      if (typeof v === "object" && v !== null && !isStruct(v, typed)) return Object.keys(v).length;
      throw new CallError(`len of type ${typeName(v)}`);
    },
    not: (v) => !truthy(v, typed),
    eq,
    ne: (a, b) => !eq(a, b),
    lt: (a, b) => lt(a, b),
    le: (a, b) => lt(a, b) || eq(a, b),
    gt: (a, b) => !lt(a, b) && !eq(a, b),
    ge: (a, b) => !lt(a, b),
    print: (...a) => sprint(a),
    println: (...a) => `${a.map(goString).join(" ")}\n`,
    printf: (f, ...a) => printf(str(f), a),
    html: (...a) =>
      sprint(a).replace(
        /[<>&'"\0]/g,
        (c) =>
          ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\uFFFD" })[
            c
          ] as string,
      ),
    js: (...a) =>
      [...sprint(a)]
        .map((c) =>
          c === "\\" || c === "'" || c === '"'
            ? `\\${c}`
            : "<>&=".includes(c) || c.charCodeAt(0) < 0x20
              ? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`
              : c,
        )
        .join(""),
    urlquery: (...a) =>
      encodeURIComponent(sprint(a))
        .replace(/%20/g, "+")
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  };
}

/** The header functions of docker/cli's tables: they leave the header text as it is. */
export const HEADER_FUNCS: Record<string, Fn> = Object.fromEntries(
  ["json", "split", "join", "title", "lower", "upper", "truncate"].map((n) => [n, (v: Value) => v]),
);

// ==== execution =============================================================================

export interface ExecOptions {
  /** Typed (Go structs: missing struct fields are errors, missing map keys print <no value>) or raw. */
  typed: boolean;
  /** missingkey=error: a missing map key is an error. */
  missingKeyError?: boolean;
  /** Functions replacing the standard ones (table headers). */
  funcs?: Record<string, Fn>;
}

class State {
  readonly fns: Record<string, Fn>;
  constructor(
    readonly t: Template,
    readonly opts: ExecOptions,
  ) {
    this.fns = { ...funcs(opts.typed), ...(opts.funcs ?? {}) };
  }

  fail(pos: number, context: string, message: string): never {
    const before = this.t.src.slice(0, pos);
    const nl = before.lastIndexOf("\n");
    const col = nl < 0 ? pos : pos - nl - 1;
    throw new TemplateError(
      `template: :${lineOf(this.t.src, pos)}:${col}: executing "" at <${context}>: ${message}`,
    );
  }
}

interface Scope {
  dot: Value;
  vars: Map<string, Value>;
}

/** A field chain on a value (`.A.B`); `args` go to the last one when it is a method. */
function fields(st: State, base: Value, path: string[], pos: number, context: string, args: Value[]): Value {
  let v = base;
  path.forEach((name, i) => {
    const last = i === path.length - 1;
    const callArgs = last ? args : [];
    if (v === null || v === undefined) st.fail(pos, context, `nil pointer evaluating ${typeName(v)}.${name}`);
    if (typeof v !== "object" || Array.isArray(v))
      st.fail(pos, context, `can't evaluate field ${name} in type ${typeName(v)}`);
    const o = v as Record<string, Value>;
    if (Object.hasOwn(o, name) && typeof o[name] === "function") {
      const f = o[name] as Fn;
      if (f.length !== callArgs.length)
        st.fail(pos, context, `wrong number of args for ${name}: want ${f.length} got ${callArgs.length}`);
      v = f(...callArgs);
      return;
    }
    const map = isGoMap(o) || !st.opts.typed;
    if (callArgs.length > 0)
      st.fail(
        pos,
        context,
        map
          ? `${name} is not a method but has arguments`
          : `${name} has arguments but cannot be invoked as function`,
      );
    if (Object.hasOwn(o, name)) v = o[name];
    else if (!map) st.fail(pos, context, `can't evaluate field ${name} in type ${typeName(o)}`);
    else if (st.opts.missingKeyError) st.fail(pos, context, `map has no entry for key "${name}"`);
    else v = undefined;
  });
  return v;
}

/** Go reports a chain's position at its second field (`.A.B` at `.B`). */
function chainPos(tok: Token): number {
  const second = tok.text.indexOf(".", 1);
  return second > 0 ? tok.pos + second : tok.pos;
}

function operand(st: State, tok: Token, s: Scope, args: Value[] = []): Value {
  const word = tok.text;
  if (word.startsWith('"')) return JSON.parse(word);
  if (word.startsWith("`")) return word.slice(1, -1);
  if (word.startsWith("'"))
    return (JSON.parse(`"${word.slice(1, -1).replace(/"/g, '\\"')}"`) as string).codePointAt(0);
  if (/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|0[xX][0-9a-fA-F]+)$/.test(word)) return Number(word);
  if (word === "true" || word === "false") return word === "true";
  if (word === "nil") st.fail(tok.pos, word, "nil is not a command");
  if (word.startsWith("$")) {
    const [name = "", ...rest] = word.split(".");
    if (!s.vars.has(name))
      throw new TemplateError(`template: :${lineOf(st.t.src, tok.pos)}: undefined variable "${name}"`, true);
    return fields(st, s.vars.get(name), rest, chainPos(tok), word, args);
  }
  if (word.startsWith("."))
    return fields(st, s.dot, word === "." ? [] : word.slice(1).split("."), chainPos(tok), word, args);
  return st.fail(tok.pos, word, `can't give argument to non-function ${word}`);
}

function argValue(st: State, a: Arg, s: Scope): Value {
  if ("group" in a) {
    const v = pipeline(st, a.group, s);
    return a.fields.length === 0 ? v : fields(st, v, a.fields, a.pos, a.text, []);
  }
  return operand(st, a, s);
}

const argText = (a: Arg) => a.text;

function call(st: State, cmd: Arg[], s: Scope, piped: Value[]): Value {
  const [head, ...rest] = cmd;
  if (!head) return undefined;
  const context = cmd.map(argText).join(" ");
  const special = !("group" in head) && (head.text === "and" || head.text === "or");
  const fn = "group" in head ? undefined : special ? () => undefined : st.fns[head.text];
  if (fn && !("group" in head)) {
    const name = head.text;
    // and/or evaluate their arguments only as far as needed.
    if (name === "and" || name === "or") {
      const all = [...rest.map((a) => () => argValue(st, a, s)), ...piped.map((p) => () => p)];
      if (all.length === 0)
        st.fail(head.pos, name, `wrong number of args for ${name}: want at least 1 got 0`);
      let v: Value;
      for (const get of all) {
        v = get();
        if (truthy(v, st.opts.typed) === (name === "or")) return v;
      }
      return v;
    }
    const args = [...rest.map((a) => argValue(st, a, s)), ...piped];
    const arity: Record<string, number> = {
      pad: 3,
      truncate: 2,
      split: 2,
      join: 2,
      json: 1,
      title: 1,
      lower: 1,
      upper: 1,
      len: 1,
      not: 1,
      lt: 2,
      le: 2,
      gt: 2,
      ge: 2,
      ne: 2,
    };
    const want = arity[name];
    if (want !== undefined && args.length !== want)
      st.fail(head.pos, name, `wrong number of args for ${name}: want ${want} got ${args.length}`);
    if ((name === "index" || name === "slice" || name === "printf") && args.length === 0)
      st.fail(head.pos, name, `wrong number of args for ${name}: want at least 1 got 0`);
    try {
      return fn(...args);
    } catch (e) {
      if (!(e instanceof CallError)) throw e;
      return st.fail(head.pos, context, `error calling ${name}: ${e.message}`);
    }
  }
  if (rest.length > 0 || piped.length > 0) {
    if ("group" in head) st.fail(head.pos, context, `can't give argument to non-function ${head.text}`);
    const args = [...rest.map((a) => argValue(st, a, s)), ...piped];
    return operand(st, head as Token, s, args);
  }
  return argValue(st, head, s);
}

function pipeline(st: State, cmds: Arg[][], s: Scope): Value {
  let value: Value;
  cmds.forEach((cmd, i) => {
    value = call(st, cmd, s, i === 0 ? [] : [value]);
  });
  return value;
}

function declare(s: Scope, vars: string[], value: Value): void {
  if (vars[0]) s.vars.set(vars[0], value);
}

function exec(st: State, nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === "text") out.push(n.text);
    else if (n.kind === "action") {
      const v = pipeline(st, n.pipe, s);
      if (n.vars.length > 0) declare(s, n.vars, v);
      else out.push(goString(v));
    } else {
      const v = pipeline(st, n.pipe, s);
      const inner = (dot: Value) => ({ dot, vars: new Map(s.vars) });
      if (n.kind === "if" || n.kind === "with") {
        const yes = truthy(v, st.opts.typed);
        const scope = inner(yes && n.kind === "with" ? v : s.dot);
        if (n.vars.length > 0) declare(scope, n.vars, v);
        exec(st, yes ? n.body : n.orElse, scope, out);
        continue;
      }
      const entries: [Value, Value][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v && typeof v === "object" && !isStruct(v, st.opts.typed)
          ? Object.keys(v)
              .sort()
              .map((k) => [k, (v as Record<string, Value>)[k]])
          : typeof v === "number" && Number.isInteger(v)
            ? Array.from({ length: Math.max(0, v) }, (_, i) => [i, i])
            : v === null || v === undefined
              ? []
              : st.fail(
                  ((n.pipe[0] as Arg[])[0] as Arg).pos,
                  n.pipe.map((c) => c.map(argText).join(" ")).join(" | "),
                  `range can't iterate over ${goString(v)}`,
                );
      if (entries.length === 0) exec(st, n.orElse, inner(s.dot), out);
      for (const [k, x] of entries) {
        const scope = inner(x);
        if (n.vars.length === 1) scope.vars.set(n.vars[0] as string, x);
        if (n.vars.length === 2) {
          scope.vars.set(n.vars[0] as string, k);
          scope.vars.set(n.vars[1] as string, x);
        }
        exec(st, n.body, scope, out);
      }
    }
  }
}

/**
 * Execute a parsed template on `data`; `out` collects the text (what was written before an error
 * stays there, as Go's writer has it).
 */
export function runTemplate(
  t: Template,
  data: Value,
  opts: ExecOptions = { typed: true },
  out: string[] = [],
): string {
  exec(new State(t, opts), t.nodes, { dot: data, vars: new Map([["$", data]]) }, out);
  return out.join("");
}

/** Parse and run in one go (typed). */
export function renderTemplate(src: string, data: Value, opts: ExecOptions = { typed: true }): string {
  return runTemplate(parseTemplate(src), data, opts);
}

/**
 * docker/cli's TemplateInspector: run on the API's typed object; if that fails, run again on the
 * decoded JSON with missingkey=error (its error is the one reported).
 */
export function inspectTemplate(t: Template, data: Value): string {
  try {
    return runTemplate(t, data, { typed: true });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return runTemplate(t, data, { typed: false, missingKeyError: true });
  }
}
