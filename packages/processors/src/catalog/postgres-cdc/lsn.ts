/**
 * LSNs as numbers: `X/Y` is X·2³² + Y, exact as a double below 2⁵³ bytes of WAL (8 PiB), and a
 * number is what the runner can commit as an exactly-once checkpoint.
 */
export function lsnToNumber(lsn: string): number {
  const slash = lsn.indexOf("/");
  if (slash <= 0) throw new Error(`not an LSN: '${lsn}'`);
  return parseInt(lsn.slice(0, slash), 16) * 2 ** 32 + parseInt(lsn.slice(slash + 1), 16);
}

export function numberToLsn(n: number): string {
  const hi = Math.floor(n / 2 ** 32);
  return `${hi.toString(16).toUpperCase()}/${(n - hi * 2 ** 32).toString(16).toUpperCase()}`;
}
