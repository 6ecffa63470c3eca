// The README's quick start, runnable: MONGODB_URI=mongodb://... node examples/quickstart.mjs
import { TenantManager, TenantNotFoundError } from 'tenantry'

const manager = await TenantManager.connect({
  mongoUri: process.env.MONGODB_URI ?? 'mongodb://localhost:27017',
  jwtSecret: process.env.JWT_SECRET ?? 'change-me: at least 16 random bytes',
  masterDb: process.env.MASTER_DB ?? 'quickstart_db',
  bcryptCost: 10,
})

// A tenant: its record, its admin and its own collection.
const acme = await manager.createTenant('Acme Corp', 'admin@acme.com', 'securepassword123')
console.log(acme.collectionName, acme.createdAt instanceof Date) // org_acme_corp true

// Log in; the verified claims say which tenant their admin acts on.
const { accessToken } = await manager.authenticate('admin@acme.com', 'securepassword123')
const claims = await manager.verifyToken(accessToken)

// Rename the claims' tenant: the collection moves with its data; the token stays valid.
const renamed = await manager.renameTenant(claims, 'Acme Inc')
console.log(renamed.collectionName) // org_acme_inc

// Errors are classes, one per code.
const err = await manager.getTenant('Acme Corp').catch((e) => e)
console.log(err instanceof TenantNotFoundError, err.code) // true TENANT_NOT_FOUND

await manager.deleteTenant(claims)
await manager.close()
