import { test } from "node:test";
import assert from "node:assert/strict";
import { explainFailure, failureKey } from "./failure-explanations";

const vm = `VM "web-1" on host "local": libvirt: `;

test("KVM failing inside a nested host is explained as a KVM problem with emulation as the way out", () => {
  const msr =
    "internal error: qemu unexpectedly closed the monitor: 2026-11-20T10:00:00.000000Z qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000000ed\n" +
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:2893: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.";
  assert.match(explainFailure(vm + msr) ?? "", /^The host could not run this VM with KVM acceleration.*with Emulation \(TCG\) as its accelerator/);
});

test("the CPU failures seen on this machine's emulation are explained with what to choose instead", () => {
  assert.match(
    explainFailure(`${vm}unsupported configuration: CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 host is not supported by hypervisor`) ?? "",
    /cannot pass the host's own CPU through.*named CPU model/,
  );
  assert.match(
    explainFailure(`${vm}operation failed: guest CPU doesn't match specification: extra features: hypervisor, missing features: vme,pcid`) ?? "",
    /cannot provide every feature of this VM's CPU model/,
  );
});

test("a missing KVM module, memory, a stopped network, firmware and files each get their own explanation", () => {
  assert.match(explainFailure("Could not access KVM kernel module: No such file or directory") ?? "", /does not offer KVM/);
  assert.match(explainFailure("qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory") ?? "", /enough free memory/);
  assert.match(explainFailure("Requested operation is not valid: network 'default' is not active") ?? "", /network this VM is connected to is stopped/);
  assert.match(explainFailure("operation failed: Unable to find any firmware to satisfy 'efi'") ?? "", /UEFI firmware/);
  assert.match(explainFailure("Cannot access storage file '/var/lib/libvirt/images/a.qcow2': No such file or directory") ?? "", /is missing on the host/);
});

test("a hot-plug into a VM without a free PCI slot says to add the device while the VM is off", () => {
  // As libvirt 9.0 answered an interface attached live to a running q35 VM whose root ports were all taken.
  assert.match(explainFailure(`${vm}internal error: No more available PCI slots`) ?? "", /no free slot for another device. Shut the VM down/);
});

test("a text the table does not know gets no explanation", () => {
  assert.equal(explainFailure(`${vm}Requested operation is not valid: domain is already running`), null);
});

test("each explanation has a catalog key, sent beside the English text for pages to translate", () => {
  assert.equal(failureKey("Requested operation is not valid: network 'default' is not active"), "networkInactive");
  assert.equal(failureKey(`${vm}Requested operation is not valid: domain is already running`), null);
});
