// A config file for libvirt's test driver ("mock" hypervisor, https://libvirt.org/drvtest.html):
// `test+unix:///abs/path.xml` makes libvirtd serve the domains of that file, private to the connection.
import { randomUUID } from "node:crypto";
import { KVMM_XMLNS } from "../../server/domains/xml";

const TEST_NS = "http://libvirt.org/schemas/domain/test/1.0";
/** virDomainState: what `<test:runstate>` takes. */
const SHUTOFF = 5;

export interface FakeVm {
  name: string;
  running: boolean;
  tags: string[];
}

/** `count` VMs as a real host might hold them: every other one running, every third one tagged. */
export function fakeVms(count: number, prefix: string): FakeVm[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i).padStart(4, "0")}`,
    running: i % 2 === 0,
    tags: i % 3 === 0 ? ["bench", i % 2 === 0 ? "web" : "db"] : [],
  }));
}

function domainXml(vm: FakeVm, index: number): string {
  const mac = `52:54:00:${[index >> 16, index >> 8, index].map((b) => (b & 0xff).toString(16).padStart(2, "0")).join(":")}`;
  const metadata = vm.tags.length
    ? `<metadata><kvmm:vm xmlns:kvmm="${KVMM_XMLNS}"><kvmm:tags>${vm.tags.map((t) => `<kvmm:tag>${t}</kvmm:tag>`).join("")}</kvmm:tags></kvmm:vm></metadata>`
    : "";
  return [
    `<domain type="test" xmlns:test="${TEST_NS}">`,
    `<name>${vm.name}</name><uuid>${randomUUID()}</uuid>${metadata}`,
    `<memory unit="MiB">1024</memory><currentMemory unit="MiB">1024</currentMemory><vcpu>2</vcpu>`,
    `<os><type arch="x86_64">hvm</type></os>`,
    `<devices><disk type="file" device="disk"><source file="/var/lib/libvirt/images/${vm.name}.qcow2"/><target dev="vda" bus="virtio"/></disk>`,
    `<interface type="network"><mac address="${mac}"/><source network="default"/></interface></devices>`,
    vm.running ? "" : `<test:runstate>${SHUTOFF}</test:runstate>`,
    `</domain>`,
  ].join("");
}

export function testDriverConfig(vms: readonly FakeVm[]): string {
  const cpu = "<cpu><mhz>2000</mhz><model>x86_64</model><active>32</active><nodes>1</nodes><sockets>2</sockets><cores>8</cores><threads>2</threads></cpu>";
  return `<node>${cpu}<memory>268435456</memory>\n${vms.map(domainXml).join("\n")}\n</node>\n`;
}
