// Preloaded into every test file's process by scripts/test.sh (node --import): a test that sets no
// `timeout` of its own gets KVMM_TEST_TIMEOUT_MS, so an event that never comes fails that one test,
// by name, and the file goes on to its next test.
//
// Not node's --test-timeout alone: on Node 20 (measured on 20.20) it bounds each test *file*
// (nodejs/node#57672 makes it per test in later releases), cancels the file without saying which
// test hung, and counts it as "cancelled" rather than failed. test.sh still passes it, as the bound of a whole file (a
// hook that hangs, or a timed-out test that left a socket open and so keeps its file running).
//
// node:test's named exports are read from its CommonJS module object; replacing `test` and `it`
// there and syncing the exports is what a test file's `import { it } from "node:test"` then sees.
// Subtests (t.test) inherit their parent's timeout; hooks and describe() get none (a suite's
// timeout would bound all of its tests together).
//
// Plain JavaScript: worker threads inherit the --import, and in a worker tsx is not ready for it.
import { createRequire, syncBuiltinESMExports } from "node:module";

const timeoutMs = Number(process.env.KVMM_TEST_TIMEOUT_MS);

/** test(name?, options?, fn?): the options object gains `timeout` unless it has one; one is added when there is none. */
function withTimeout(args) {
  const at = args.findIndex((arg) => typeof arg === "object" && arg !== null);
  if (at >= 0) {
    if (args[at].timeout === undefined) args[at] = { ...args[at], timeout: timeoutMs };
  } else {
    args.splice(typeof args[0] === "string" ? 1 : 0, 0, { timeout: timeoutMs });
  }
  return args;
}

function withDefaultTimeout(original) {
  const wrapped = (...args) => original(...withTimeout(args));
  wrapped.skip = original.skip;
  if (original.todo) wrapped.todo = withDefaultTimeout(original.todo);
  if (original.only) wrapped.only = withDefaultTimeout(original.only);
  return wrapped;
}

if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
  const nodeTest = createRequire(import.meta.url)("node:test");
  nodeTest.test = withDefaultTimeout(nodeTest.test);
  nodeTest.it = withDefaultTimeout(nodeTest.it);
  syncBuiltinESMExports();
}
