import { TenantNotFoundError, type Tenant, type TenantManager } from 'tenantry'

export async function findTenant(manager: TenantManager, name: string): Promise<Tenant | null> {
  try {
    return await manager.getTenant(name)
  } catch (e) {
    if (e instanceof TenantNotFoundError) return null
    throw e
  }
}
