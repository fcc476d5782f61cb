import type { HttpContext } from '@adonisjs/core/http'

/** The front page: what Gatehouse is, for everyone. */
export default class HomeController {
  async show({ view }: HttpContext) {
    return view.render('pages/home')
  }
}
