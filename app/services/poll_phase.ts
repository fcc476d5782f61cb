/**
 * Which poll phase of the event loop this is, as far as the SQLite token
 * cache's freshness check needs to know (see SqliteChangeLog.sync()).
 *
 * The HTTP server reads requests in the event loop's poll phase; every
 * request read in one poll phase had arrived before that phase's poll
 * returned. So a check made after a request has arrived in the current
 * phase is up to date for every request read in that phase, and for none
 * read later. The phase number moves in the check phase that follows
 * (setImmediate), once per poll phase in which a request arrived. Outside
 * the HTTP server (commands, tests that call services directly) nothing
 * arrives, and every check is made afresh.
 */
let phase = 0
let arrivedIn = -1
let advancing = false

function advance() {
  phase++
  advancing = false
}

/** Called for each HTTP request as it arrives (the server's request handler, in the poll phase). */
export function requestArrived() {
  arrivedIn = phase
  if (!advancing) {
    advancing = true
    setImmediate(advance)
  }
}

/**
 * The current poll phase, if a request has arrived in it (a check made now
 * can serve every request read in it); otherwise undefined.
 */
export function pollPhaseWithArrivals(): number | undefined {
  return arrivedIn === phase ? phase : undefined
}

/** The current poll phase's number (moves only after a phase with arrivals). */
export function currentPollPhase(): number {
  return phase
}
