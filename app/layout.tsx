import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { Providers } from "@/lib/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Fleetlens", template: "%s · Fleetlens" },
  description: "Fleet inventory of hosts, virtual machines, containers and images, per customer.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="border-b border-slate-200 bg-white">
            <nav className="mx-auto flex max-w-screen-2xl items-center gap-6 px-6 py-3" aria-label="Main">
              <Link href="/" className="text-lg font-semibold tracking-tight text-brand-700">
                Fleetlens
              </Link>
              <Link href="/" className="text-sm text-slate-600 hover:text-slate-900">
                Fleet
              </Link>
              <Link href="/sources" className="text-sm text-slate-600 hover:text-slate-900">
                Sources
              </Link>
            </nav>
          </header>
          <main className="mx-auto max-w-screen-2xl px-6 py-8">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
