/**
 * Where a source's credentials may live, and how to spot them where they may not.
 *
 * A source's password, token or private key belongs in its secret (encrypted at rest, never
 * returned, see secret-box.ts) and its user name in its username field. Its endpoint and options
 * are plain settings: administrators see them, the audit log records the endpoint. So:
 * - an option value holding private key material (PEM, OpenSSH, PuTTY armour) is refused: option
 *   fields take file paths, and the key itself goes into the secret;
 * - an endpoint carrying a password (`https://user:password@host/sdk`) is refused, and for vSphere,
 *   whose user name comes from the username field only, a user name in the endpoint too.
 *
 * Pure functions, no database: used by the sources router, the docker collector, the audit log and
 * the start-up move of stored credentials (source-credentials.ts).
 */

/** The armour lines of private keys: PEM (PKCS#1, PKCS#8, EC, DSA, encrypted), OpenSSH, SSH2, PGP, PuTTY. */
const PRIVATE_KEY = /-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY|PuTTY-User-Key-File-\d+:/i;

/** Whether this text holds private key material. */
export function looksLikePrivateKey(value: string): boolean {
  return PRIVATE_KEY.test(value);
}

/** The names of the options whose value holds private key material. */
export function keyMaterialOptions(options: Record<string, unknown>): string[] {
  return Object.entries(options)
    .filter(([, value]) => typeof value === "string" && looksLikePrivateKey(value))
    .map(([key]) => key);
}

/** Why these options cannot be stored, or null. */
export function keyMaterialProblem(options: Record<string, unknown>): string | null {
  const keys = keyMaterialOptions(options);
  if (keys.length === 0) return null;
  const names = keys.map((k) => `"${k}"`).join(", ");
  return (
    `${names} ${keys.length === 1 ? "holds" : "hold"} a private key, which options never store (administrators see them): ` +
    `paste the key into the “Password or token” field (the source's secret, stored encrypted) and give the option a file path on the Fleetlens server, or leave it empty`
  );
}

export interface EndpointUserInfo {
  /** The user name in the endpoint, decoded; null when there is none. */
  user: string | null;
  /** The password in the endpoint, decoded; null when there is none. */
  password: string | null;
  /** The endpoint as given, without its user info (`user:password@`). */
  endpoint: string;
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * The user info of an endpoint URL (`scheme://user:password@host…`), as a URL parser (and so each
 * collector) reads it: everything before the last "@" of the authority. Null when there is none.
 */
export function endpointUserInfo(endpoint: string): EndpointUserInfo | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(endpoint);
  if (!scheme) return null;
  const start = scheme[0].length;
  const rest = endpoint.slice(start);
  // The authority ends at the path, the query or the fragment ("\" too for http(s), as browsers do).
  const special = /^https?:/i.test(endpoint);
  const end = rest.search(special ? /[/?#\\]/ : /[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf("@");
  if (at === -1) return null;
  const userInfo = authority.slice(0, at);
  const colon = userInfo.indexOf(":");
  const user = colon === -1 ? userInfo : userInfo.slice(0, colon);
  const password = colon === -1 ? null : userInfo.slice(colon + 1);
  return {
    user: user ? decode(user) : null,
    password: password === null ? null : decode(password),
    endpoint: endpoint.slice(0, start) + rest.slice(at + 1),
  };
}

/** Kinds that take the user name from the username field only (a user in the URL is ignored). */
const USER_FIELD_ONLY = new Set(["vsphere"]);

/**
 * What of the endpoint's user info a source may not keep: any password, and for vSphere the user
 * name too. (libvirt's qemu+ssh://user@host and docker's ssh://user@host name the ssh user, as
 * virsh and docker write them: that stays.) Null when there is nothing to take out.
 */
export function endpointCredentials(kind: string, endpoint: string): EndpointUserInfo | null {
  // A guest source's endpoint is a list of targets, each of which may name its user (`ops@db01`):
  // a password in any of them (`ops:secret@db01`, `ssh://ops:secret@db01`) is refused.
  if (kind === "guest") {
    let password: string | null = null;
    const cleaned = endpoint.replace(/(^|[\s,]|:\/\/)([^\s,/@:]*):(?!\/\/)([^\s,@]*)@/g, (_, before: string, user: string, secret: string) => {
      password ??= secret;
      return `${before}${user}@`;
    });
    return password === null ? null : { user: null, password, endpoint: cleaned };
  }
  const info = endpointUserInfo(endpoint);
  if (!info) return null;
  if (info.password !== null) return info;
  if (USER_FIELD_ONLY.has(kind)) return { ...info, password: null };
  return null;
}

/** Why this endpoint cannot be stored, or null. Never repeats the password. */
export function endpointCredentialsProblem(kind: string, endpoint: string): string | null {
  const found = endpointCredentials(kind, endpoint);
  if (!found) return null;
  if (found.password !== null) {
    return (
      `the endpoint carries a password ("user:password@"), which would be shown and audited in plain text: ` +
      `give the endpoint without it (${found.endpoint}), the user name in the Username field and the password in the “Password or token” field (stored encrypted)`
    );
  }
  return `the endpoint carries a user name ("user@"), which ${kind} sources take from the Username field: give the endpoint without it (${found.endpoint}) and the user name in the Username field`;
}

/**
 * Text with the passwords of any URLs in it taken out (`scheme://user:password@host` becomes
 * `scheme://host`), private key blocks replaced, and NUL characters (which Postgres text and jsonb
 * cannot hold) replaced: for what is written to the audit log.
 */
export function withoutCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi, (whole, scheme: string, userInfo: string) =>
      userInfo.includes(":") ? scheme : whole,
    )
    .replace(/-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY[\s\S]*?(-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-{4,5}|$)/gi, "[private key removed]")
    .replace(/PuTTY-User-Key-File-\d+:[\s\S]*/g, "[private key removed]")
    .replaceAll("\u0000", "\uFFFD");
}
