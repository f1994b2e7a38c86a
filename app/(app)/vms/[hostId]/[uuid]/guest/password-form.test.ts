import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setPasswordInput } from "@/server/api/routers/guest";
import { PASSWORD_MAX_CHARS, passwordFormProblems } from "./password-form";

describe("passwordFormProblems", () => {
  it("names each empty field and a confirmation that differs", () => {
    assert.deepEqual(passwordFormProblems({ user: "", password: "", confirm: "" }), { user: "userEmpty", password: "passwordEmpty" });
    assert.deepEqual(passwordFormProblems({ user: "root", password: "a good one", confirm: "a good 0ne" }), { confirm: "confirmMismatch" });
    assert.deepEqual(passwordFormProblems({ user: "root", password: "a good one", confirm: "" }), { confirm: "confirmMismatch" });
    assert.deepEqual(passwordFormProblems({ user: "root", password: "a good one", confirm: "a good one" }), {});
  });

  it("refuses what the server's input refuses: bad user names, ':' and line breaks, overlong passwords", () => {
    const cases = [
      { user: "-root", password: "pw", confirm: "pw" },
      { user: "ro ot", password: "pw", confirm: "pw" },
      { user: "root", password: "a:b", confirm: "a:b" },
      { user: "root", password: "a\nb", confirm: "a\nb" },
      { user: "root", password: "x".repeat(PASSWORD_MAX_CHARS + 1), confirm: "x".repeat(PASSWORD_MAX_CHARS + 1) },
    ];
    for (const form of cases) {
      assert.notDeepEqual(passwordFormProblems(form), {}, JSON.stringify(form).slice(0, 60));
      assert.equal(setPasswordInput.safeParse({ user: form.user, password: form.password }).success, false, "the server refuses it too");
    }
    for (const user of ["root", "deploy", "_apt", "web-1.admin", "machine$"]) {
      assert.deepEqual(passwordFormProblems({ user, password: "pw", confirm: "pw" }), {}, user);
      assert.equal(setPasswordInput.safeParse({ user, password: "pw" }).success, true, user);
    }
  });
});
