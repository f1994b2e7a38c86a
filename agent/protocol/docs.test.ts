import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { withReference } from "./docs";
import { ErrorCode } from "./errors";
import { methodNames, methods } from "./methods";

const protocolFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "PROTOCOL.md");

describe("PROTOCOL.md", () => {
  it("matches the method table (regenerate with: node --import tsx agent/protocol/write-docs.ts)", async () => {
    const document = await readFile(protocolFile, "utf8");
    assert.equal(document, withReference(document));
  });

  it("documents every method and every error code", async () => {
    const document = await readFile(protocolFile, "utf8");
    for (const name of methodNames) assert.ok(document.includes(`### \`${name}\``), `${name} is documented`);
    for (const code of Object.values(ErrorCode)) assert.ok(document.includes(`| ${code} |`), `${code} is documented`);
  });

  it("states that the agent answers nothing but sync until it has answered one", async () => {
    const document = await readFile(protocolFile, "utf8");
    const handshake = document.slice(document.indexOf("## Handshake"), document.indexOf("## Versioning"));
    assert.match(handshake, /\*\*ignores every line until it has answered a `sync`\*\*/);
    assert.match(handshake, /dropped silently: nothing runs and nothing is answered/);
    assert.match(handshake, /closes again whenever the agent \(re\)starts or sees a host \(re\)connect/);
    assert.match(methods.sync.summary, /ignores every other request/);
    assert.ok(document.includes(methods.sync.summary), "the generated sync entry carries it too");
  });
});
