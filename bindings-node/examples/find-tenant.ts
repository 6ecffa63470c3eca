import type { Tenant, TenantManager, TenantryError } from 'tenantry'

export async function findTenant(manager: TenantManager, name: string): Promise<Tenant | null> {
  try {
    return await manager.getTenant(name)
  } catch (e) {
    if ((e as TenantryError).code === 'TENANT_NOT_FOUND') return null
    throw e
  }
}
