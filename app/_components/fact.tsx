import type { ReactNode } from "react";

/** One fact in a `<dl>` grid: a small label over its value; `wide` takes the whole row (paths, addresses). */
export function Fact({ label, wide = false, className, children }: { label: ReactNode; wide?: boolean; className?: string; children: ReactNode }) {
  return (
    <div className={wide ? "col-span-full min-w-0" : "min-w-0"}>
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className={className}>{children}</dd>
    </div>
  );
}
