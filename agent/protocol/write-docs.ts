// Regenerates the reference part of agent/PROTOCOL.md from the method table:
//   node --import tsx agent/protocol/write-docs.ts
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withReference } from "./docs";

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "PROTOCOL.md");
await writeFile(file, withReference(await readFile(file, "utf8")));
console.log(`updated ${file}`);
