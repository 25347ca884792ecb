/** A failure's message, whatever was thrown (a driver or a test double may reject with a non-Error). */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
