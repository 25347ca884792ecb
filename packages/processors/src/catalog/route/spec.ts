import { z } from "zod";
import type { ProcessorSpec } from "../../sdk.js";
import { expression, meta, portName } from "../../schema.js";

const RESERVED = new Set(["unmatched", "failure"]);

export const routeSchema = z.strictObject({
  name: portName.refine((n) => !RESERVED.has(n), { message: "'unmatched' and 'failure' are built-in ports" }).meta(meta("The output port of this route.")),
  expression: expression("Records for which this is true go to the route's port.", { placeholder: 'value.country = "NL"' }),
});

export const configSchema = z.strictObject({
  routes: z
    .array(routeSchema)
    .min(1, "add at least one route")
    .max(64, "at most 64 routes")
    .superRefine((routes, ctx) => {
      const seen = new Set<string>();
      routes.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate route name '${r.name}'` });
        seen.add(r.name);
      });
    })
    .meta(meta("Routes in order; the first whose expression is true takes the record.")),
});
export type RouteConfig = z.infer<typeof configSchema>;

export const spec: ProcessorSpec<RouteConfig> = {
  type: "route",
  version: 1,
  kind: "transform",
  title: "Route",
  description: "Sends each record to the port of the first route whose expression is true.",
  hasInput: true,
  configSchema,
  outputPorts: (c: RouteConfig) => [...(c?.routes ?? []).map((r) => r.name), "unmatched", "failure"],
  dynamicPorts: true,
  example: {
    routes: [
      { name: "big", expression: "value.amount >= 1000" },
      { name: "small", expression: "value.amount < 1000" },
    ],
  },
  docs: `Evaluates the **routes** in order against \`{ value, key, headers }\`; **the first route whose
expression is true wins** and the record goes (unchanged) to that route's port. Later routes are not
evaluated for it, so a record goes to exactly one port.

- no route matches → \`unmatched\`
- an expression fails → \`failure\` (reason in \`mr.error\`); routes after it are not tried

Each route name is a port: letters, digits, \`_\`, \`-\`; \`unmatched\` and \`failure\` are built in.`,
};
