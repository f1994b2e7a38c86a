import NextLink from "next/link";
import type { ComponentProps } from "react";

/**
 * Every link of the dashboard: next/link without prefetching. Next prefetches each link as it scrolls
 * into view, and every page here is rendered per request (it shows libvirt's live state), so each
 * prefetch is a server render nobody may look at: measured after a sign-in, 30 of them (the menu's 15
 * links twice, the summary cards' filtered lists), and one per row of the VM list on every visit. A
 * click asks for the page then, as it would have for any page whose data is live.
 */
export function Link(props: ComponentProps<typeof NextLink>) {
  return <NextLink prefetch={false} {...props} />;
}
