/** Test harness (node only): `@millrace/processors/testing`. */
export * from "./testing/harness.js";
