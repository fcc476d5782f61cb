import { test } from '@japa/runner'
import { urlFor } from '@adonisjs/core/services/url_builder'
import User from '#models/user'
import { isolateEachTest } from '#tests/helpers/database'
import { makeAccount } from './admin_helpers.js'
import { postForm } from '#tests/helpers/pages'

/** The console's pages without a parameter. */
const pages = () => [
  urlFor('admin.home'),
  urlFor('admin.users.index'),
  urlFor('admin.users.create'),
  urlFor('admin.tokens.index'),
]

test.group('Console: who gets in', (group) => {
  isolateEachTest(group)

  test('a guest gets the 404 of an unknown address, not a sign-in redirect', async ({
    client,
    assert,
  }) => {
    const someone = await makeAccount()
    const unknown = await client.get('/no-such-page')
    unknown.assertStatus(404)
    for (const path of [...pages(), urlFor('admin.users.show', { id: someone.id })]) {
      const response = await client.get(path).redirects(0)
      response.assertStatus(404)
      assert.equal(response.text(), unknown.text(), path)
    }
  })

  test('a signed-in user who is not staff gets the same 404, and cannot act', async ({
    client,
    assert,
  }) => {
    const user = await makeAccount()
    const victim = await makeAccount()
    const unknown = await client.get('/no-such-page')
    for (const path of [...pages(), urlFor('admin.users.show', { id: victim.id })]) {
      const response = await client.get(path).withGuard('web').loginAs(user).redirects(0)
      response.assertStatus(404)
      assert.equal(response.text(), unknown.text(), path)
    }

    const post = await postForm(
      client,
      user,
      urlFor('admin.users.deactivate', { id: victim.id })
    ).redirects(0)
    post.assertStatus(404)
    await victim.refresh()
    assert.isTrue(victim.isActive)

    const dashboard = await client.get(urlFor('dashboard')).withGuard('web').loginAs(user)
    assert.notInclude(dashboard.text(), 'href="/admin/users"')
  })

  test('a deactivated staff member is out at the next request', async ({ client }) => {
    const staff = await makeAccount({ role: 'staff' })
    const allowed = await client.get(urlFor('admin.users.index')).withGuard('web').loginAs(staff)
    allowed.assertStatus(200)
    await User.query().where('id', staff.id).update({ is_active: false })
    const refused = await client
      .get(urlFor('admin.users.index'))
      .withGuard('web')
      .loginAs(staff)
      .redirects(0)
    refused.assertStatus(404)
  })

  test('staff get in, see an Admin link, and every console form carries a CSRF field', async ({
    client,
    assert,
  }) => {
    const staff = await makeAccount({ role: 'superuser' })
    const other = await makeAccount()
    const home = await client.get(urlFor('admin.home')).withGuard('web').loginAs(staff).redirects(0)
    home.assertStatus(302)
    home.assertHeader('location', '/admin/users')

    for (const path of [...pages().slice(1), urlFor('admin.users.show', { id: other.id })]) {
      const response = await client.get(path).withGuard('web').loginAs(staff)
      response.assertStatus(200)
      const html = response.text()
      assert.include(html, 'href="/admin/users" aria-current="page"', path)
      for (const form of html.match(/<form[^>]*method="POST"[\s\S]*?<\/form>/g) ?? []) {
        assert.include(form, "name='_csrf'", path)
      }
    }
  })

  test('a form posted without its CSRF token changes nothing', async ({ client, assert }) => {
    const staff = await makeAccount({ role: 'staff' })
    const user = await makeAccount()
    await client
      .post(urlFor('admin.users.deactivate', { id: user.id }))
      .withGuard('web')
      .loginAs(staff)
      .redirects(0)
    await user.refresh()
    assert.isTrue(user.isActive)
  })
})
