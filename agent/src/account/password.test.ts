import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../protocol/errors";
import { methods } from "../../protocol/methods";
import { parseConfig } from "../config";
import { Logger, type Severity } from "../log";
import type { Platform } from "../platform/platform";
import { Dispatcher } from "../rpc/dispatcher";
import { buildHandlers, disabledReason } from "../rpc/handlers";
import { setUserPassword, type PasswordDeps } from "./password";
import type { CommandOutcome } from "./run";

const SECRET = "s3cret-Pässword with spaces";

interface Call {
  file: string;
  args: readonly string[];
  stdin: string | undefined;
}

/** getent knows `users`; chpasswd answers `chpasswd`'s outcome. Every call is recorded. */
function fakeAccount(users: string[], chpasswd: Partial<CommandOutcome> = {}, getentMissing = false): PasswordDeps & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    readPasswd: async () => users.map((u) => `${u}:x:1000:1000::/home/${u}:/bin/sh`).join("\n") + "\n",
    run: async (file, args, stdin) => {
      calls.push({ file, args, stdin });
      if (file === "getent") {
        if (getentMissing) return { code: null, stdout: "", stderr: "", errno: "ENOENT" };
        return users.includes(args[1]!) ? { code: 0, stdout: `${args[1]}:x:1000:1000::/home:/bin/sh\n`, stderr: "" } : { code: 2, stdout: "", stderr: "" };
      }
      return { code: 0, stdout: "", stderr: "", ...chpasswd };
    },
  };
}

describe("set_user_password params", () => {
  const parse = (params: unknown) => methods.set_user_password.params.safeParse(params);
  const messages = (params: unknown) => {
    const result = parse(params);
    assert.equal(result.success, false, `accepted ${JSON.stringify(params)}`);
    return result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };

  it("accepts a Linux user name and a clear-text password, or a crypt hash with crypted", () => {
    assert.ok(parse({ username: "deploy", password: SECRET }).success);
    assert.ok(parse({ username: "svc_backup-1", password: "x" }).success);
    assert.ok(parse({ username: "deploy", password: "$6$salt$abcdefghijklmnopqrstuvwxyz./0123456789", crypted: true }).success);
    assert.ok(parse({ username: "deploy", password: "$y$j9T$salt$hash", crypted: true }).success);
  });

  it("refuses a password with ':' or a line break, saying why, without quoting the password", () => {
    for (const password of ["a:b", "a\nroot:x", "a\rb", "a\0b"]) {
      const text = messages({ username: "deploy", password });
      assert.match(text, /password: must not contain ':', a line break or NUL \(chpasswd reads user:password lines\)/);
      assert.ok(!text.includes(password), text);
    }
  });

  it("refuses user names that are not Linux user names, empty or overlong passwords, and a non-hash with crypted", () => {
    for (const username of ["", "root:0", "a b", "-rf", "x".repeat(33), "deploy\n"]) assert.match(messages({ username, password: "x" }), /^username: /);
    assert.match(messages({ username: "deploy", password: "" }), /^password: /);
    assert.match(messages({ username: "deploy", password: "x".repeat(1025) }), /^password: /);
    assert.match(messages({ username: "deploy", password: "plain", crypted: true }), /password: with crypted, must be a crypt\(3\) hash/);
    assert.match(messages({ username: "deploy", password: "x", extra: 1 }), /Unrecognized key/);
  });
});

