import { test } from "node:test";
import assert from "node:assert/strict";
import { checkUserData } from "./user-data";

test("a cloud-config mapping, empty text and a comment alone are accepted", () => {
  assert.equal(checkUserData("#cloud-config\npackages:\n  - nginx\nruncmd:\n  - [systemctl, start, nginx]\n"), null);
  assert.equal(checkUserData(""), null);
  assert.equal(checkUserData("#cloud-config\n"), null);
});

test("a syntax error reports its code, line and column, and yaml's sentence without the place", () => {
  assert.deepEqual(checkUserData("#cloud-config\nusers:\n  - name: ada\n\tshell: /bin/bash\n"), {
    kind: "syntax",
    code: "TAB_AS_INDENT",
    line: 4,
    column: 1,
    detail: "Tabs are not allowed as indentation",
  });
  const unclosed = checkUserData('hostname: "web-1');
  assert.deepEqual(unclosed && unclosed.kind === "syntax" ? [unclosed.code, unclosed.line, unclosed.column] : null, ["MISSING_CHAR", 1, 17]);
});

test("a repeated key is an error at the second one", () => {
  const problem = checkUserData("packages: [a]\npackages: [b]\n");
  assert.deepEqual(problem && problem.kind === "syntax" ? [problem.code, problem.line, problem.column] : null, ["DUPLICATE_KEY", 2, 1]);
});

test("a list or a lone value is not a cloud-config mapping", () => {
  assert.deepEqual(checkUserData("- one\n- two\n"), { kind: "notMapping", found: "list" });
  assert.deepEqual(checkUserData("just words"), { kind: "notMapping", found: "value" });
});
