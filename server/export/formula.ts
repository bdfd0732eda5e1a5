/**
 * Formula neutralisation for every file Fleetlens exports (CSV today, spreadsheets to come): OWASP
 * "CSV Injection". A spreadsheet runs a text cell as a formula when it starts with = + - or @, and
 * some import settings first drop what comes before: LibreOffice's "Trim spaces" removes leading
 * spaces, quotes are taken as text delimiters, and full-width forms are folded to ASCII. So the
 * question is not "is the first character a trigger" but "is the first character that counts one":
 * the first character that is not whitespace (any Unicode whitespace: space, NBSP, U+3000, tab, CR,
 * LF, ...), an invisible format character, or a quote (" ' and their typographic forms).
 *
 * A cell that would run gets a leading apostrophe, which every spreadsheet shows as text. A tab or a
 * carriage return before that first character is neutralised too, as OWASP lists them (they shift or
 * split the cell in some imports).
 * Numbers are never passed here: -160 is a figure, not a formula.
 */

/** Skipped when looking for the first character that counts. */
const IGNORED = /[\s\u180e\u200b-\u200d\u2060\ufeff"'\u00ab\u00bb\u2018-\u201f\u2039\u203a\u275b-\u275e\u301d-\u301f\uff02\uff07]/u;

/** = + - @ after NFKC, which folds the full-width (＝ ＋ － ＠) and small (﹦ ﹢ ﹣ ﹫) forms. */
const TRIGGERS = new Set(["=", "+", "-", "@"]);

/** Whether a spreadsheet could take this text cell for a formula. */
export function startsLikeFormula(value: string): boolean {
  // The common case first: a cell starting with an ASCII letter or digit cannot be a formula (it is
  // the first character that counts, and no trigger).
  const first = value.charCodeAt(0);
  if ((first >= 48 && first <= 57) || ((first | 32) >= 97 && (first | 32) <= 122)) return false;
  for (const char of value) {
    if (char === "\t" || char === "\r") return true;
    if (IGNORED.test(char)) continue;
    return TRIGGERS.has(char.normalize("NFKC"));
  }
  return false;
}

/** A text cell a spreadsheet would run as a formula, made plain text with a leading apostrophe. */
export function neutraliseFormula(value: string): string {
  return startsLikeFormula(value) ? `'${value}` : value;
}
