import type { Metadata } from "next";
import Link from "next/link";
import { buttonClasses } from "@/components/ui/Button";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <div className="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-6 text-center shadow-xs">
      <p className="text-sm font-semibold text-brand-700">404</p>
      <h1 className="mt-1 text-xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">There is nothing at this address. The link may be old or mistyped.</p>
      <div className="mt-5 flex justify-center gap-2">
        <Link href="/" className={buttonClasses("primary")}>
          Fleet overview
        </Link>
        <Link href="/sources" className={buttonClasses("secondary")}>
          Sources
        </Link>
      </div>
    </div>
  );
}
