"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { CheckboxField, TextField } from "@/app/_components/form-fields";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import type { Vm } from "../use-vm";

export function DeleteVm({ vm }: { vm: Vm }) {
  const trpc = useTRPC();
  const router = useRouter();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const remove = useMutation(
    trpc.vms.delete.mutationOptions({
      onSuccess: () => {
        // The list page shows its cached list when it has one: without this the VM would linger there.
        vmCache.remove(vm);
        toasts.success(`vm ${vm.hostId}/${vm.uuid}`, `VM ${vm.name} deleted.`);
        router.push("/vms");
      },
    }),
  );
  return (
    <>
      <p className="text-sm">Deleting stops the VM if it runs and removes its definition. This cannot be undone.</p>
      <button type="button" className="btn bg-red-700 text-white hover:bg-red-800" disabled={!hydrated} onClick={() => setAsking(true)}>
        Delete VM…
      </button>
      {asking && (
        <ConfirmDelete
          what={`VM ${vm.name}`}
          confirmLabel="Delete VM"
          mutation={remove}
          // Deleting cannot be undone: the name typed back proves this is the VM meant.
          ready={typed === vm.name}
          onConfirm={(form) => remove.mutate({ hostId: vm.hostId, uuid: vm.uuid, confirmName: typed, deleteStorage: form.get("deleteStorage") === "on" })}
          onCancel={() => {
            setAsking(false);
            setTyped("");
          }}
        >
          <p>
            It stops if it runs, and its definition and snapshots go. Type <span className="break-all font-mono">{vm.name}</span> to confirm.
          </p>
          <TextField id="confirmName" label="VM name" name="confirmName" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <CheckboxField id="deleteStorage" name="deleteStorage" label="Also delete its disk volumes" />
        </ConfirmDelete>
      )}
    </>
  );
}
