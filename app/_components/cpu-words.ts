import { useTranslations } from "next-intl";

/** How the create form and a VM's Settings tab name the processor choices, so both say the same. */
export type CpuMode = "host-passthrough" | "host-model" | "custom";

const KEY = { "host-passthrough": "hostPassthrough", "host-model": "hostModel", custom: "custom" } as const satisfies Record<CpuMode, string>;

/** The words for each CPU mode in the page's language (catalog vm.cpuMode): `const cpuModeLabel = useCpuModeLabel(); cpuModeLabel("custom")`. */
export function useCpuModeLabel(): (mode: CpuMode) => string {
  const t = useTranslations("vm.cpuMode");
  return (mode) => t(KEY[mode]);
}
