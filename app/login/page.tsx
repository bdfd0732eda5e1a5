import type { Metadata } from "next";
import { LoginForm } from "@/components/auth/LoginForm";
import { safeNext } from "@/components/auth/redirect";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const ssoError = typeof params.error === "string" ? params.error : null;
  return <LoginForm next={safeNext(params.next)} ssoError={ssoError} />;
}
