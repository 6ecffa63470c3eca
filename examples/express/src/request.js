// @ts-check
// Reading requests the way the contract wants failures reported: JSON bodies checked
// field by field (missing, wrong type, malformed), the `organization_name` query
// parameter, and the Bearer token. Only the shape is checked here; what makes a name,
// an email or a password valid is the core's business.

import express from 'express'

import { NotAuthenticated, SchemaError, TooLarge } from './errors.js'

/** Largest accepted request body. */
export const BODY_LIMIT = 64 * 1024

/**
 * @typedef {{ name: string, optional?: boolean }} Field
 * @typedef {Record<string, string | null | undefined>} Body
 */

// Bytes whatever the Content-Type, so that every malformed body gets the same 400; no
// decompression (a compressed body is not JSON).
const readRaw = express.raw({ type: () => true, limit: BODY_LIMIT, inflate: false })
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * What a JSON value is, in the words serde uses, for type errors.
 *
 * @param {unknown} value
 */
function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'sequence'
  switch (typeof value) {
    case 'boolean':
      return `boolean \`${value}\``
    case 'number':
      return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``
    case 'string':
      return `string ${JSON.stringify(value)}`
    default:
      return 'map'
  }
}

/**
 * Parse and check a JSON body of string fields. Type errors come first, in the order of
 * the body's keys, then the first missing field: the order in which a streaming parser
 * (the reference server's) finds them.
 *
 * @param {Buffer | undefined} raw
 * @param {Field[]} fields
 * @returns {Body}
 */
function parseBody(raw, fields) {
  let text
  try {
    text = utf8.decode(raw ?? new Uint8Array())
  } catch {
    throw new SchemaError('body', 'invalid UTF-8 in the body', 'json_invalid')
  }
  if (text.trim() === '') throw new SchemaError('body', 'EOF while parsing a value', 'json_invalid')
  /** @type {unknown} */
  let value
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new SchemaError('body', err instanceof Error ? err.message : 'invalid JSON', 'json_invalid')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SchemaError('body', `invalid type: ${describe(value)}, expected an object`, 'type_error')
  }
  const object = /** @type {Record<string, unknown>} */ (value)
  const known = new Map(fields.map((f) => [f.name, f]))
  for (const [key, v] of Object.entries(object)) {
    const field = known.get(key)
    if (!field || typeof v === 'string' || (field.optional && v === null)) continue
    throw new SchemaError(key, `invalid type: ${describe(v)}, expected a string`, 'type_error')
  }
  /** @type {Body} */
  const body = {}
  for (const field of fields) {
    const v = Object.hasOwn(object, field.name) ? object[field.name] : undefined
    if (v === undefined && !field.optional) throw new SchemaError(field.name, 'field required', 'missing')
    body[field.name] = /** @type {string | null | undefined} */ (v)
  }
  return body
}

/**
 * Middlewares that read the body and leave it, checked against `fields`, in
 * `res.locals.body`.
 *
 * @param {Field[]} fields
 * @returns {import('express').RequestHandler[]}
 */
export function jsonBody(fields) {
  return [
    readRaw,
    (req, res, next) => {
      res.locals.body = parseBody(Buffer.isBuffer(req.body) ? req.body : undefined, fields)
      next()
    },
  ]
}

/**
 * The body a `jsonBody` middleware left.
 *
 * @param {import('express').Response} res
 * @returns {Body}
 */
export function bodyOf(res) {
  return res.locals.body
}

/**
 * Body-reading failures in the contract's terms: 413 over the limit, 400 otherwise.
 *
 * @param {unknown} err
 */
export function bodyReadError(err) {
  // body-parser's errors carry an HTTP `status` and a `type` such as `entity.too.large`.
  const { status, type } = /** @type {{ status?: unknown, type?: unknown }} */ (err ?? {})
  if (typeof status !== 'number' || typeof type !== 'string' || !(err instanceof Error)) return null
  if (type === 'entity.too.large') return new TooLarge()
  return new SchemaError('body', err.message, 'json_invalid')
}

/**
 * The required `organization_name` query parameter.
 *
 * @param {import('express').Request} req
 */
export function orgNameParam(req) {
  const value = req.query.organization_name
  if (value === undefined) throw new SchemaError('organization_name', 'field required', 'missing')
  if (typeof value !== 'string') {
    throw new SchemaError('organization_name', 'duplicate field `organization_name`', 'type_error')
  }
  return value
}

/**
 * The token of an `Authorization: Bearer <token>` header.
 *
 * @param {import('express').Request} req
 */
export function bearerToken(req) {
  const value = (req.get('authorization') ?? '').trim()
  const space = value.indexOf(' ')
  if (space < 0 || value.slice(0, space).toLowerCase() !== 'bearer') throw new NotAuthenticated()
  const token = value.slice(space + 1).trim()
  if (!token) throw new NotAuthenticated()
  return token
}

/**
 * Middleware requiring a Bearer header (its presence only: the token is verified by the
 * core, after the body has been read), leaving the token in `res.locals.token`.
 *
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 * @param {import('express').NextFunction} next
 * @returns {void}
 */
export function requireBearer(req, res, next) {
  res.locals.token = bearerToken(req)
  next()
}
