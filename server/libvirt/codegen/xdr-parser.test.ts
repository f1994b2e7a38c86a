import assert from "node:assert/strict";
import { test } from "node:test";
import { XdrSyntaxError } from "./lexer";
import { buildModel } from "./model";
import { methodName, procStructName, typeName, fieldName, enumKeys } from "./names";
import { parseProtocol } from "./xdr-parser";
import { emitProtocol } from "./emit-protocol";

const SOURCE = `
%#include "internal.h"
const MAX_ITEMS = 0x10;
typedef string my_name<64>;
typedef my_name *my_maybe_name;
enum my_color { RED = 1, GREEN = 2 };
struct my_thing {
    my_name name;
    unsigned flags;
    unsigned hyper size;
    opaque uuid[16];
    opaque blob<>;
    char model[8];
    int values<MAX_ITEMS>;
    my_maybe_name alias;
    my_color color;
    struct my_thing *next;
};
union my_value switch (int kind) {
 case 1:
 case 2:
     int i;
 case 3:
     void;
 default:
     double d;
};
const MY_PROGRAM = 0x1234;
const MY_PROTOCOL_VERSION = 1;
enum remote_procedure {
    /**
     * @generate: both
     * @acl: domain:read
     * @acl: domain:read_secure:VIR_DOMAIN_XML_SECURE
     */
    REMOTE_PROC_MY_THING = 1,
    /** @readstream: 1 */
    REMOTE_PROC_MY_DOWNLOAD = 2
};
`;

test("parses consts, typedefs, enums, structs and unions with their shapes", () => {
  const file = parseProtocol(SOURCE, "my.x");
  const kinds = file.definitions.map((d) => d.kind);
  assert.deepEqual(kinds, ["const", "typedef", "typedef", "enum", "struct", "union", "const", "const", "enum"]);
  const struct = file.definitions[4];
  assert.ok(struct?.kind === "struct");
  const shapes = Object.fromEntries(struct.fields.map((f) => [f.name, [f.type.kind, f.shape.kind]]));
  assert.deepEqual(shapes, {
    name: ["named", "scalar"],
    flags: ["uint", "scalar"],
    size: ["uhyper", "scalar"],
    uuid: ["opaque", "fixed"],
    blob: ["opaque", "var"],
    model: ["char", "fixed"],
    values: ["int", "var"],
    alias: ["named", "scalar"],
    color: ["named", "scalar"],
    next: ["named", "optional"],
  });
  const union = file.definitions[5];
  assert.ok(union?.kind === "union");
  assert.deepEqual(
    union.arms.map((a) => [a.cases, a.decl?.name ?? null]),
    [
      [[{ num: 1 }, { num: 2 }], "i"],
      [[{ num: 3 }], null],
    ],
  );
  assert.equal(union.defaultArm?.name, "d");
});

test("reads procedure annotations from the comment before each member", () => {
  const file = parseProtocol(SOURCE, "my.x");
  const headers = { enums: [], integers: new Map(), strings: new Map(), order: [] };
  // The model wants all three program enums; give it empty ones for qemu and keepalive.
  const extra = parseProtocol(
    "const QEMU_PROGRAM = 1; const QEMU_PROTOCOL_VERSION = 1; enum qemu_procedure { QEMU_PROC_X = 1 };" +
      "const KEEPALIVE_PROGRAM = 2; const KEEPALIVE_PROTOCOL_VERSION = 1; enum keepalive_procedure { KEEPALIVE_PROC_PING = 1 };" +
      "const REMOTE_PROGRAM = 3; const REMOTE_PROTOCOL_VERSION = 1;",
    "extra.x",
  );
  const model = buildModel([file, extra], headers);
  const remote = model.programs.find((p) => p.prefix === "remote")!;
  assert.deepEqual(remote.procedures[0], {
    name: "REMOTE_PROC_MY_THING",
    number: 1,
    args: null,
    ret: null,
    msg: null,
    stream: null,
    acl: ["domain:read", "domain:read_secure:VIR_DOMAIN_XML_SECURE"],
  });
  assert.equal(remote.procedures[1]?.stream, "read");
  assert.equal(model.resolve({ ident: "MAX_ITEMS" }), 16);
});

test("emits codecs that use the declared bounds", () => {
  const file = parseProtocol(SOURCE, "my.x");
  const extra = parseProtocol(
    "const QEMU_PROGRAM = 1; const QEMU_PROTOCOL_VERSION = 1; enum qemu_procedure { QEMU_PROC_X = 1 };" +
      "const KEEPALIVE_PROGRAM = 2; const KEEPALIVE_PROTOCOL_VERSION = 1; enum keepalive_procedure { KEEPALIVE_PROC_PING = 1 };" +
      "const REMOTE_PROGRAM = 3; const REMOTE_PROTOCOL_VERSION = 1;",
    "extra.x",
  );
  const code = emitProtocol(buildModel([file, extra], { enums: [], integers: new Map(), strings: new Map(), order: [] }));
  assert.match(code, /w\.array\(v\.values, 16, \(w, x\) => w\.int\(x\)\);/);
  assert.match(code, /w\.opaqueVar\(v\.blob, 4294967295\);/);
  assert.match(code, /alias: string \| null;/);
  assert.match(code, /next: MyThing \| null;/);
  assert.match(code, /\| \{ kind: 1 \| 2; i: number \}/);
  assert.match(code, /\| \{ kind: number; d: number \};/);
});

test("reports syntax errors with file and line", () => {
  assert.throws(
    () => parseProtocol("struct a {\n int x\n};", "bad.x"),
    (err: unknown) => {
      assert.ok(err instanceof XdrSyntaxError);
      assert.match(err.message, /^bad\.x:3: expected ';'/);
      return true;
    },
  );
  assert.throws(() => parseProtocol("typedef string s;", "bad.x"), /string s needs a length/);
  assert.throws(() => parseProtocol("struct a { struct { int x; } y; };", "bad.x"), /inline struct/);
});

test("maps C names to TypeScript names by libvirt convention", () => {
  assert.equal(typeName("remote_nonnull_domain"), "NonnullDomain");
  assert.equal(typeName("qemu_domain_agent_command_args"), "QemuDomainAgentCommandArgs");
  assert.equal(typeName("virNetMessageError"), "VirNetMessageError");
  assert.equal(fieldName("need_results"), "needResults");
  assert.equal(fieldName("callbackID"), "callbackID");
  assert.equal(methodName("REMOTE_PROC_CONNECT_GET_HOSTNAME"), "connectGetHostname");
  assert.equal(methodName("QEMU_PROC_DOMAIN_AGENT_COMMAND"), "qemuDomainAgentCommand");
  assert.equal(procStructName("REMOTE_PROC_DOMAIN_GET_XML_DESC", "args"), "remote_domain_get_xml_desc_args");
  assert.deepEqual(enumKeys(["VIR_DOMAIN_NOSTATE", "VIR_DOMAIN_RUNNING"]), ["NOSTATE", "RUNNING"]);
  assert.deepEqual(enumKeys(["VIR_DOMAIN_NOSTATE_UNKNOWN"]), ["VIR_DOMAIN_NOSTATE_UNKNOWN"]);
  assert.deepEqual(enumKeys(["VIR_X_1", "VIR_X_2"]), ["VIR_X_1", "VIR_X_2"]);
});