describe("setUserPassword", () => {
  it("feeds `user:password` to chpasswd on stdin, nothing in argv; -e for a hash", async () => {
    const account = fakeAccount(["deploy"]);
    assert.deepEqual(await setUserPassword({ username: "deploy", password: SECRET }, account), { username: "deploy", crypted: false });
    await setUserPassword({ username: "deploy", password: "$6$s$h", crypted: true }, account);
    assert.deepEqual(account.calls, [
      { file: "getent", args: ["passwd", "deploy"], stdin: undefined },
      { file: "chpasswd", args: [], stdin: `deploy:${SECRET}\n` },
      { file: "getent", args: ["passwd", "deploy"], stdin: undefined },
      { file: "chpasswd", args: ["-e"], stdin: "deploy:$6$s$h\n" },
    ]);
  });

  it("in the packaged unit's sandbox, runs chpasswd outside it through systemd-run, the line still on stdin only", async () => {
    const account = { ...fakeAccount(["deploy"]), outsideSandbox: true };
    await setUserPassword({ username: "deploy", password: SECRET }, account);
    assert.deepEqual(account.calls[1], {
      file: "systemd-run",
      args: [
        "--wait",
        "--pipe",
        "--quiet",
        "--collect",
        "--service-type=exec",
        "--property=Description=KVM Manager agent: set_user_password",
        "--",
        "chpasswd",
      ],
      stdin: `deploy:${SECRET}\n`,
    });
  });

  it("refuses a user getent does not know with NotFound, and never runs chpasswd", async () => {
    const account = fakeAccount(["deploy"]);
    await assert.rejects(setUserPassword({ username: "ghost", password: SECRET }, account), (error: Error & { code: number }) => {
      assert.equal(error.code, ErrorCode.NotFound);
      assert.equal(error.message, 'set_user_password: user "ghost" does not exist in the guest');
      return true;
    });
    assert.deepEqual(
      account.calls.map((c) => c.file),
      ["getent"],
    );
  });

  it("reads /etc/passwd where getent is missing (busybox)", async () => {
    const account = fakeAccount(["deploy"], {}, true);
    await setUserPassword({ username: "deploy", password: SECRET }, account);
    await assert.rejects(setUserPassword({ username: "dep", password: SECRET }, account), /user "dep" does not exist/);
  });

  it("a chpasswd failure is an IoError naming the user, with the password cut out of what chpasswd said", async () => {
    const account = fakeAccount(["deploy"], { code: 1, stderr: `chpasswd: (line 1, user deploy) password not changed: ${SECRET}\n` });
    await assert.rejects(setUserPassword({ username: "deploy", password: SECRET }, account), (error: Error & { code: number }) => {
      assert.equal(error.code, ErrorCode.IoError);
      assert.match(error.message, /chpasswd failed for user "deploy" \(exit 1\): .*password not changed: \[redacted\]/);
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  });
});

describe("set_user_password through the dispatcher", () => {
  const platform = { os: "linux" } as Platform;

  async function dispatchAll(configText: string, account: PasswordDeps, requests: unknown[]) {
    const lines: Array<[Severity, string]> = [];
    const log = new Logger("debug", { write: (severity, line) => lines.push([severity, line]) });
    const config = parseConfig(configText, "test", ["/tmp"]);
    const dispatcher = new Dispatcher({
      handlers: buildHandlers({ config, platform, log, agentInfo: () => ({}) as never, freezer: null, account }),
      disabledReason: (capability) => disabledReason(config, capability),
      maxConcurrent: 8,
      maxLineBytes: 1 << 20,
      log,
    });
    const answers: string[] = [];
    for (const request of requests) answers.push((await dispatcher.dispatch(Buffer.from(JSON.stringify(request)))).line!.toString("utf8"));
    return { lines, answers };
  }
  const request = (id: number, params: unknown) => ({ jsonrpc: "2.0", id, method: "set_user_password", params });

  it("is off by default: PermissionDenied naming the config switch, chpasswd never runs", async () => {
    const account = fakeAccount(["deploy"]);
    const { answers } = await dispatchAll("{}", account, [request(1, { username: "deploy", password: SECRET })]);
    assert.match(answers[0]!, /"code":-32000,"message":"set_user_password is disabled: set_user_password_enabled is false in the agent config"/);
    assert.equal(account.calls.length, 0);
  });

  it("the password appears in no log line and no answer: success, unknown user, chpasswd failure, refused params", async () => {
    const ok = await dispatchAll('{"set_user_password_enabled": true}', fakeAccount(["deploy"]), [
      request(1, { username: "deploy", password: SECRET }),
      request(2, { username: "ghost", password: SECRET }),
      request(3, { username: "deploy", password: `${SECRET}:0:0` }),
    ]);
    const failing = await dispatchAll('{"set_user_password_enabled": true}', fakeAccount(["deploy"], { code: 1, stderr: `bad ${SECRET}` }), [
      request(4, { username: "deploy", password: SECRET }),
    ]);
    const lines = [...ok.lines, ...failing.lines].map(([, line]) => line);
    const answers = [...ok.answers, ...failing.answers];
    assert.equal(lines.filter((l) => l.startsWith("audit ")).length, 3, lines.join("\n"));
    assert.match(lines[0]!, /^audit id=1 method=set_user_password username=deploy crypted=false outcome=ok ms=\d+$/);
    assert.match(lines[1]!, /^audit id=2 method=set_user_password username=ghost crypted=false outcome=error code=-32002 /);
    assert.match(answers[2]!, /"code":-32602/);
    for (const text of [...lines, ...answers]) assert.ok(!text.includes(SECRET.slice(0, 8)), text);
  });
});
