"use client";
import Link from "next/link";
import { useEffect } from "react";
import { buttonClasses, Button } from "@/components/ui/Button";
import { describeError } from "@/components/errors";

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);

  const digest = typeof error === "object" && error !== null && "digest" in error ? String(error.digest) : null;

  return (
    <div role="alert" className="mx-auto max-w-lg rounded-lg border border-red-200 bg-white p-6 shadow-xs">
      <h1 className="text-lg font-semibold text-slate-900">This page could not be shown</h1>
      <p className="mt-2 text-sm text-slate-700">{describeError(error)}</p>
      {digest && <p className="mt-2 font-mono text-xs text-slate-500">Reference: {digest}</p>}
      <div className="mt-5 flex gap-2">
        <Button variant="primary" onClick={() => retry()}>
          Try again
        </Button>
        <Link href="/" className={buttonClasses("secondary")}>
          Go to the fleet overview
        </Link>
      </div>
    </div>
  );
}
