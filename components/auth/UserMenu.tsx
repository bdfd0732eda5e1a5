"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";
import { useTRPC } from "@/lib/trpc";
import { errorCode } from "../errors";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { cx, focusRing } from "../ui/cx";
import { Skeleton } from "../ui/Spinner";
import { isOpenPath } from "./redirect";
import { roleLabel, roleTone } from "./roles";

const linkClasses = "rounded text-sm whitespace-nowrap text-slate-600 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white";

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const pathname = usePathname();
  const current = pathname === href || pathname.startsWith(`${href}/`);
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={cx(linkClasses, focusRing, current && "font-medium text-slate-900 dark:text-white")}
    >
      {children}
    </Link>
  );
}

/** Renders its children except on the sign-in and setup pages (for header links). */
export function SignedInOnly({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  return isOpenPath(pathname) ? null : <>{children}</>;
}

/**
 * The right side of the header: administrators' links, who is signed in (name, email, role),
 * their account page and signing out. Nothing on the sign-in and setup pages.
 */
export function UserMenu() {
  const pathname = usePathname();
  const open = isOpenPath(pathname);
  const trpc = useTRPC();
  const me = useQuery({ ...trpc.account.me.queryOptions(), enabled: !open, staleTime: 60_000 });
  const [signingOut, setSigningOut] = useState(false);
  const [signOutError, setSignOutError] = useState<string | null>(null);

  if (open || errorCode(me.error) === "UNAUTHORIZED") return null;

  async function signOut() {
    setSigningOut(true);
    setSignOutError(null);
    try {
      // An SSO provider with a logout page gets the browser next (better-auth's client follows its
      // URL), and sends it back to the sign-in page.
      // better-auth's client loads here, on the click, not with every page (bench/bundle.ts).
      const { authClient } = await import("@/lib/auth-client");
      const result = await authClient.signOut({ callbackURL: "/login" });
      if (result.error) throw new Error(result.error.message || "the server refused");
      if (result.data && "redirect" in result.data && result.data.redirect) return;
      // A full load: nothing this user's pages cached (queries, router cache) stays in memory.
      // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- see above
      window.location.assign("/login");
    } catch (error) {
      setSignOutError(`Signing out failed: ${error instanceof Error ? error.message : String(error)}`);
      setSigningOut(false);
    }
  }

  const user = me.data;
  return (
    <div className="ml-auto flex flex-wrap items-center justify-end gap-x-5 gap-y-2">
      <NavLink href="/parameters">Parameters</NavLink>
      {user?.role === "admin" && (
        <>
          <NavLink href="/admin/users">Users</NavLink>
          <NavLink href="/admin/audit">Audit log</NavLink>
          <span aria-hidden="true" className="h-5 w-px bg-slate-200 dark:bg-slate-700" />
        </>
      )}
      {me.isPending ? (
        <Skeleton className="h-8 w-40" />
      ) : user ? (
        <div className="flex items-center gap-2">
          <span className="sr-only">Signed in as</span>
          <span className="min-w-0 text-right leading-tight">
            <span className="block max-w-48 truncate text-sm font-medium text-slate-900 dark:text-slate-100" title={user.name}>
              {user.name || user.email}
            </span>
            <span className="hidden max-w-48 truncate text-xs text-slate-500 sm:block dark:text-slate-400" title={user.email}>
              {user.email}
            </span>
          </span>
          <Badge tone={roleTone(user.role)} title="Your role">
            {roleLabel(user.role)}
          </Badge>
        </div>
      ) : null}
      {user && <NavLink href="/account">Account</NavLink>}
      <Button size="sm" onClick={signOut} busy={signingOut}>
        Sign out
      </Button>
      {signOutError && (
        <p role="alert" className="text-xs text-red-700 dark:text-red-300">
          {signOutError}
        </p>
      )}
    </div>
  );
}
