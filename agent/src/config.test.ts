import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, defaultConfig, parseConfig } from "./config";

describe("config", () => {
  it("defaults are the secure ones", () => {
    const config = defaultConfig(["/tmp", "/var/tmp"]);
    assert.deepEqual(config.allowed_paths, ["/tmp", "/var/tmp"]);
    assert.equal(config.exec_enabled, false);
    assert.equal(config.allowed_commands, undefined);
    assert.equal(config.allowed_env, undefined);
    assert.equal(config.exec_output_max_bytes, 1024 * 1024);
    assert.equal(config.max_request_bytes, 16 * 1024 * 1024);
    // Password and clock (issue 15 item 4).
    assert.equal(config.set_user_password_enabled, false);
    assert.equal(config.sync_time_enabled, true);
  });

  it("names every offending key", () => {
    assert.throws(
      () => parseConfig('{"max_file_chunk_bytes": 0, "log_level": "loud", "exec_default_timeout_ms": 5000, "exec_max_timeout_ms": 1000}', "test.json", []),
      (error: ConfigError) =>
        error instanceof ConfigError && /test\.json/.test(error.message) && /max_file_chunk_bytes/.test(error.message) && /log_level/.test(error.message),
    );
    assert.throws(() => parseConfig('{"exec_default_timeout_ms": 5000, "exec_max_timeout_ms": 1000}', "t", []), /must not exceed/);
    assert.throws(() => parseConfig("[]", "t", []), ConfigError);
  });

  it("takes allowed_env as variable names, each optionally ending in *", () => {
    assert.deepEqual(parseConfig('{"allowed_env": ["LANG", "LC_*", "*"]}', "t", []).allowed_env, ["LANG", "LC_*", "*"]);
    for (const bad of ['"A=B"', '""', '"LC_*_X"', '"1X"']) {
      assert.throws(() => parseConfig(`{"allowed_env": [${bad}]}`, "t", []), /allowed_env\.0: must be a variable name/);
    }
  });
});
