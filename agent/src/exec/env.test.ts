import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../protocol/errors";
import { checkEnv, DEFAULT_ALLOWED_ENV, envAllowList } from "./env";

const refused = (code: number) => (error: unknown) => error instanceof RpcError && error.code === code;

describe("checkEnv", () => {
  it("refuses loader, shell and interpreter variables whatever the allow-list says", () => {
    for (const name of ["LD_PRELOAD", "LD_ANYTHING", "Path", "BASH_FUNC_ls%%", "PYTHONWARNINGS", "GCONV_PATH"]) {
      assert.throws(() => checkEnv({ [name]: "x" }, undefined), refused(ErrorCode.PermissionDenied), name);
      assert.throws(() => checkEnv({ [name]: "x" }, ["*"]), refused(ErrorCode.PermissionDenied), name);
    }
  });

  it("passes other names without an allow-list, and only matching ones with it", () => {
    checkEnv({ GREETING: "hi", LC_ALL: "C" }, undefined);
    checkEnv({ LC_MESSAGES: "de_DE.UTF-8", TZ: "UTC" }, DEFAULT_ALLOWED_ENV);
    assert.throws(() => checkEnv({ GREETING: "hi" }, DEFAULT_ALLOWED_ENV), refused(ErrorCode.PermissionDenied));
  });

  it("refuses locale and zone values that name a file, and keeps zone names", () => {
    checkEnv({ TZ: "Europe/Berlin" }, undefined);
    checkEnv({ TZ: ":Europe/Berlin" }, undefined);
    const fileNames: Array<Record<string, string>> = [{ LC_ALL: "/tmp/locale" }, { LANG: "../../tmp/x" }, { TZ: "/tmp/zone" }, { TZ: ":/tmp/zone" }];
    for (const env of fileNames) {
      assert.throws(() => checkEnv(env, undefined), refused(ErrorCode.PermissionDenied), JSON.stringify(env));
    }
  });

  it("refuses a name that is no variable name", () => {
    assert.throws(() => checkEnv({ "PATH=/tmp": "x" }, undefined), refused(ErrorCode.InvalidParams));
    assert.throws(() => checkEnv({ "": "x" }, undefined), refused(ErrorCode.InvalidParams));
  });
});

describe("envAllowList", () => {
  it("is allowed_env when set, the default with allowed_commands, and none otherwise", () => {
    assert.deepEqual(envAllowList(["A"], undefined), ["A"]);
    assert.deepEqual(envAllowList(undefined, ["true"]), DEFAULT_ALLOWED_ENV);
    assert.equal(envAllowList(undefined, undefined), undefined);
  });
});
