import type AuditEvent from '#models/audit_event'

/**
 * The public shape of an event for its subject (GET /api/v1/events): a staff
 * member who acted is named by role only, and nothing secret is in `data`.
 */
export function serializeEvent(event: AuditEvent) {
  return {
    id: event.id,
    event: event.event,
    createdAt: event.createdAt.toISO(),
    actor: {
      type: event.actorType,
      ...(event.actorType === 'user' ? { id: event.actorId } : {}),
    },
    tokenId: event.tokenId,
    ip: event.ip,
    userAgent: event.userAgent,
    data: event.data,
  }
}

const LABELS: Record<string, string> = {
  'sign_in.succeeded': 'Signed in',
  'sign_in.failed': 'Sign-in refused',
  'sign_in.throttled': 'Sign-in attempts throttled',
  'token.created': 'Token created',
  'token.obtained': 'Token obtained',
  'token.rotated': 'Token rotated',
  'token.revoked': 'Token revoked',
  'token.expired_refused': 'Expired token refused',
  'token.revoked_leaked': 'Token revoked as leaked',
  'user.created': 'Account created',
  'user.activated': 'Account activated',
  'user.deactivated': 'Account deactivated',
  'user.staff_changed': 'Staff status changed',
  'user.password_changed': 'Password changed',
  'import.run': 'DRF import run',
}

const ACTORS: Record<string, string> = {
  user: 'you',
  staff: 'an administrator',
  cli: 'an operator (command line)',
  import: 'the DRF import',
  system: 'Gatehouse',
}

/**
 * One line a person can read: what happened, to which token, and who did it.
 * A person sees "you" / "an administrator"; staff see who (`actors`: id → username).
 */
export function describeEvent(
  event: AuditEvent,
  { staffView = false, actors = {} as Record<number, string> } = {}
) {
  const data = event.data ?? {}
  let what = LABELS[event.event] ?? event.event
  if (typeof data.name === 'string') what += ` “${data.name}”`
  if (data.all) what = `All tokens revoked (${data.count ?? 0})`
  if (event.event === 'token.obtained' && data.created === false) what += ' (existing key)'
  if (event.event === 'sign_in.failed' && data.reason === 'inactive') what += ' (account inactive)'
  if (event.event === 'user.staff_changed') {
    what += `: ${data.isSuperuser ? 'superuser' : data.isStaff ? 'staff' : 'no staff access'}`
  }
  return { what, by: staffView ? staffLabel(event, actors) : ACTORS[event.actorType] }
}

function staffLabel(event: AuditEvent, actors: Record<number, string>) {
  if (event.actorType === 'user' && event.actorId === event.userId) return 'the user'
  if (event.actorType !== 'user' && event.actorType !== 'staff') return ACTORS[event.actorType]
  const name = event.actorId === null ? undefined : actors[event.actorId]
  return `${event.actorType} ${name ?? `#${event.actorId}`}`
}

/** A short user agent for tables: the browser and its platform, at most 60 characters. */
export function shortAgent(agent: string | null | undefined): string | null {
  if (!agent) return null
  // Most specific first: Edge and Opera also say Chrome and Safari.
  const browser = ['Edg', 'OPR', 'Firefox', 'Chrome', 'Safari']
    .map((name) => agent.match(new RegExp(`${name}/[\\d.]+`))?.[0])
    .find(Boolean)
  const platform = agent.match(/Windows|Mac OS X|Android|iPhone|iPad|Linux/)?.[0]
  const short = browser
    ? `${browser.replace('Edg/', 'Edge/')}${platform ? ` on ${platform}` : ''}`
    : agent
  return short.length > 60 ? `${short.slice(0, 59)}…` : short
}

/**
 * Where a token was last used: the address and short user agent written with
 * last_used_at (columns last_used_ip / last_used_agent). Read from the model's
 * attributes, or from its extras while the model does not declare them.
 */
export function whereLastUsed(token: {
  $attributes: Record<string, unknown>
  $extras: Record<string, unknown>
}) {
  const pick = (attribute: string, column: string) => {
    const value = token.$attributes[attribute] ?? token.$extras[column]
    return typeof value === 'string' && value !== '' ? value : null
  }
  const ip = pick('lastUsedIp', 'last_used_ip')
  const agent = shortAgent(pick('lastUsedAgent', 'last_used_agent'))
  return { ip, agent, label: [ip, agent].filter(Boolean).join(' · ') || null }
}
