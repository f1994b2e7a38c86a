import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { flagsOf } from "./flags";
import {
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE,
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
} from "./generated/constants";

const FIXTURE = path.join(import.meta.dirname, "testing", "flag-types.fixture.ts");
const EXPECT_ERROR = "// @ts-expect-error";

// As strict as the repository's tsconfig.json; only what the fixture pulls in is compiled.
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts"],
  types: ["node"],
  skipLibCheck: true,
  noEmit: true,
};

test("flagsOf ORs flags into an unsigned 32-bit number", () => {
  assert.equal(flagsOf(VIR_DOMAIN_XML_SECURE, VIR_DOMAIN_XML_INACTIVE), VIR_DOMAIN_XML_SECURE + VIR_DOMAIN_XML_INACTIVE);
  assert.equal(flagsOf(VIR_DOMAIN_XML_INACTIVE, 0), VIR_DOMAIN_XML_INACTIVE);
  // Bit 31: `|` alone would give -2147483647, which the XDR encoder refuses for an unsigned int.
  assert.equal(flagsOf(VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE, VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS), 2 ** 31 + 1);
});

test("a flag from another call's enum is a compile error, and the call's own flags compile", () => {
  const source = readFileSync(FIXTURE, "utf8");
  const lines = source.split("\n");
  const expected = lines.flatMap((line, i) => (line.trim().startsWith(EXPECT_ERROR) ? [i + 2] : []));
  assert.ok(expected.length >= 8, `the fixture marks ${expected.length} calls`);

  const unmarked = source.replaceAll(EXPECT_ERROR, "// expected to fail:");
  const errors = compile(unmarked).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return {
      file: d.file ? path.relative(import.meta.dirname, d.file.fileName) : "",
      line: where,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, " "),
    };
  });
  const report = errors.map((e) => `${e.file}:${e.line} TS${e.code} ${e.message}`).join("\n");
  assert.deepEqual(
    errors.map((e) => `${e.file}:${e.line}`),
    expected.map((line) => `testing/flag-types.fixture.ts:${line}`),
    report,
  );
  // TS2322 "is not assignable": the flag was refused, not a name mistyped.
  assert.deepEqual(new Set(errors.map((e) => e.code)), new Set([2322]), report);
});

/** Type-checks the fixture with `text` in place of its contents. */
function compile(text: string): readonly ts.Diagnostic[] {
  const host = ts.createCompilerHost(OPTIONS);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    path.resolve(fileName) === FIXTURE ? ts.createSourceFile(fileName, text, languageVersion) : read(fileName, languageVersion, ...rest);
  return ts.getPreEmitDiagnostics(ts.createProgram([FIXTURE], OPTIONS, host));
}
