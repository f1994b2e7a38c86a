/** How the create form and a VM's Settings tab name the processor choices, so both say the same. */
export type CpuMode = "host-passthrough" | "host-model" | "custom";

export const CPU_MODE_LABEL: Record<CpuMode, string> = {
  "host-passthrough": "This host's CPU, passed through (fastest)",
  "host-model": "A copy of this host's CPU model",
  custom: "A named CPU model",
};
