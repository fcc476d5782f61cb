import type AccessToken from '#models/access_token'

/**
 * The public shape of a token. `value` is present only when the caller is
 * entitled to see the key (it was just created, or get-or-create returned it).
 */
export function serializeToken(token: AccessToken, value?: string) {
  return {
    id: token.id,
    ...(value ? { value } : {}),
    type: 'bearer',
    name: token.name,
    abilities: token.abilities,
    hint: token.hint,
    status: token.status,
    getOrCreate: token.isRetrievable,
    source: token.source ?? null,
    sourceLabel: token.sourceLabel,
    lastUsedAt: token.lastUsedAt?.toISO() ?? null,
    expiresAt: token.expiresAt?.toISO() ?? null,
    createdAt: token.createdAt.toISO(),
  }
}
