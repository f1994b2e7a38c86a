import type { Metadata, Viewport } from "next";
import "./globals.css";
import { getLocale, getMessages, getTranslations } from "next-intl/server";
import { THEME_BOOT_SCRIPT } from "./_components/theme";
import { IntlProvider } from "./_components/intl-provider";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("common.meta");
  return {
    title: { default: "KVM Manager", template: "%s · KVM Manager" },
    description: t("description"),
    manifest: "/manifest.webmanifest",
  };
}

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f8fafc" },
    { media: "(prefers-color-scheme: dark)", color: "#020617" },
  ],
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const locale = await getLocale();
  return (
    <html lang={locale} suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} />
      </head>
      <body className="min-h-dvh antialiased">
        <IntlProvider locale={locale} messages={await getMessages()}>
          {children}
        </IntlProvider>
      </body>
    </html>
  );
}
