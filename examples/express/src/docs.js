// @ts-check
// Swagger UI at /docs, served from the swagger-ui-dist package: no CDN, works offline.

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

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Organization Management Service - Swagger UI</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`

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
  router.get('/docs/init.js', (_req, res) => {
    res.type('js').send(INIT)
  })
  router.get('/docs/:asset', (req, res, next) => {
    if (!ASSETS.has(req.params.asset)) return next()
    res.sendFile(path.join(assets, req.params.asset), { maxAge: '1d' })
  })
  return router
}
