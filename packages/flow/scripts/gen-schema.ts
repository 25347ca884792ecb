// Regenerates flow-document.schema.json from the zod schema: `pnpm --filter @millrace/flow gen:schema`.
// json-schema.test.ts fails when the committed file and the schema drift apart.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { flowDocumentJsonSchemaText } from "../src/json-schema.js";

const target = fileURLToPath(new URL("../flow-document.schema.json", import.meta.url));
writeFileSync(target, flowDocumentJsonSchemaText());
console.log(`wrote ${target}`);
