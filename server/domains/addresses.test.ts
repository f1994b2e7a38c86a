import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { uuidFromString, type Connection, type protocol } from "../libvirt";
import { addressesOfRunning, leasedAddresses } from "./addresses";

function dom(name: string): protocol.NonnullDomain {
  return { name, uuid: uuidFromString(randomUUID()), id: 1 };
}

const nicXml = (mac: string) => `<interface type="network"><mac address="${mac}"/><source network="default"/></interface>`;

/** The part of a connection the address lookup uses, counting the XML reads. */
function fakeHost(nets: Record<string, { mac: string | null; ipaddr: string }[] | "fails">, macs: Map<string, string[]>) {
  const reads: string[] = [];
  const conn = {
    connectListAllNetworks: async () => ({ nets: Object.keys(nets).map((name) => ({ name, uuid: Buffer.alloc(16) })), ret: 0 }),
    networkGetDhcpLeases: async ({ net }: { net: { name: string } }) => {
      const leases = nets[net.name]!;
      if (leases === "fails") throw new Error("this function is not supported by the connection driver");
      return { leases, ret: leases.length };
    },
    domainGetXmlDesc: async ({ dom: d }: { dom: protocol.NonnullDomain }) => {
      reads.push(d.name);
      return `<domain type="kvm"><name>${d.name}</name><devices>${(macs.get(d.name) ?? []).map(nicXml).join("")}</devices></domain>`;
    },
  } as unknown as Connection;
  return { conn, reads };
}

test("a running VM's addresses are the leases of its MACs on any active network, matched without regard to case", async () => {
  const web = dom("web");
  const db = dom("db");
  const { conn } = fakeHost(
    {
      default: [
        { mac: "52:54:00:AA:00:01", ipaddr: "192.168.122.10" },
        { mac: "52:54:00:aa:00:02", ipaddr: "192.168.122.11" },
      ],
      lab: [{ mac: "52:54:00:aa:00:01", ipaddr: "10.0.0.10" }],
      broken: "fails",
    },
    new Map([
      ["web", ["52:54:00:aa:00:01"]],
      ["db", ["52:54:00:bb:00:09"]],
    ]),
  );
  const leases = await leasedAddresses(conn);
  const ips = await addressesOfRunning(`host-${randomUUID()}`, conn, [web, db], leases);
  assert.deepEqual([...ips.values()], [["192.168.122.10", "10.0.0.10"]]);
});

test("without any lease no VM's definition is read; with leases each VM's MACs are read once and then cached", async () => {
  const vms = [dom("a"), dom("b")];
  const macs = new Map([
    ["a", ["52:54:00:00:00:0a"]],
    ["b", ["52:54:00:00:00:0b"]],
  ]);
  const hostId = `host-${randomUUID()}`;
  const none = fakeHost({ default: [] }, macs);
  assert.equal((await addressesOfRunning(hostId, none.conn, vms, await leasedAddresses(none.conn))).size, 0);
  assert.deepEqual(none.reads, []);

  const some = fakeHost({ default: [{ mac: "52:54:00:00:00:0b", ipaddr: "192.168.122.2" }] }, macs);
  for (let i = 0; i < 3; i++) await addressesOfRunning(hostId, some.conn, vms, await leasedAddresses(some.conn));
  assert.deepEqual(some.reads.sort(), ["a", "b"]);
});
