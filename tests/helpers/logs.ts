import logger from '@adonisjs/core/services/logger'
import { testLogSink } from '#config/logger'

/**
 * The app logger's lines (JSON, one per entry) during a test, at level
 * "info" whatever LOG_LEVEL says: config/logger.ts writes to testLogSink in
 * the test environment. Call restore() in a finally.
 */
export function captureLogs() {
  const level = logger.level
  const lines: string[] = []
  testLogSink.lines = lines
  logger.level = 'info'
  return {
    lines,
    restore() {
      testLogSink.lines = null
      logger.level = level
    },
  }
}
