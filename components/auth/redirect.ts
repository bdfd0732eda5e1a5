/**
 * Where to go after signing in, from the `next` query parameter. Only paths on this site are
 * followed: anything that would leave it ("//evil.example", "/\\evil.example", "https://…",
 * control characters browsers drop) falls back to "/". Pure, for tests/unit/auth-redirect.test.ts.
 */

const BASE = "http://fleetlens.invalid";

/** The pages that never need a signed-in user: going "next" to them after sign-in makes no sense. */
export const OPEN_PATHS = ["/login", "/setup"] as const;

/** Whether `pathname` is one of the sign-in pages (or below one). */
export function isOpenPath(pathname: string): boolean {
  return OPEN_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** A same-site path to go to after sign-in; "/" when `next` is missing or not safe. */
export function safeNext(next: string | readonly string[] | null | undefined): string {
  const value = Array.isArray(next) ? next[0] : next;
  if (typeof value !== "string" || value.length === 0 || value.length > 2000) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  // Browsers ignore tabs and newlines in URLs and read "\" as "/": "/\t/evil" is "//evil".
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return "/";
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  if (isOpenPath(url.pathname)) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page, coming back to `path` (the current page) afterwards. */
export function loginPath(path: string): string {
  const next = safeNext(path);
  return next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}
