// @ts-check
// getTenant through the binding vs the `mongodb` driver's findOne of the same document.
//
//   MONGODB_URI=mongodb://... node bench/get-tenant.mjs [calls=2000] [warmup=200]
//
// Both read one organization record by its indexed name key over a local connection;
// the difference is the binding's cost (name normalization and validation in core, the
// Rust driver, crossing napi, building the result object with Dates).

import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'

import { MongoClient } from 'mongodb'

import { TenantManager } from 'tenantry'

const uri = process.env.MONGODB_URI || process.env.MONGO_URI
if (!uri) {
  console.error('MONGODB_URI must point at a MongoDB-wire server')
  process.exit(2)
}
const calls = Number(process.argv[2] ?? 2000)
const warmup = Number(process.argv[3] ?? 200)
const concurrency = 16

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/**
 * Time `calls` sequential calls after `warmup` untimed ones, then `calls` calls with
 * `concurrency` in flight.
 *
 * @param {string} label
 * @param {() => Promise<unknown>} call
 */
async function measure(label, call) {
  for (let i = 0; i < warmup; i++) await call()
  const times = []
  for (let i = 0; i < calls; i++) {
    const start = performance.now()
    await call()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) await call()
    }),
  )
  const throughput = calls / ((performance.now() - started) / 1000)
  const us = (/** @type {number} */ ms) => `${(ms * 1000).toFixed(0)} µs`
  console.log(
    `${label.padEnd(24)} median ${us(quantile(times, 0.5))}  p90 ${us(quantile(times, 0.9))}  ` +
      `p99 ${us(quantile(times, 0.99))}  | ${concurrency} in flight: ${throughput.toFixed(0)} calls/s`,
  )
  return quantile(times, 0.5)
}

const masterDb = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`
const driver = new MongoClient(uri)
try {
  const manager = await TenantManager.connect({
    mongoUri: uri,
    jwtSecret: 'benchmark-secret-0123456789',
    masterDb,
    bcryptCost: 4,
    // The binding's cost over the driver's, on the same database read: without the cache
    // (which answers in a few µs and is measured in BENCHMARKS.md's hot path).
    cacheCapacity: 0,
  })
  const tenant = await manager.createTenant('Acme Corp', 'admin@acme.example', 'securepassword123')
  const organizations = driver.db(masterDb).collection('organizations')
  const record = await organizations.findOne({ _id: { $exists: true } })
  if (!record) throw new Error('the tenant record is missing')
  const key = record.name_key

  console.log(`${calls} calls after ${warmup} warm-up calls, Node ${process.version}, ${masterDb}`)
  const binding = await measure('binding getTenant', () => manager.getTenant(tenant.name))
  const direct = await measure('driver findOne', () => organizations.findOne({ name_key: key }))
  console.log(`binding / driver median: ${(binding / direct).toFixed(2)}x`)
} finally {
  await driver.db(masterDb).dropDatabase()
  await driver.close()
}
