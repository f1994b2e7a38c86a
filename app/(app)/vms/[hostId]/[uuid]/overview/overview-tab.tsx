"use client";

import { formatBytes } from "@/app/_components/format";
import { Fact } from "@/app/_components/fact";
import { VmThumbnail } from "@/app/_components/vm-thumbnail";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";

/** What the VM is: its size and firmware, where its disks and network cards point. */
export function OverviewTab({ initial, canSeeScreen }: { initial: Vm; canSeeScreen: boolean }) {
  const vm = useVm(initial);
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      {canSeeScreen && vm.graphics.length > 0 && (
        <Section title="Screen">
          <VmThumbnail hostId={vm.hostId} uuid={vm.uuid} name={vm.name} running={vm.state === "running" || vm.state === "paused"} className="max-w-md" />
        </Section>
      )}
      <Section title="Overview">
        <dl className="grid grid-cols-2 gap-3 text-sm">
          <Fact label="UUID" wide className="break-all font-mono">
            {vm.uuid}
          </Fact>
          <Fact label="vCPUs">{vm.vcpus}</Fact>
          <Fact label="Memory">{formatBytes(vm.memoryKiB * 1024)}</Fact>
          <Fact label="Firmware">{vm.firmware.toUpperCase()}</Fact>
          <Fact label="Virtualisation">{vm.domainType === "kvm" ? "KVM" : "emulated (TCG)"}</Fact>
          <Fact label="Autostart">{vm.autostart ? "yes" : "no"}</Fact>
          <Fact label="Tags">{vm.tags.length ? vm.tags.join(", ") : "—"}</Fact>
        </dl>
      </Section>
      <Section title="Disks">
        {vm.disks.length === 0 ? (
          <p className="text-sm">
            {vm.directKernel ? (
              <>
                No disks: this VM needs none to start, because libvirt boots a kernel directly (direct kernel boot) from{" "}
                <span className="break-all font-mono">{vm.directKernel.kernel}</span>
                {vm.directKernel.initrd && (
                  <>
                    {" "}
                    with the initial RAM disk <span className="break-all font-mono">{vm.directKernel.initrd}</span>
                  </>
                )}
                .
              </>
            ) : (
              "No disks."
            )}
          </p>
        ) : (
          <ul className="space-y-2 text-sm">
            {vm.disks.map((d) => (
              <li key={d.target} className="break-all">
                <span className="font-mono">{d.target}</span> {d.device} on {d.bus}
                {d.format && `, ${d.format}`} — {d.source ?? "empty"}
                {d.readonly && " (read-only)"}
                {vm.missingFiles
                  .filter((m) => m.target === d.target)
                  .map((m) => (
                    <p key={m.path} className="mt-1 text-red-700 dark:text-red-300">
                      {m.backing ? "Its backing file " : "Its file "}
                      <span className="font-mono">{m.path}</span> is missing on the host:{" "}
                      {vm.state === "shutoff" ? "the VM will not start" : "the VM will not start again"} until this disk is detached or the file is restored.
                    </p>
                  ))}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Network">
        {vm.nics.length === 0 ? (
          <p className="text-sm">No network interfaces.</p>
        ) : (
          <ul className="space-y-2 text-sm">
            {vm.nics.map((n, i) => (
              <li key={n.mac ?? i} className="break-all">
                <span className="font-mono">{n.mac ?? "no MAC"}</span> — {n.type}
                {n.source && ` ${n.source}`}
                {n.model && `, ${n.model}`}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}
