import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { SignedInOnly, UserMenu } from "@/components/auth/UserMenu";
import { SearchBox } from "@/components/search/SearchBox";
import { Providers } from "@/lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Fleetlens", template: "%s · Fleetlens" },
  description: "Fleet inventory of hosts, virtual machines, containers and images, per customer.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, so that its scripts carry the nonce of the request's
  // Content Security Policy (proxy.ts).
  await connection();
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <nav className="mx-auto flex max-w-screen-2xl flex-wrap items-center gap-x-6 gap-y-2 px-6 py-3" aria-label="Main">
              <Link href="/" className="text-lg font-semibold tracking-tight text-brand-700 dark:text-brand-300">
                Fleetlens
              </Link>
              <SignedInOnly>
                <Link href="/" className="text-sm text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">
                  Fleet
                </Link>
                <Link href="/sources" className="text-sm text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white">
                  Sources
                </Link>
                <SearchBox />
              </SignedInOnly>
              <UserMenu />
            </nav>
          </header>
          <main className="mx-auto max-w-screen-2xl px-6 py-8">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
