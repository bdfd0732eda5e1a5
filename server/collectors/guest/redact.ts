/**
 * Command lines read inside a guest are evidence, not secrets: anything that looks like a password,
 * token or key is replaced by "[redacted]" before a command line is kept anywhere.
 *
 * What is redacted (the tables below):
 * - `--password=x`, `--password x`, `-password x`, `--db-password=x`, `--api-key x`, `--token=x`, ... : a
 *   flag whose name holds a secret word (STRONG_WORD, WEAK_WORD) takes its value away, attached or as the next word
 *   (unless the next word is itself a flag: `mysql --password --verbose` prompts).
 * - `NAME=value` anywhere (environment assignments, `-e MYSQL_ROOT_PASSWORD=x`, `-Dkeystore.password=x`,
 *   `?password=x&`, JDBC `;password=x`, ODBC `;PWD=x`) when NAME holds a secret word.
 * - Short flags of known tools (TOOL_FLAGS): `mysql -pX` (attached only: `-p x` makes mysql prompt and
 *   `x` is the database), `sshpass -p x`, `redis-cli -a x`, `mongosh -p x`, `curl -u user:pass`.
 * - URLs with a password (`scheme://user:pass@host` keeps the user), JDBC Oracle thin `user/pass@host`.
 * - `Bearer x`, `Authorization: Basic x`, AWS access key ids (AKIA…/ASIA…), GitHub, GitLab and Slack
 *   tokens by their shape.
 *
 * Decided near misses (kept): a flag or name that points at a secret rather than holding it keeps its
 * value, because a path or a variable's name is evidence and not the secret: `--password-file=/run/x`,
 * `MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db`, `--token-path`, `--password-env=VAR`, `--secret-dir`, and
 * settings about a secret (`--token-ttl=3600`, `--password-min-length=8`, `--token-timeout`). `PWD=/root`
 * (the shell's working directory) is kept; `pwd=` is a secret only inside a connection string (after `;`,
 * `?` or `&`). `--key=/etc/ssl/k.pem` is kept (a bare "key" is too often a path or a name).
 */
import { GUEST_LIMITS } from "./facts";

export const REDACTED = "[redacted]";

/**
 * Words that make a flag or a NAME= hold a secret, tested on the name lower-cased with camelCase split
 * by "_" (keyStorePassword → key_store_password): the strong words anywhere before a non-letter, the
 * weak ones only as a word of their own (`--bypass-cache` is not a secret; `--db-pass` is).
 */
const STRONG_WORD = /(password|passwd|passphrase|secret|token|apikey|credentials?)(?![a-z])/;
const WEAK_WORD =
  /(^|[^a-z])((db|admin|root|user)?pass|pw|sas|sig|signature|api[-_.]?key|access[-_.]?key|private[-_.]?key|secret[-_.]?key|auth[-_.]?key|session[-_.]?key|client[-_.]?secret|auth)(?![a-z])/;

/** A name ending so is about a secret, not the secret: its value is kept. */
const NOT_A_SECRET_SUFFIX =
  /[-_.](file|path|dir|directory|env|var|ttl|length|len|min[-_.]?length|max[-_.]?length|timeout|expiry|expires?|lifetime|policy|prompt|stdin|command|cmd|helper|type|mode|url|endpoint|id)$/i;

/** `-p`-style flags of known tools: the value attached (`-pX`) and/or as the next word. */
export const TOOL_FLAGS: readonly { tools: RegExp; flag: string; attached: boolean; separate: boolean; userColonPass?: boolean }[] = [
  { tools: /^(mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlpump|mariadb|mariadb-dump|mariadb-admin)$/, flag: "-p", attached: true, separate: false },
  { tools: /^sshpass$/, flag: "-p", attached: true, separate: true },
  { tools: /^redis-cli$/, flag: "-a", attached: true, separate: true },
  { tools: /^(mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop)$/, flag: "-p", attached: true, separate: true },
  { tools: /^(curl)$/, flag: "-u", attached: true, separate: true, userColonPass: true },
  { tools: /^(curl|wget)$/, flag: "--user", attached: false, separate: true, userColonPass: true },
];

/** Whole-word patterns redacted wherever they appear. */
const SHAPES: readonly RegExp[] = [
  /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{16,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{8,}\b/g,
];

function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  return (STRONG_WORD.test(words) || WEAK_WORD.test(words)) && !NOT_A_SECRET_SUFFIX.test(name);
}

