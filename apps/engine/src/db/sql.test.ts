import { describe, expect, it } from "vitest";
import { join, raw, sql } from "./sql.js";

describe("sql", () => {
  it("turns values into numbered parameters and keeps raw fragments as text", () => {
    const cols = raw("id, name");
    expect(sql`SELECT ${cols} FROM flow WHERE id = ${"f1"} AND n > ${2}`.toQuery()).toEqual({ text: "SELECT id, name FROM flow WHERE id = $1 AND n > $2", values: ["f1", 2] });
  });

  it("numbers the parameters of nested and joined fragments in order, and sends an array used twice once", () => {
    const ids = ["a", "b"];
    const where = join([sql`flow_id = ${"f"}`, sql`(in_ids && ${ids}::text[] OR out_ids && ${ids}::text[])`, sql`at < ${5}`], " AND ");
    expect(sql`SELECT 1 WHERE ${where}`.toQuery()).toEqual({ text: "SELECT 1 WHERE flow_id = $1 AND (in_ids && $2::text[] OR out_ids && $2::text[]) AND at < $3", values: ["f", ids, 5] });
  });

  it("joins nothing into nothing", () => {
    expect(sql`SELECT 1${join([], ",")}`.toQuery()).toEqual({ text: "SELECT 1", values: [] });
  });
});
