"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
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
  const t = useTranslations("vmSettings.delete");
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const remove = useMutation(
    trpc.vms.delete.mutationOptions({
      onSuccess: () => {
        // The list page shows its cached list when it has one: without this the VM would linger there.
        vmCache.remove(vm);
        toasts.success(`vm ${vm.hostId}/${vm.uuid}`, t("deleted", { name: vm.name }));
        router.push("/vms");
      },
    }),
  );
  return (
    <>
      <p className="text-sm">{t("explain")}</p>
      <button type="button" className="btn bg-red-700 text-white hover:bg-red-800" disabled={!hydrated} onClick={() => setAsking(true)}>
        {t("open")}
      </button>
      {asking && (
        <ConfirmDelete
          what={t("what", { name: vm.name })}
          confirmLabel={t("confirm")}
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
            {t.rich("ask", {
              name: vm.name,
              verbatim: (chunks) => (
                <span translate="no" className="break-all font-mono">
                  {chunks}
                </span>
              ),
            })}
          </p>
          <TextField id="confirmName" label={t("nameLabel")} name="confirmName" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <CheckboxField id="deleteStorage" name="deleteStorage" label={t("deleteStorage")} />
        </ConfirmDelete>
      )}
    </>
  );
}
