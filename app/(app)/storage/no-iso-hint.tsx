import { Link } from "@/app/_components/link";
import { useTranslations } from "next-intl";

/** The id of the pool page's section for adding ISOs and disk images, which other pages link to. */
export const ADD_IMAGE_ANCHOR = "add-image";

/** Where to put an ISO into a pool: its page, at the upload and download forms. */
export function addImageHref(hostId: string, pool: string): string {
  return `/storage/${encodeURIComponent(hostId)}/${encodeURIComponent(pool)}#${ADD_IMAGE_ANCHOR}`;
}

/**
 * For the create-VM form: when the chosen pool holds no ISO (no volume named *.iso), a link to
 * its page to upload one or have the host download one. Nothing while the volumes are loading.
 */
export function NoIsoHint({ hostId, pool, volumes }: { hostId: string; pool: string; volumes: readonly { name: string }[] | undefined }) {
  const t = useTranslations("storage");
  if (!pool || !volumes || volumes.some((v) => /\.iso$/i.test(v.name))) return null;
  return (
    <p className="text-sm sm:col-span-2">
      {t.rich("noIso", {
        pool,
        link: (chunks) => (
          <Link href={addImageHref(hostId, pool)} className="text-sky-800 underline underline-offset-2 dark:text-sky-300">
            {chunks}
          </Link>
        ),
      })}
    </p>
  );
}