/** Redacts within one word (no spaces). */
function redactWord(word: string): string {
  let out = word;
  // scheme://user:pass@host → scheme://user:[redacted]@host
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):([^\s/@]+)@/gi, (_, head: string) => `${head}:${REDACTED}@`);
  // jdbc:oracle:thin:user/pass@host
  out = out.replace(/(jdbc:oracle:[a-z]+:[^\s/:@]+)\/([^\s@]+)@/gi, (_, head: string) => `${head}/${REDACTED}@`);
  // NAME=value, with NAME holding a secret word; inside a connection string, also pwd=
  out = out.replace(
    /(^|[?&;,:"'(]|^-[A-Za-z]|^--?)([A-Za-z_][A-Za-z0-9_.-]*)=([^&;,"')]*)/g,
    (match: string, before: string, name: string, value: string) => {
      const joined = `${before}${name}`.replace(/^-+/, "");
      const connection = /^[?&;]$/.test(before) && /^(pwd|pass)$/i.test(name);
      const secret = isSecretName(name) || (before.startsWith("-") && isSecretName(joined));
      if ((secret || connection) && value !== "" && value !== REDACTED) {
        return `${before}${name}=${REDACTED}`;
      }
      return match;
    },
  );
  for (const shape of SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** "[redacted]" with the word's closing quotes kept. */
function keepQuotes(word: string): string {
  return `${REDACTED}${/["']+$/.exec(word)?.[0] ?? ""}`;
}

function basename(word: string): string {
  const bare = word.replace(/^["']+|["']+$/g, "");
  return bare.slice(bare.lastIndexOf("/") + 1);
}

/** A command line with anything that looks like a secret replaced, control characters made "?", cut. */
export function redactCommandLine(commandLine: string, maxChars: number = GUEST_LIMITS.commandChars): string {
  // Only the start can be kept; past 8 times the limit nothing reaches the output.
  const clean = commandLine.slice(0, Math.max(maxChars * 8, 1024)).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?");
  const parts = clean.split(/(\s+)/);
  let tool = "";
  let pending: "whole" | "userpass" | null = null;
  let afterAuthorization = false;
  for (let i = 0; i < parts.length; i += 1) {
    const word = parts[i]!;
    if (word === "" || /^\s+$/.test(word)) continue;
    if (pending) {
      const isFlag = /^-/.test(word) && word.length > 1;
      if (!isFlag || pending === "userpass") {
        parts[i] =
          pending === "userpass" && word.includes(":") ? `${word.slice(0, word.indexOf(":"))}:${REDACTED}` : pending === "userpass" ? word : keepQuotes(word);
        pending = null;
        continue;
      }
      pending = null;
    }
    const base = basename(word);
    if (TOOL_FLAGS.some((t) => t.tools.test(base))) tool = base;

    // Bearer <token>; Authorization: <scheme> <credentials>
    const unquoted = word.replace(/^["']+/, "");
    if (/^bearer$/i.test(unquoted) || (afterAuthorization && /^(basic|token|digest|negotiate)$/i.test(unquoted))) {
      pending = "whole";
      afterAuthorization = false;
      continue;
    }
    afterAuthorization = /authorization:$/i.test(unquoted);

    // --secret-flag value | --secret-flag=value
    const flag = /^(--?)([A-Za-z][A-Za-z0-9_.-]*)$/.exec(word);
    if (flag && flag[2]!.length > 2 && isSecretName(flag[2]!)) {
      pending = "whole";
      continue;
    }
    let handled = false;
    if (tool) {
      for (const rule of TOOL_FLAGS) {
        if (!rule.tools.test(tool)) continue;
        if (word === rule.flag && rule.separate) {
          pending = rule.userColonPass ? "userpass" : "whole";
          handled = true;
        } else if (rule.attached && word.startsWith(rule.flag) && word.length > rule.flag.length && !word.startsWith("--")) {
          const value = word.slice(rule.flag.length).replace(/^=/, "");
          parts[i] =
            rule.userColonPass && value.includes(":")
              ? `${rule.flag}${value.slice(0, value.indexOf(":"))}:${REDACTED}`
              : rule.userColonPass
                ? word
                : `${rule.flag}${REDACTED}`;
          handled = true;
        }
        if (handled) break;
      }
    }
    if (!handled) parts[i] = redactWord(word);
  }
  const out = parts.join("");
  const chars = Array.from(out);
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join("")}…` : out;
}
