import type { DateTime } from 'luxon'

/**
 * Control characters (C0, DEL, C1) and the Unicode bidi/format controls that
 * can move the cursor, recolour a terminal or reorder what a line shows.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/** `\xNN` / `\u{NNNN}` for every character a terminal would act on instead of print. */
export function printable(value: unknown): string {
  return String(value ?? '').replace(UNSAFE, (char) => {
    const code = char.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
  })
}

/**
 * Pretty JSON for a terminal: also escapes what JSON.stringify leaves raw (DEL,
 * C1, bidi controls). Its own line breaks stay: they are outside any string.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE, (char) =>
    char === '\n' ? char : `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`
  )
}

/** A time as the commands print it: UTC, ISO 8601, to the second; null when there is none. */
export function isoSeconds(value: DateTime | null | undefined) {
  return value ? value.toUTC().startOf('second').toISO({ suppressMilliseconds: true }) : null
}
