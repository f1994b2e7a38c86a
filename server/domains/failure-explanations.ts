import { englishErrors } from "@/server/api/english-errors";

/**
 * What a failure from libvirt or QEMU means for the person who asked, in their words: the one table
 * from known failure texts to explanations, each a key of the "errors" catalog (errors.explained.*).
 * The API adds the key to the error it answers, with the English text beside it for clients that show
 * only text (server/api/trpc.ts), and the page shows it in the reader's language with libvirt's own
 * words folded underneath (app/_components/error-explained.tsx). A VM's accelerator and CPU are chosen in the New VM form (changing them on an
 * existing VM belongs with editing its hardware, not done yet), so that is where the words send
 * people. Each text here was seen from libvirt 9.0 / QEMU 7.2, or is quoted in the issue that asked
 * for this table.
 */
/** The explanations the table knows: keys of errors.explained in the catalogs. */
export const FAILURE_KEYS = [
  "kvmNested",
  "noKvm",
  "tcgPassthrough",
  "cpuFeatures",
  "memory",
  "networkInactive",
  "firmware",
  "fileMissing",
  "filePermission",
  "pciSlots",
] as const;
export type FailureKey = (typeof FAILURE_KEYS)[number];

interface Known {
  pattern: RegExp;
  key: FailureKey;
}

const KNOWN: readonly Known[] = [
  {
    // KVM inside a VM (nested) that lacks what QEMU asks of it: "failed to set MSR 0x10a …", "kvm run failed", KVM ioctl assertions.
    pattern: /failed to (set|get) MSR|kvm run failed|KVM_[A-Z_]+ failed|kvm_[a-z_]+: Assertion|Assertion `ret == cpu->kvm_msr_buf/i,
    key: "kvmNested",
  },
  {
    pattern: /Could not access KVM kernel module|failed to initialize kvm|does not support virt type 'kvm'|domaintype=kvm|\/dev\/kvm/i,
    key: "noKvm",
  },
  {
    pattern: /CPU mode 'host-passthrough' for \S+ qemu domain .* is not supported by hypervisor/i,
    key: "tcgPassthrough",
  },
  {
    pattern:
      /guest CPU doesn't match specification|the CPU is incompatible with host CPU|doesn't support requested feature|host CPU does not provide required features/i,
    key: "cpuFeatures",
  },
  {
    pattern: /cannot set up guest memory|Cannot allocate memory|Out of memory/i,
    key: "memory",
  },
  {
    pattern: /network '[^']+' is not active/i,
    key: "networkInactive",
  },
  {
    pattern: /Unable to find any firmware|firmware .*not found|did not find any firmware|Failed to find any firmware/i,
    key: "firmware",
  },
  {
    pattern: /Cannot access storage file|Could not open '[^']+': No such file or directory/i,
    key: "fileMissing",
  },
  {
    pattern: /Could not open '[^']+': Permission denied/i,
    key: "filePermission",
  },
  {
    // A q35 VM has a PCIe root port per device and few spare; hot-plugging into a full one fails so.
    pattern: /No more available PCI slots/i,
    key: "pciSlots",
  },
];

/** The explanation's key for a failure's text, or null when it is not one this table knows. */
export function failureKey(message: string): FailureKey | null {
  return KNOWN.find((k) => k.pattern.test(message))?.key ?? null;
}

/** The explanation of a failure's text in English, or null when it is not one this table knows. */
export function explainFailure(message: string): string | null {
  const key = failureKey(message);
  return key ? englishErrors(`explained.${key}`) : null;
}
