import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, parseCHeaders } from "./c-headers";

const HEADER = `
# define LIBVIRT_DOMAIN_H
# define VIR_UUID_BUFLEN (16)
# define VIR_SECURITY_LABEL_BUFLEN (4096 + 1)
# define VIR_DOMAIN_SCHEDULER_CPU_SHARES "cpu_shares"
# define VIR_CPU_MAPLEN(cpu) (((cpu) + 7) / 8)
# define VIR_DEPRECATED __attribute__((__deprecated__))
typedef enum {
    VIR_DOMAIN_NOSTATE = 0,     /* no state (Since: 0.0.1) */
    VIR_DOMAIN_RUNNING = 1,     /* the domain is running, */
    VIR_DOMAIN_BLOCKED,
# ifdef VIR_ENUM_SENTINELS
    VIR_DOMAIN_LAST
# endif
} virDomainState;
typedef enum {
    VIR_CONNECT_LIST_DOMAINS_ACTIVE = 1 << 0,
    VIR_CONNECT_LIST_DOMAINS_INACTIVE = 1 << 1,
    VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS = 1U << 31,
    VIR_ALIAS = VIR_DOMAIN_RUNNING,
} virConnectListAllDomainsFlags;
`;

test("reads enums (implicit values, shifts, aliases) and object-like defines", () => {
  const h = parseCHeaders([{ file: "libvirt-domain.h", text: HEADER }]);
  assert.deepEqual(
    h.enums.map((e) => [e.name, e.members.map((m) => [m.name, Number(m.value)])]),
    [
      [
        "virDomainState",
        [
          ["VIR_DOMAIN_NOSTATE", 0],
          ["VIR_DOMAIN_RUNNING", 1],
          ["VIR_DOMAIN_BLOCKED", 2],
        ],
      ],
      [
        "virConnectListAllDomainsFlags",
        [
          ["VIR_CONNECT_LIST_DOMAINS_ACTIVE", 1],
          ["VIR_CONNECT_LIST_DOMAINS_INACTIVE", 2],
          ["VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS", 2 ** 31],
          ["VIR_ALIAS", 1],
        ],
      ],
    ],
  );
  // A member defined as another constant says so: flag-types.ts reads it to tell which enums restate which.
  assert.equal(h.enums[1]!.members.find((m) => m.name === "VIR_ALIAS")?.alias, "VIR_DOMAIN_RUNNING");
  assert.equal(h.enums[1]!.members[0]!.alias, undefined);
  assert.equal(h.integers.get("VIR_UUID_BUFLEN"), 16n);
  assert.equal(h.integers.get("VIR_SECURITY_LABEL_BUFLEN"), 4097n);
  assert.equal(h.strings.get("VIR_DOMAIN_SCHEDULER_CPU_SHARES"), "cpu_shares");
  assert.ok(!h.integers.has("VIR_DOMAIN_LAST"), "sentinels are left out");
  assert.ok(!h.integers.has("VIR_CPU_MAPLEN") && !h.integers.has("VIR_DEPRECATED"));
  assert.ok(!h.integers.has("LIBVIRT_DOMAIN_H"));
});

test("evaluates C integer expressions with precedence", () => {
  const symbols = new Map([["A", 4n]]);
  assert.equal(evaluate("1 + 2 * 3", symbols), 7n);
  assert.equal(evaluate("(1 + 2) * 3", symbols), 9n);
  assert.equal(evaluate("1 << A | 1", symbols), 17n);
  assert.equal(evaluate("0x10UL - 1", symbols), 15n);
  assert.equal(evaluate("-1", symbols), -1n);
  assert.equal(evaluate("~0 & 0xff", symbols), 255n);
  assert.equal(evaluate("UNKNOWN + 1", symbols), undefined);
  assert.equal(evaluate("1 +", symbols), undefined);
});
