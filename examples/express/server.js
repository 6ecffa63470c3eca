// @ts-check
// The organization-management contract served by Express on the tenantry Node binding.
//
// Configured like the original service, by the core (`TenantManager.fromEnv`): MONGO_URI
// (or MONGODB_URI), MASTER_DB, JWT_SECRET (required), JWT_ALGO, JWT_EXPIRE_MINUTES,
// BCRYPT_COST (and the extensions' TENANT_LAYOUT, CLUSTERS, OPERATOR_TOKEN,
// DELETED_RETENTION_SECONDS, TENANT_SCHEMA_FILE, PASSWORD_HASH, SESSION_ACCESS_SECONDS,
// SESSION_REFRESH_SECONDS, SIGNING_KEY_SECRET, SIGNING_KEY_LEAD_SECONDS,
// SIGNING_KEY_ROTATION_SECONDS); plus HOST (127.0.0.1), PORT (8000), LOG_FORMAT=json for
// JSON logs and REQUEST_LOG=off to drop the line per request.

import { TenantManager } from 'tenantry'

import { createApp } from './src/app.js'

const json = process.env.LOG_FORMAT === 'json'

// Log lines are gathered and written once per turn of the event loop: one write for many
// requests under load, instead of a blocking write each (stdout to a file or pipe is
// synchronous in Node). Errors go to stderr at once.
/** @type {string[]} */
let pending = []
function flush() {
  const lines = pending
  pending = []
  process.stdout.write(lines.join(''))
}

/** @type {import('./src/app.js').Log} */
function log(level, message, fields = {}) {
  const line = json
    ? JSON.stringify({ timestamp: new Date().toISOString(), level: level.toUpperCase(), message, ...fields })
    : `${new Date().toISOString()} ${level.toUpperCase().padStart(5)} ${message}`
  if (level === 'error') {
    console.error(line)
  } else {
    if (pending.length === 0) setImmediate(flush)
    pending.push(line + '\n')
  }
}

/** @param {string} message */
function fail(message) {
  log('error', message)
  process.exit(2)
}

const host = process.env.HOST || '127.0.0.1'
const portText = process.env.PORT || '8000'
const port = Number(portText)
if (!/^\d+$/.test(portText) || port > 65535) fail(`PORT must be a port number, not '${portText}'`)

let manager
try {
  manager = await TenantManager.fromEnv()
} catch (err) {
  fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`)
}

// Operations a previous process left half done are finished or undone before serving.
try {
  const report = await /** @type {TenantManager} */ (manager).recover()
  for (const failure of report.failed) {
    log('error', `not recovered: ${failure.name} (${failure.code})`, { tenant: failure.name, code: failure.code })
  }
  log('info', 'recovered', {
    completed: report.completed,
    rolled_back: report.rolledBack,
    purged: report.purged,
    failed: report.failed.length,
  })
} catch (err) {
  log('error', `recovery failed; serving anyway: ${err instanceof Error ? err.message : String(err)}`)
}

const app = createApp(/** @type {TenantManager} */ (manager), log, {
  requestLog: process.env.REQUEST_LOG !== 'off',
})
const server = app.listen(port, host, () => {
  log('info', `listening on http://${host}:${port}; docs at http://${host}:${port}/docs`)
})
server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.message}`))

function shutdown() {
  log('info', 'shutting down')
  server.close(() => {
    flush()
    process.exit(0)
  })
  server.closeIdleConnections()
  // Requests still running get a moment to finish.
  setTimeout(() => {
    flush()
    process.exit(0)
  }, 5000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
