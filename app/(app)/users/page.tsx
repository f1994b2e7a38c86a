import type { Metadata } from "next";
import { requirePermission } from "@/app/_components/page-session";
import { UsersManager } from "./users-manager";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

export default async function UsersPage() {
  const user = await requirePermission("user.manage");
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Users</h1>
      <UsersManager currentUserId={user.id} />
    </div>
  );
}
