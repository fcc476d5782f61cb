/** Largest stdin accepted for --password-stdin (passwords are capped far below). */
export const MAX_STDIN_BYTES = 64 * 1024

export interface PasswordSource {
  /** --password-stdin was given. */
  fromStdin: boolean
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  prompt: {
    secure(
      title: string,
      options?: { validate?: (value: string) => boolean | string }
    ): Promise<string>
  }
  /** Asked after stdin and before the prompt (e.g. a password from the environment). */
  fallback?: () => string | undefined
  /** The prompt's title: "Password", "New password". */
  label: string
  /** Said when there is neither stdin, nor a fallback, nor a terminal. */
  noInput: string
}

export type PasswordInput = { password: string } | { error: string }

/**
 * The password of user:create and user:password: stdin (one trailing newline
 * dropped), else the fallback, else a hidden prompt asked twice on a terminal.
 * It never travels as a flag.
 */
export async function readPassword(source: PasswordSource): Promise<PasswordInput> {
  if (source.fromStdin) {
    const value = await readStdin(source.stdin)
    if (value === null) {
      return { error: `The password on stdin is longer than ${MAX_STDIN_BYTES} bytes.` }
    }
    const password = value.replace(/\r?\n$/, '')
    if (password === '') return { error: '--password-stdin was given but stdin was empty.' }
    return { password }
  }

  const fallback = source.fallback?.()
  if (fallback) return { password: fallback }

  if (!source.stdin.isTTY) return { error: source.noInput }

  const password = await source.prompt.secure(source.label, {
    validate: (value) => value.length > 0 || 'The password must not be empty',
  })
  const again = await source.prompt.secure(`${source.label} (again)`)
  if (password !== again) return { error: 'The passwords do not match.' }
  return { password }
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    size += buffer.length
    if (size > MAX_STDIN_BYTES) return null
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
