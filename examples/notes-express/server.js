// @ts-check
// A notes service on tenantry and Express: each sign-up is a tenant (an organization with
// its admin), and each tenant's notes live in its own collection, reached through the
// application's own `mongodb` client. Tenants, tokens and error answers are the package's
// (`tenantry`, `tenantry/express`).
//
//   MONGO_URI=mongodb://localhost:27017 JWT_SECRET=$(openssl rand -hex 32) node server.js

import express from 'express'
import { MongoClient, ObjectId } from 'mongodb'
import { TenantManager } from 'tenantry'
import { clientAddress, errorHandler, jsonBody, notFound, requireClaims } from 'tenantry/express'

const manager = await TenantManager.fromEnv()
await manager.recover()
const mongo = new MongoClient(String(manager.settings.mongoUri))

/**
 * The notes of the request's tenant (`requireClaims` verified its claims).
 *
 * @param {import('express').Request} req
 */
const notesOf = (req) => manager.collection(/** @type {import('tenantry').Claims} */ (req.claims), mongo)

/** @param {import('mongodb').WithId<import('mongodb').Document>} doc */
const note = (doc) => ({ id: doc._id.toHexString(), text: doc.text, updated_at: doc.updated_at.toISOString() })

/** @param {string} id */
const noteId = (id) => (ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : null)

const app = express()
app.set('strict routing', true)
const auth = requireClaims(manager)

app.post('/signup', jsonBody(['organization', 'email', 'password']), async (req, res) => {
  const tenant = await manager.createTenant(req.body.organization, req.body.email, req.body.password)
  res.status(201).json({ organization: tenant.name, collection: tenant.collectionName })
})

app.post('/login', jsonBody(['email', 'password']), async (req, res) => {
  const token = await manager.authenticate(req.body.email, req.body.password, clientAddress(manager, req))
  res.json({ token: token.accessToken })
})

app.get('/notes', auth, async (req, res) => {
  res.json((await notesOf(req).find().sort({ _id: 1 }).toArray()).map(note))
})

app.post('/notes', auth, jsonBody(['text']), async (req, res) => {
  const doc = { text: String(req.body.text), updated_at: new Date() }
  const { insertedId } = await notesOf(req).insertOne(doc)
  res.status(201).json(note({ _id: insertedId, ...doc }))
})

app.get('/notes/:id', auth, async (req, res, next) => {
  const id = noteId(req.params.id)
  const doc = id && (await notesOf(req).findOne({ _id: id }))
  if (doc) res.json(note(doc))
  else next()
})

app.put('/notes/:id', auth, jsonBody(['text']), async (req, res, next) => {
  const id = noteId(req.params.id)
  const change = { $set: { text: String(req.body.text), updated_at: new Date() } }
  const doc = id && (await notesOf(req).findOneAndUpdate({ _id: id }, change, { returnDocument: 'after' }))
  if (doc) res.json(note(doc))
  else next()
})

app.delete('/notes/:id', auth, async (req, res, next) => {
  const id = noteId(req.params.id)
  if (id && (await notesOf(req).deleteOne({ _id: id })).deletedCount === 1) res.status(204).end()
  else next()
})

app.put('/organization', auth, jsonBody(['name']), async (req, res) => {
  const tenant = await manager.renameTenant(/** @type {import('tenantry').Claims} */ (req.claims), req.body.name)
  res.json({ organization: tenant.name, collection: tenant.collectionName })
})

app.delete('/organization', auth, async (req, res) => {
  await manager.deleteTenant(/** @type {import('tenantry').Claims} */ (req.claims))
  res.status(204).end()
})

app.use(notFound(), errorHandler())

const server = app.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1')
const stop = () => server.close(() => Promise.all([manager.close(), mongo.close()]).then(() => process.exit(0)))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
