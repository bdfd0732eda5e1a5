/**
 * What the search box's text means before any SQL: LIKE patterns with the user's wildcards made
 * literal, and the forms of a MAC address or an IP address the text may be. Pure functions; the
 * SQL in server/search/search.ts applies the same normalisation to the stored side.
 */

/** C0 controls (NUL, tab, CR, LF, ...), DEL and C1 controls: nothing a search box needs. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A text shorter than this finds only objects with a field equal to it: a trigram index needs three
 * characters, and "ab" anywhere in half a million names is no answer anyway.
 */
export const MIN_CONTAINS = 3;

/** `%`, `_` and the escape character itself made literal for `LIKE ... ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The LIKE patterns of a text, escaped: equal to it, starting with it, containing it. */
export function likePatterns(text: string): { exact: string; prefix: string; contains: string } {
  const escaped = escapeLike(text);
  return { exact: escaped, prefix: `${escaped}%`, contains: `%${escaped}%` };
}

const MAC_COLONS = /^[0-9a-f]{2}([:-][0-9a-f]{2}){0,5}[:-]?$/i;
const MAC_CISCO = /^[0-9a-f]{4}(\.[0-9a-f]{0,4}){1,2}$/i;
const MAC_BARE = /^[0-9a-f]{6,12}$/i;

/**
 * The hex digits of a MAC address or of the start of one, lower case, when the text is written as
 * one: `00:50:56:AB:CD:EF`, `00-50-56-ab-cd-ef`, `0050.56ab.cdef` (Cisco), `005056abcdef`, or a
 * piece of any of them of at least four digits (`00:50`, `0050.56`); else null. A bare word of hex
 * letters needs six digits, so that a name like "cafe" is not taken for a MAC.
 * Compared with stored MACs reduced the same way (`lower(regexp_replace(mac, '[^0-9a-fA-F]', '', 'g'))`).
 */
export function macDigits(text: string): string | null {
  const t = text.trim();
  if (!(MAC_COLONS.test(t) || MAC_CISCO.test(t) || MAC_BARE.test(t))) return null;
  const digits = t.toLowerCase().replace(/[^0-9a-f]/g, "");
  return digits.length >= 4 && digits.length <= 12 ? digits : null;
}

/** aabbccddeeff → aa:bb:cc:dd:ee:ff (the form results show); shorter pieces as pairs. */
export function formatMac(digits: string): string {
  return (digits.match(/.{1,2}/g) ?? []).join(":");
}

const IPV4_PREFIX = /^\d{1,3}(\.\d{0,3}){1,3}$/;
const IPV6_PREFIX = /^[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}$/i;

/**
 * The text as an IP address or the start of one (`10.0.`, `10.0.0.12`, `fe80::1`), lower case, or
 * null. An IPv4 prefix needs a dot and an IPv6 one two colons, so that a number alone ("10") is a
 * name, not every address in 10/8. IP fields match exactly or by prefix, never inside.
 */
export function ipPrefix(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (IPV4_PREFIX.test(t)) {
    return t.split(".").every((part) => part === "" || Number(part) <= 255) ? t : null;
  }
  return IPV6_PREFIX.test(t) ? t : null;
}

/** How a value matched: equal (0) before starting with (1) before containing (2). */
export type MatchRank = 0 | 1 | 2;

/** The rank of a match of `text` in `value`, case-insensitive, or null when it does not match. */
export function matchRank(value: string, text: string): MatchRank | null {
  const v = value.toLowerCase();
  const t = text.toLowerCase();
  if (v === t) return 0;
  if (v.startsWith(t)) return 1;
  return v.includes(t) ? 2 : null;
}
