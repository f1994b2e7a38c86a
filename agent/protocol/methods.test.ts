import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { capabilities, methodNames, methods } from "./methods";
import { notifications } from "./notifications";

const contractMethods = [
  "ping",
  "sync",
  "get_agent_info",
  "get_system_info",
  "get_network_info",
  "get_disk_usage",
  "get_metrics",
  "list_processes",
  "get_users",
  "exec_command",
  "file_read",
  "file_write",
  "file_stat",
  "file_list",
  "file_rename",
  "file_remove",
  "shutdown",
  "reboot",
  "fs_freeze",
  "fs_thaw",
  "fs_freeze_status",
  // Password and clock (issue 15 item 4).
  "set_user_password",
  "sync_time",
  // Services and packages (issue 15).
  "list_services",
  "service_action",
  "list_packages",
  // Self-update (issue 15 item 5).
  "agent_update_begin",
  "agent_update_chunk",
  "agent_update_commit",
  "agent_update_abort",
  "online_hotplugged",
];

describe("method table", () => {
  it("holds exactly the methods of the design contract", () => {
    assert.deepEqual([...methodNames].sort(), [...contractMethods].sort());
  });

  for (const name of methodNames) {
    it(`${name}: its example matches its schemas`, () => {
      const spec = methods[name];
      assert.ok(capabilities.includes(spec.capability));
      spec.params.parse(spec.example.params);
      spec.result.parse(spec.example.result);
    });
  }

  for (const [name, spec] of Object.entries(notifications)) {
    it(`notification ${name}: its example matches its schema`, () => {
      spec.params.parse(spec.example);
    });
  }

  it("refuses unknown params so typos surface", () => {
    assert.equal(methods.file_stat.params.safeParse({ path: "/tmp", sha256sum: true }).success, false);
    assert.equal(methods.ping.params.safeParse({}).success, true);
  });
});
