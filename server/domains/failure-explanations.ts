/**
 * What a failure from libvirt or QEMU means for the person who asked, in their words: the one table
 * from known failure texts to explanations. The API adds the explanation to the error it answers
 * (server/api/trpc.ts), and the page shows it with libvirt's own words folded underneath. Client-safe
 * (no imports). A VM's accelerator and CPU are chosen in the New VM form (changing them on an
 * existing VM belongs with editing its hardware, not done yet), so that is where the words send
 * people. Each text here was seen from libvirt 9.0 / QEMU 7.2, or is quoted in the issue that asked
 * for this table.
 */
interface Known {
  pattern: RegExp;
  explanation: string;
}

const KNOWN: readonly Known[] = [
  {
    // KVM inside a VM (nested) that lacks what QEMU asks of it: "failed to set MSR 0x10a …", "kvm run failed", KVM ioctl assertions.
    pattern: /failed to (set|get) MSR|kvm run failed|KVM_[A-Z_]+ failed|kvm_[a-z_]+: Assertion|Assertion `ret == cpu->kvm_msr_buf/i,
    explanation:
      "The host could not run this VM with KVM acceleration; this happens when the host is itself a VM without full nested virtualisation. " +
      "Create the VM again with Emulation (TCG) as its accelerator in the New VM form (slower, but it always starts), or enable nested virtualisation on the host's own hypervisor.",
  },
  {
    pattern: /Could not access KVM kernel module|failed to initialize kvm|does not support virt type 'kvm'|domaintype=kvm|\/dev\/kvm/i,
    explanation:
      "This host does not offer KVM acceleration (the kvm module is not loaded, or the CPU lacks virtualisation support). Use emulation (TCG) for this VM.",
  },
  {
    pattern: /CPU mode 'host-passthrough' for \S+ qemu domain .* is not supported by hypervisor/i,
    explanation:
      "Emulation (TCG) cannot pass the host's own CPU through to a VM. Create the VM again in the New VM form with a named CPU model (qemu64 works everywhere) or a copy of the host's CPU model, or with KVM.",
  },
  {
    pattern:
      /guest CPU doesn't match specification|the CPU is incompatible with host CPU|doesn't support requested feature|host CPU does not provide required features/i,
    explanation:
      "The host cannot provide every feature of this VM's CPU model. The New VM form offers only the models this host can provide (qemu64 works everywhere); create the VM again with one of them.",
  },
  {
    pattern: /cannot set up guest memory|Cannot allocate memory|Out of memory/i,
    explanation: "The host does not have enough free memory to start this VM now. Give it less memory, or stop another VM first.",
  },
  {
    pattern: /network '[^']+' is not active/i,
    explanation: "The network this VM is connected to is stopped. Start it on the Networks page, then start the VM again.",
  },
  {
    pattern: /Unable to find any firmware|firmware .*not found|did not find any firmware|Failed to find any firmware/i,
    explanation: "No UEFI firmware (OVMF) matching this VM's settings is installed on the host. Install the ovmf package, or use BIOS firmware.",
  },
  {
    pattern: /Cannot access storage file|Could not open '[^']+': No such file or directory/i,
    explanation: "A disk, image or file this VM uses is missing on the host. Check its disks: a volume may have been deleted or moved.",
  },
  {
    pattern: /Could not open '[^']+': Permission denied/i,
    explanation: "QEMU was not allowed to open one of this VM's files. The file's owner or permissions (or AppArmor/SELinux) keep libvirt's qemu user out.",
  },
  {
    // A q35 VM has a PCIe root port per device and few spare; hot-plugging into a full one fails so.
    pattern: /No more available PCI slots/i,
    explanation:
      "The running VM has no free slot for another device. Shut the VM down and add it then (libvirt gives a VM that is off a new slot), or remove a device it does not need first.",
  },
];

/** The explanation of a failure's text, or null when it is not one this table knows. */
export function explainFailure(message: string): string | null {
  return KNOWN.find((k) => k.pattern.test(message))?.explanation ?? null;
}
