import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { whenEmpty } from '#validators/messages'
import { passwordTypedTwice, passwordTypedTwiceMessages } from '#validators/password'

/** The longest password the console's forms take. */
const MAX_PASSWORD_LENGTH = 256

const pageNumber = () => vine.number().withoutDecimals().min(1).max(1_000_000).optional()
const days = () => vine.number().withoutDecimals().min(1).max(3650).optional()
/** An empty filter field in a GET form is "no filter". */
const blankToUndefined = (value: unknown) => (value === '' ? undefined : value)

function clean(qs: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(qs).map(([key, value]) => [key, blankToUndefined(value)])
  )
}

const userFilters = vine.compile(
  vine.object({
    q: vine.string().trim().maxLength(254).optional(),
    status: vine.enum(['active', 'inactive', 'staff'] as const).optional(),
    sort: vine.enum(['username', 'last_login', '-last_login', '-joined'] as const).optional(),
    page: pageNumber(),
  })
)

const tokenFilters = vine.compile(
  vine.object({
    user: vine.string().trim().maxLength(254).optional(),
    source: vine.enum(['native', 'drf'] as const).optional(),
    expiring: days(),
    unused: days(),
    page: pageNumber(),
  })
)

const filterMessages = new SimpleMessagesProvider({
  enum: 'Choose one of the listed options for {{ field }}.',
  number: '{{ field }} must be a number.',
  min: '{{ field }} must be at least {{ min }}.',
  max: '{{ field }} must be at most {{ max }}.',
  withoutDecimals: '{{ field }} must be a whole number.',
  maxLength: '{{ field }} is too long.',
})

/** Users list filters from the query string. */
export function validateUserFilters(qs: Record<string, unknown>) {
  return userFilters.tryValidate(clean(qs), { messagesProvider: filterMessages })
}

/** Tokens list filters from the query string. */
export function validateTokenFilters(qs: Record<string, unknown>) {
  return tokenFilters.tryValidate(clean(qs), { messagesProvider: filterMessages })
}

/** The console's "Add user" form; the username and password rules are UserService's. */
export const createUserFormValidator = vine.compile(
  vine.object({
    username: vine.string().trim().minLength(1).maxLength(150),
    email: vine.string().trim().email().maxLength(254).optional(),
    password: passwordTypedTwice('passwordConfirmation', MAX_PASSWORD_LENGTH),
    isStaff: vine.boolean().optional(),
    isSuperuser: vine.boolean().optional(),
  })
)

createUserFormValidator.messagesProvider = new SimpleMessagesProvider({
  ...whenEmpty('username', 'Enter a username.'),
  'username.maxLength': 'A username has at most {{ max }} characters.',
  'email.email': 'Enter a valid email address, or leave it empty.',
  ...passwordTypedTwiceMessages('password', 'passwordConfirmation', {
    enter: 'Enter a password.',
    mismatch: 'The two passwords do not match.',
  }),
})

/** A temporary password set by staff (twice), optionally revoking the user's tokens. */
export const temporaryPasswordValidator = vine.compile(
  vine.object({
    password: passwordTypedTwice('passwordConfirmation', MAX_PASSWORD_LENGTH),
    revokeTokens: vine.boolean().optional(),
  })
)

temporaryPasswordValidator.messagesProvider = new SimpleMessagesProvider(
  passwordTypedTwiceMessages('password', 'passwordConfirmation', {
    enter: 'Enter a temporary password.',
    mismatch: 'The two passwords do not match.',
  })
)

/** The superuser's staff / superuser checkboxes (an unticked box is absent). */
export const rolesValidator = vine.compile(
  vine.object({
    isStaff: vine.boolean().optional(),
    isSuperuser: vine.boolean().optional(),
  })
)

/** Where a console form returns to: a console path (with its filters), nothing else. */
export const returnToValidator = vine.compile(
  vine.object({
    returnTo: vine
      .string()
      .maxLength(500)
      .regex(/^\/admin(\/[\w/-]*)?(\?[\w=&%.+~-]*)?$/)
      .optional(),
  })
)

/** Filters carried over to the pagination links (which add their own page). */
export function withoutPage<Filters extends { page?: number }>({ page, ...rest }: Filters) {
  return Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined))
}
