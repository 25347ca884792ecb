import type { CatalogLike } from "./catalog-types.js";
import type { FlowError } from "./errors.js";
import { validateFlow, type ValidateOptions, type ValidationResult } from "./validate.js";

/**
 * Parses the text of an import file. JSON.parse's own messages differ between engines and
 * (in Node 20) carry no position, so on failure a small iterative scanner finds where the
 * text stops being JSON and reports it as line/column.
 */

export interface JsonSyntaxProblem {
  offset: number;
  line: number;
  column: number;
  message: string;
}

function describeChar(text: string, at: number): string {
  if (at >= text.length) return "unexpected end of input";
  const ch = text[at];
  const shown = ch === "\n" ? "\\n" : ch === "\t" ? "\\t" : ch === "\r" ? "\\r" : ch;
  return `unexpected character ${JSON.stringify(shown)}`;
}

const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Offset and reason of the first syntax error in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  };
  const err = (message?: string) => ({ offset: i, message: message ?? describeChar(text, i) });
  type Problem = { offset: number; message: string };

  const string = (): Problem | undefined => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return err("control character in string (escape it)");
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            return err("invalid \\u escape");
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          return err(e === undefined ? "unterminated string" : `invalid escape \\${e}`);
        }
        continue;
      }
      i++;
    }
    return err("unterminated string");
  };
  const number = (): Problem | undefined => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return err("invalid number");
    i += m[0].length;
    return undefined;
  };

  // Containers are tracked on an explicit stack: deep nesting cannot overflow the call stack.
  const stack: Array<"{" | "["> = [];
  let expectValue = true;
  ws();
  for (;;) {
    if (expectValue) {
      ws();
      const c = text[i];
      if (c === "{" || c === "[") {
        stack.push(c);
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          stack.pop();
          i++;
          expectValue = false;
          continue;
        }
        if (c === "{") {
          if (text[i] !== '"') return err(i >= n ? "unexpected end of input" : `expected a property name, ${describeChar(text, i)}`);
          const p = string();
          if (p) return p;
          ws();
          if (text[i] !== ":") return err(`expected ":", ${describeChar(text, i)}`);
          i++;
        }
        continue;
      }
      let p: Problem | undefined;
      if (c === '"') p = string();
      else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) p = number();
      else if (text.startsWith("true", i)) i += 4;
      else if (text.startsWith("false", i)) i += 5;
      else if (text.startsWith("null", i)) i += 4;
      else return err();
      if (p) return p;
      expectValue = false;
      continue;
    }
    ws();
    const top = stack[stack.length - 1];
    if (top === undefined) return i < n ? err(`${describeChar(text, i)} after the end of the document`) : undefined;
    const c = text[i];
    if (c === ",") {
      i++;
      ws();
      if (top === "{") {
        if (text[i] !== '"') return err(i >= n ? "unexpected end of input" : `expected a property name, ${describeChar(text, i)}`);
        const p = string();
        if (p) return p;
        ws();
        if (text[i] !== ":") return err(`expected ":", ${describeChar(text, i)}`);
        i++;
      }
      expectValue = true;
      continue;
    }
    if (c === (top === "{" ? "}" : "]")) {
      stack.pop();
      i++;
      continue;
    }
    return err(i >= n ? "unexpected end of input" : `expected "," or "${top === "{" ? "}" : "]"}", ${describeChar(text, i)}`);
  }
}

/** 1-based line and column (in UTF-16 units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function syntaxError(text: string, fallback: string): FlowError {
  const found = findJsonSyntaxError(text);
  const offset = found?.offset ?? 0;
  const { line, column } = lineColumn(text, offset);
  return { path: "", message: `invalid JSON at line ${line}, column ${column}: ${found?.message ?? fallback}`, line, column };
}

/** JSON text → validated document; bad JSON is reported with its line and column. Never throws. */
export function parseFlowJson(text: string, catalog: CatalogLike, options: ValidateOptions = {}): ValidationResult {
  if (typeof text !== "string") return { ok: false, errors: [{ path: "", message: "expected JSON text" }], warnings: [] };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // tolerate a UTF-8 BOM
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return { ok: false, errors: [syntaxError(body, e instanceof Error ? e.message : "invalid JSON")], warnings: [] };
  }
  return validateFlow(value, catalog, options);
}
