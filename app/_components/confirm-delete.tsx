"use client";

import type { ReactNode } from "react";
import { useTranslations } from "next-intl";
import { ConfirmDialog } from "./confirm-dialog";

/**
 * The confirmation dialog worded for a delete: "Delete network web-net?", the red button, and
 * "Deleting…" while it runs. The explanation (and any fields, such as the name typed back) are
 * the children; while `ready` is false the button stays off.
 */
export function ConfirmDelete({
  what,
  confirmLabel,
  mutation,
  ready = true,
  onConfirm,
  onCancel,
  children,
}: {
  /** "network web-net", in the page's language: the dialog's title asks "Delete network web-net?". */
  what: string;
  confirmLabel: string;
  /** The delete mutation: while it runs the button waits, and its error is shown. */
  mutation: { isPending: boolean; error: { message: string } | null };
  ready?: boolean;
  onConfirm: (form: FormData) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const t = useTranslations("common.confirm");
  return (
    <ConfirmDialog
      title={<span className="break-all">{t("deleteTitle", { what })}</span>}
      confirmLabel={confirmLabel}
      pendingLabel={t("deleting")}
      mutation={mutation}
      ready={ready}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      {children}
    </ConfirmDialog>
  );
}
