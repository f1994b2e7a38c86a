/**
 * Browsers send Origin on cross-site POSTs; refusing a foreign one stops another site from
 * driving a signed-in user's browser (SameSite cookies already do most of this, this is the belt).
 */
export function isCrossOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (!origin) return false;
  const host = req.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
