import AuditEvent from '#models/audit_event'
import userService from '#services/user_service'

export const PASSWORD = 'correct horse battery'

let counter = 0

/** A saved user; `role` makes them staff or superuser. */
export function makeAccount(
  options: {
    username?: string
    email?: string | null
    role?: 'staff' | 'superuser'
    isActive?: boolean
  } = {}
) {
  counter++
  const username = options.username ?? `person${counter}`
  return userService.create({
    username,
    email: options.email === undefined ? `${username}@example.com` : options.email,
    password: PASSWORD,
    isActive: options.isActive ?? true,
    isStaff: options.role !== undefined,
    isSuperuser: options.role === 'superuser',
  })
}

/** Recorded events, oldest first, as [event, actorType, actorId, userId]. */
export async function auditRows() {
  const events = await AuditEvent.query().orderBy('id', 'asc')
  return events.map((event) => [event.event, event.actorType, event.actorId, event.userId])
}
