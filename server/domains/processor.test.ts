import { test } from "node:test";
import assert from "node:assert/strict";
import { capabilitiesOfferKvm, cpuRefusal, defaultAccelerator, defaultCpu, parseDomainCapabilitiesCpus } from "./processor";

/** Trimmed from `virsh domcapabilities --virttype qemu` on this machine (libvirt 9.0, QEMU 7.2). */
const TCG_CAPS = `<domainCapabilities><path>/usr/bin/qemu-system-x86_64</path><domain>qemu</domain>
  <cpu>
    <mode name='host-passthrough' supported='no'/>
    <mode name='maximum' supported='yes'/>
    <mode name='host-model' supported='yes'><model fallback='forbid'>EPYC</model></mode>
    <mode name='custom' supported='yes'>
      <model usable='yes' vendor='unknown'>qemu64</model>
      <model usable='no' vendor='Intel'>Skylake-Server</model>
      <model usable='yes' vendor='Intel'>Westmere</model>
      <model usable='yes' vendor='Intel'>Conroe</model>
    </mode>
  </cpu></domainCapabilities>`;

const KVM_CAPS = `<domainCapabilities><domain>kvm</domain><cpu>
    <mode name='host-passthrough' supported='yes'/>
    <mode name='host-model' supported='yes'><model fallback='forbid'>kvm64</model></mode>
    <mode name='custom' supported='yes'><model usable='no'>qemu64</model><model usable='yes'>pentium3</model></mode>
  </cpu></domainCapabilities>`;

test("domain capabilities give the CPU modes the accelerator supports and only the models the host can provide in full", () => {
  assert.deepEqual(parseDomainCapabilitiesCpus(TCG_CAPS), { hostPassthrough: false, hostModel: true, models: ["qemu64", "Conroe", "Westmere"] });
  assert.deepEqual(parseDomainCapabilitiesCpus(KVM_CAPS), { hostPassthrough: true, hostModel: true, models: ["pentium3"] });
});

test("the default CPU is the host's own with KVM and qemu64 with emulation, which cannot pass a CPU through", () => {
  assert.deepEqual(defaultCpu(parseDomainCapabilitiesCpus(KVM_CAPS)), { mode: "host-passthrough" });
  assert.deepEqual(defaultCpu(parseDomainCapabilitiesCpus(TCG_CAPS)), { mode: "custom", model: "qemu64" });
});

test("a CPU the host cannot provide with the chosen accelerator is refused in words", () => {
  const tcg = parseDomainCapabilitiesCpus(TCG_CAPS);
  assert.match(cpuRefusal("qemu", { mode: "host-passthrough" }, tcg) ?? "", /cannot pass its own CPU through to a VM with emulation \(TCG\)/);
  assert.match(cpuRefusal("qemu", { mode: "custom", model: "Skylake-Server" }, tcg) ?? "", /cannot provide CPU model "Skylake-Server" with emulation/);
  assert.equal(cpuRefusal("qemu", { mode: "custom", model: "Westmere" }, tcg), null);
  assert.equal(cpuRefusal("qemu", { mode: "host-model" }, tcg), null);
  assert.equal(cpuRefusal("kvm", { mode: "host-passthrough" }, parseDomainCapabilitiesCpus(KVM_CAPS)), null);
});

test("KVM is offered when the capabilities list it for x86_64, and KVMM_DOMAIN_TYPE overrides the default", () => {
  const caps = (types: string[]) =>
    `<capabilities><host/><guest><os_type>hvm</os_type><arch name='x86_64'>${types.map((t) => `<domain type='${t}'/>`).join("")}</arch></guest></capabilities>`;
  assert.equal(capabilitiesOfferKvm(caps(["qemu", "kvm"])), true);
  assert.equal(capabilitiesOfferKvm(caps(["qemu"])), false);
  assert.equal(defaultAccelerator("auto", true), "kvm");
  assert.equal(defaultAccelerator("auto", false), "qemu");
  assert.equal(defaultAccelerator("qemu", true), "qemu");
});
