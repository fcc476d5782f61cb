/** One message for a field that is missing or empty (its `required` and `minLength(1)` rules). */
export function whenEmpty(field: string, message: string) {
  return { [`${field}.required`]: message, [`${field}.minLength`]: message }
}
