import { test } from '@japa/runner'
import { changePasswordValidator } from '#validators/account'
import { createUserFormValidator, temporaryPasswordValidator } from '#validators/admin'

/** The first message of each field a validator refuses `data` with. */
async function messages(validator: { tryValidate(data: unknown): Promise<[any, any]> }, data: {}) {
  const [error] = await validator.tryValidate(data)
  return Object.fromEntries(
    [...(error?.messages ?? [])].reverse().map((m: any) => [m.field, m.message])
  )
}

test.group('Password typed twice', () => {
  test('{name}: a mismatch is said on the confirmation field, an empty password asks for one')
    .with([
      {
        name: '/account',
        validator: changePasswordValidator,
        base: { currentPassword: 'current' },
        field: 'newPassword',
        enter: 'Enter a new password.',
        mismatch: 'The two new passwords do not match.',
      },
      {
        name: 'console: add user',
        validator: createUserFormValidator,
        base: { username: 'ada' },
        field: 'password',
        enter: 'Enter a password.',
        mismatch: 'The two passwords do not match.',
      },
      {
        name: 'console: temporary password',
        validator: temporaryPasswordValidator,
        base: {},
        field: 'password',
        enter: 'Enter a temporary password.',
        mismatch: 'The two passwords do not match.',
      },
    ])
    .run(async ({ assert }, { validator, base, field, enter, mismatch }) => {
      const confirmation = `${field}Confirmation`
      assert.deepEqual(
        await messages(validator, { ...base, [field]: 'one password', [confirmation]: 'another' }),
        { [confirmation]: mismatch }
      )
      assert.deepEqual(await messages(validator, { ...base, [field]: '', [confirmation]: '' }), {
        [field]: enter,
      })
      assert.deepEqual(
        await messages(validator, { ...base, [field]: 'same', [confirmation]: 'same' }),
        {}
      )
    })
})
