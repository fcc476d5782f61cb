/*
|--------------------------------------------------------------------------
| Validation messages
|--------------------------------------------------------------------------
|
| Default VineJS messages for the JSON API, worded to say what is wrong and
| what would be right. DRF's endpoint uses its own (#validators/auth).
|
*/

import vine, { SimpleMessagesProvider } from '@vinejs/vine'

vine.messagesProvider = new SimpleMessagesProvider({
  'required': 'The {{ field }} field is required.',
  'string': 'The {{ field }} field must be a string.',
  'array': 'The {{ field }} field must be an array.',
  'number': 'The {{ field }} field must be a number.',
  'minLength': 'The {{ field }} field must have at least {{ min }} character(s).',
  'maxLength': 'The {{ field }} field must have at most {{ max }} character(s).',
  'name.minLength': 'The name field must not be blank.',
  'abilities.minLength': 'The abilities field must list at least one ability.',
  'abilities.maxLength': 'The abilities field may list at most {{ max }} abilities.',
  'abilities.distinct': 'The abilities field must not repeat an ability.',
  'abilities.*.regex':
    'Each ability must be "*" or a word such as "tokens:read" (letters, digits, ":", ".", "_", "-").',
  'expiresIn.regex':
    'The expiresIn field must be a number and a unit (s, m, h, d, w), e.g. "30d", or "never".',
})
