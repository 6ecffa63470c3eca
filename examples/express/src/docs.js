// @ts-check
// Swagger UI at /docs, served from the swagger-ui-dist package: no CDN, works offline.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'

import express from 'express'

const require = createRequire(import.meta.url)
const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'))

// Only what the page loads: the package also holds a demo page pointing at a remote API.
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
])

// The page, shared with the Rust server.
const PAGE = readFileSync(new URL('../../swagger-ui.html', import.meta.url), 'utf8')

const INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  })
}
`

/** The docs page and its assets. */
export function docsRouter() {
  const router = express.Router()
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE)
  })
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('js').send(INIT)
  })
  router.get('/docs/:asset', (req, res, next) => {
    if (!ASSETS.has(req.params.asset)) return next()
    res.sendFile(path.join(assets, req.params.asset), { maxAge: '1d' })
  })
  return router
}
