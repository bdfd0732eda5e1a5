"use client";
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { authClient, SSO_PROVIDER_ID } from "@/lib/auth-client";
import { useTRPC } from "@/lib/trpc";
import { describeError } from "../errors";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field, inputClasses } from "../ui/Field";
import { describeSignInError } from "./auth-errors";
import { Notice } from "../ui/Notice";

/** better-auth's error codes after a failed single sign-on, in words. */
function describeSsoError(code: string): string {
  const reason: Record<string, string> = {
    signup_disabled: "this account may not sign in with single sign-on",
    account_not_linked: "an account with this email exists already and is not linked to single sign-on",
    unable_to_create_user: "Fleetlens could not create your account",
    email_not_found: "the provider did not share your email address",
    state_mismatch: "the sign-in took too long or was started in another tab",
    please_restart_the_process: "the sign-in took too long or was started in another tab",
  };
  const words = reason[code.toLowerCase()] ?? code.replace(/[_-]+/g, " ");
  return `Single sign-on did not complete: ${words}. Try again, or sign in with your email and password.`;
}

/** Email and password, plus single sign-on when the server offers it. `next` is already safe. */
export function LoginForm({ next, ssoError }: { next: string; ssoError: string | null }) {
  const id = useId();
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.setup.status.queryOptions());
  const sso = status.data?.sso;
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(ssoError ? describeSsoError(ssoError) : null);
  const [busy, setBusy] = useState<"password" | "sso" | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  const needsSetup = status.data?.needsSetup === true;
  useEffect(() => {
    if (needsSetup) router.replace("/setup");
  }, [needsSetup, router]);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy("password");
    try {
      const result = await authClient.signIn.email({ email: email.trim(), password });
      if (result.error) {
        setError(describeSignInError(result.error));
        setBusy(null);
        passwordRef.current?.select();
        return;
      }
      // A full load, not router.replace: the client router may hold the proxy's redirect of this
      // very path to /login from before, and no query cached while signed out may survive.
      window.location.assign(next);
    } catch (caught) {
      setError(describeError(caught));
      setBusy(null);
    }
  }

  async function signInWithSso() {
    setError(null);
    setBusy("sso");
    try {
      const result = await authClient.signIn.social({
        provider: SSO_PROVIDER_ID,
        callbackURL: next,
        errorCallbackURL: next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`,
      });
      // On success the client follows the provider's redirect; only errors come back here.
      if (result.error) {
        setError(
          result.error.status === 404
            ? `Single sign-on is not available right now: Fleetlens could not reach ${sso?.name ?? "the provider"}. Sign in with your email and password, or tell an administrator.`
            : describeError(result.error.message || "Single sign-on could not start. Try again."),
        );
        setBusy(null);
      }
    } catch (caught) {
      setError(describeError(caught));
      setBusy(null);
    }
  }

  return (
    <div className="mx-auto mt-8 max-w-sm">
      <Card as="section" className="p-6">
        <h1 className="text-xl font-semibold tracking-tight text-slate-900">Sign in to Fleetlens</h1>
        <p className="mt-1 text-sm text-slate-600">The inventory of your customers&apos; fleets.</p>

        {error && (
          <Notice tone="error" className="mt-4">
            {error}
          </Notice>
        )}

        <form onSubmit={signIn} className="mt-5 space-y-4">
          <Field label="Email" htmlFor={`${id}-email`}>
            <input
              id={`${id}-email`}
              name="email"
              type="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              className={inputClasses}
            />
          </Field>
          <Field label="Password" htmlFor={`${id}-password`}>
            <input
              id={`${id}-password`}
              ref={passwordRef}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              className={inputClasses}
            />
          </Field>
          <Button type="submit" variant="primary" className="w-full" busy={busy === "password"} disabled={busy !== null}>
            Sign in
          </Button>
        </form>

        {sso && (
          <>
            <div className="my-5 flex items-center gap-3 text-xs text-slate-500" aria-hidden="true">
              <span className="h-px flex-1 bg-slate-200" />
              or
              <span className="h-px flex-1 bg-slate-200" />
            </div>
            <Button className="w-full" onClick={signInWithSso} busy={busy === "sso"} disabled={busy !== null}>
              Sign in with {sso.name}
            </Button>
          </>
        )}
      </Card>
      <p className="mt-4 text-center text-xs text-slate-500">
        No account? Ask a Fleetlens administrator to create one for you.
      </p>
    </div>
  );
}
