/**
 * Text a student typed, whatever the input method, in one form: where answers, answer files, command files and
 * program output are read as answers, they are read through `normalizeTyped` first, so an answer typed with a
 * Chinese input method is the same answer.
 *
 * - Unicode NFKC (UAX #15): full-width letters, digits and punctuation (`：`, `９７２`, `＝`, `，`, `＂`) and the
 *   ideographic and no-break spaces become ASCII;
 * - typographic quotes (“ ” ‘ ’ „ ‚ ‟ ‛ ″ ′, as a Chinese input method types `"` and `'`) become `"` and `'`;
 * - the ideographic full stop and comma (`。`, `、`) become `.` and `,`; the minus sign − becomes `-`;
 * - a byte-order mark and zero-width characters are removed.
 */
export function normalizeTyped(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u201c\u201d\u201e\u201f\u2033\u2036]/g, '"')
    .replace(/[\u2018\u2019\u201a\u201b\u2032\u2035]/g, "'")
    .replace(/\u3002/g, '.')
    .replace(/\u3001/g, ',')
    .replace(/\u2212/g, '-')
    .replace(/[\ufeff\u200b-\u200d\u2060]/g, '');
}

/**
 * Digits written in groups of three (`1,500`, `4,194,304`, `1 500`, `1_500`; a first group of one to three digits,
 * then groups of exactly three, one separator throughout) joined: `1500`. Anything else is left as it is, so
 * `1,5` (a decimal comma, or a typo) is not taken for fifteen. Apply after normalizeTyped (full-width `，` is `,`).
 */
export function joinDigitGroups(text: string): string {
  return text.replace(/(?<![\d.,_])\d{1,3}([, _])\d{3}(?:\1\d{3})*(?![\d,_]| \d)/g, (m) => m.replace(/[, _]/g, ''));
}

/** A whole number as a student may type it (`1500`, `1,500`, `１５００`, ` 1 500 `); undefined when it is not one. */
export function typedInteger(text: string): number | undefined {
  const t = joinDigitGroups(normalizeTyped(text).trim());
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}
