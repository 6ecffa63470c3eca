// @ts-check
// bcrypt runs on the core's hashing threads: while several logins hash at a real
// cost, the Node event loop keeps turning (a 5 ms interval never stalls for long).

import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { after, test } from 'node:test'

import { PASSWORD, closeDriver, freshManager, uniqueEmail, uniqueName } from './helpers.mjs'

after(closeDriver)

const MAX_GAP_MS = 100
/** A busy machine (other builds, fuzzers) can stall any process now and then; hashing on
 * the event loop would stall every attempt, by a whole hash at least, so a retry keeps
 * the test's meaning. */
const ATTEMPTS = 3

/**
 * Run six logins (three good, two wrong passwords, one unknown email) while a 5 ms
 * interval ticks; return how long they took and the longest gap between ticks.
 *
 * @param {import('../index.js').TenantManager} manager
 * @param {string} email
 */
async function loginsWhileTicking(manager, email) {
  /** @type {number[]} */
  const gaps = []
  let last = performance.now()
  const ticker = setInterval(() => {
    const now = performance.now()
    gaps.push(now - last)
    last = now
  }, 5)
  const started = performance.now()
  try {
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => manager.authenticate(email, PASSWORD)),
      ...Array.from({ length: 2 }, () => manager.authenticate(email, 'wrong-password').catch((e) => e)),
      manager.authenticate('unknown@nowhere.example', PASSWORD).catch((e) => e),
    ])
    assert.equal(results.filter((r) => r instanceof Error).length, 3)
  } finally {
    clearInterval(ticker)
  }
  return { elapsed: performance.now() - started, worst: Math.max(...gaps), ticks: gaps.length }
}

test('the event loop stays responsive while logins hash at bcrypt cost 12', async (t) => {
  const { manager } = await freshManager(t, { bcryptCost: 12 })
  const email = uniqueEmail()
  await manager.createTenant(uniqueName(), email, PASSWORD)

  const runs = []
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const run = await loginsWhileTicking(manager, email)
    runs.push(run)
    t.diagnostic(
      `6 logins at cost 12: ${run.elapsed.toFixed(0)} ms, ${run.ticks} ticks, worst gap ${run.worst.toFixed(1)} ms`,
    )
    // Six cost-12 hashes take far longer than the allowed gap: had one run on the event
    // loop, a gap would show it.
    assert.ok(run.elapsed > 3 * MAX_GAP_MS, `the logins were too quick (${run.elapsed} ms) to prove anything`)
    if (run.worst < MAX_GAP_MS && run.ticks > run.elapsed / 20) return
  }
  assert.fail(`event loop stalled in every attempt: ${runs.map((r) => r.worst.toFixed(0)).join(', ')} ms`)
})
