// @ts-check
// How failures become HTTP responses: one table keyed by the core's stable error codes
// (tests/contract/CONTRACT.md), plus the request-level failures the core never sees
// (schema, missing token, body too large).

/** A request that does not match the schema (the core never saw it). */
export class SchemaError extends Error {
  /**
   * @param {string} field
   * @param {string} message
   * @param {'json_invalid' | 'missing' | 'type_error'} type
   */
  constructor(field, message, type) {
    super(`${field}: ${message}`)
    this.field = field
    this.reason = message
    this.type = type
  }
}

/** No `Authorization: Bearer <token>` header. */
export class NotAuthenticated extends Error {
  constructor() {
    super('Not authenticated')
  }
}

/** The body is over the limit. */
export class TooLarge extends Error {
  constructor() {
    super('Request body too large')
  }
}

/**
 * The contract's 400 body for invalid input.
 *
 * @param {string} field
 * @param {string} message
 * @param {string} type
 */
function validation(field, message, type) {
  return {
    detail: 'Validation error',
    code: 'INVALID_INPUT',
    message: `${field}: ${message}`,
    errors: [{ field, message, type }],
  }
}

/**
 * Is this an error of the binding (an `Error` with the core's string `code`)?
 *
 * @param {unknown} err
 * @returns {err is import('tenantry').TenantryError}
 */
function isTenantryError(err) {
  return err instanceof Error && typeof (/** @type {{ code?: unknown }} */ (err).code) === 'string'
}

/**
 * Answer `err` as the contract says.
 *
 * @param {import('express').Response} res
 * @param {unknown} err
 * @param {(level: 'info' | 'error', message: string) => void} log
 */
export function sendError(res, err, log) {
  if (err instanceof SchemaError) {
    res.status(400).json(validation(err.field, err.reason, err.type))
    return
  }
  if (err instanceof TooLarge) {
    res.status(413).json({ detail: 'Request body too large', code: 'INVALID_INPUT' })
    return
  }
  if (err instanceof NotAuthenticated) {
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ detail: 'Not authenticated', code: 'UNAUTHORIZED' })
    return
  }
  if (!isTenantryError(err)) {
    log('error', `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    res.status(500).json({ detail: 'Internal server error', code: 'INTERNAL' })
    return
  }
  const { code } = err
  switch (code) {
    case 'INVALID_INPUT':
      res.status(400).json(validation(err.field ?? 'body', err.reason ?? err.message, 'value_error'))
      return
    case 'TENANT_ALREADY_EXISTS':
      res.status(400).json({ detail: err.message, code, field: err.field })
      return
    case 'TENANT_NOT_FOUND':
      res.status(404).json({ detail: 'Organization not found', code })
      return
    case 'INVALID_CREDENTIALS':
      res.status(401).json({ detail: 'Invalid email or password', code })
      return
    case 'UNAUTHORIZED':
      log('info', `token refused: ${err.reason ?? err.message}`)
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ detail: 'Could not validate credentials', code })
      return
    case 'FORBIDDEN':
      res.status(403).json({ detail: 'Not authorized to act on this organization', code })
      return
    case 'CONFLICT':
      res.status(409).json({ detail: err.message, code })
      return
    case 'TOO_MANY_ATTEMPTS':
      res
        .status(429)
        .set('Retry-After', String(err.retryAfterSecs ?? 1))
        .json({ detail: err.message, code })
      return
    case 'DATABASE':
      log('error', `database error: ${err.message}`)
      res.status(503).json({ detail: 'Database unavailable', code })
      return
    default:
      log('error', `internal error: ${err.message}`)
      res.status(500).json({ detail: 'Internal server error', code })
  }
}
