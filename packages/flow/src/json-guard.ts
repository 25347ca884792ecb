import { formatPath, type FlowError, type PathSegment } from "./errors.js";

/**
 * Checks that a value is plain JSON before anything else looks at it. Everything after this
 * (zod, parameter scans, canonical form, hashing) may then recurse and copy freely: the
 * depth is bounded, there are no cycles, getters, class instances, BigInt or `__proto__` keys
 * (a `__proto__` key copied with `obj[key] = v` would replace the copy's prototype).
 * Iterative, so a 10,000-deep input cannot overflow the stack.
 */

export const JSON_LIMITS = {
  /** Nesting depth from the document root; a real flow is < 15 deep. */
  maxDepth: 64,
  maxArrayLength: 100_000,
  /** Total number of values (objects, arrays, primitives) in one document. */
  maxValues: 2_000_000,
  /** Stop after this many problems: the rest would only repeat. */
  maxErrors: 50,
} as const;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "object" && value !== null) {
    const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof ctor === "string" && ctor !== "" ? `a ${ctor}` : "a non-plain object";
  }
  return value === undefined ? "undefined" : `a ${typeof value}`;
}

export function checkJsonValue(root: unknown, limits = JSON_LIMITS): FlowError[] {
  const errors: FlowError[] = [];
  // Each entry: value, its path, and the set of ancestors (for cycle detection) via depth-indexed stack.
  const stack: Array<{ value: unknown; path: PathSegment[] }> = [{ value: root, path: [] }];
  const onPath = new Set<object>();
  const exitMarkers: Array<{ obj: object; after: number }> = [];
  let count = 0;
  const fail = (path: PathSegment[], message: string) => errors.push({ path: formatPath(path), message });

  while (stack.length > 0 && errors.length < limits.maxErrors) {
    // Leave objects whose children are all done (keeps `onPath` = current ancestors only).
    while (exitMarkers.length > 0 && exitMarkers[exitMarkers.length - 1].after >= stack.length) {
      onPath.delete(exitMarkers.pop()!.obj);
    }
    const { value, path } = stack.pop()!;
    if (++count > limits.maxValues) {
      fail([], `document too large (more than ${limits.maxValues} values)`);
      break;
    }
    switch (typeof value) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (!Number.isFinite(value)) fail(path, `expected a finite number, got ${value}`);
        continue;
      case "object":
        break;
      default:
        fail(path, `not a JSON value (${describe(value)})`);
        continue;
    }
    if (value === null) continue;
    if (path.length >= limits.maxDepth) {
      fail(path, `nested too deeply (more than ${limits.maxDepth} levels)`);
      continue;
    }
    if (onPath.has(value)) {
      fail(path, "circular reference");
      continue;
    }
    const children: Array<{ value: unknown; path: PathSegment[] }> = [];
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) {
        fail(path, `too many items (${value.length}, at most ${limits.maxArrayLength})`);
        continue;
      }
      if (Object.getPrototypeOf(value) !== Array.prototype) {
        fail(path, `not a JSON value (${describe(value)})`);
        continue;
      }
      for (let i = 0; i < value.length; i++) {
        // A hole or a getter is not JSON; read the descriptor so getters never run.
        const desc = Object.getOwnPropertyDescriptor(value, i);
        if (!desc) fail([...path, i], "not a JSON value (empty array slot)");
        else if (!("value" in desc)) fail([...path, i], "not a JSON value (getter)");
        else children.push({ value: desc.value, path: [...path, i] });
      }
    } else {
      if (!isPlainObject(value)) {
        fail(path, `not a JSON value (${describe(value)})`);
        continue;
      }
      if (Object.getOwnPropertySymbols(value).length > 0) fail(path, "not a JSON value (symbol keys)");
      for (const key of Object.keys(value)) {
        if (key === "__proto__") {
          fail([...path, key], "the key __proto__ is not allowed");
          continue;
        }
        const desc = Object.getOwnPropertyDescriptor(value, key)!;
        if (!("value" in desc)) fail([...path, key], "not a JSON value (getter)");
        else children.push({ value: desc.value, path: [...path, key] });
      }
    }
    onPath.add(value);
    exitMarkers.push({ obj: value, after: stack.length });
    // Reverse so errors come out in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  if (errors.length >= limits.maxErrors && stack.length > 0) fail([], "too many problems; only the first ones are shown");
  return errors;
}
