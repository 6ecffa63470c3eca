"""tenantry quick start: create a tenant, log its admin in, use the token, clean up.

Needs a MongoDB server: MONGODB_URI (default mongodb://localhost:27017); the tenant
records go to the database MASTER_DB (default tenantry_quickstart).
"""

import asyncio
import os

from tenantry import TenantManager, TenantNotFound


async def main() -> None:
    async with await TenantManager.connect(
        mongo_uri=os.environ.get("MONGODB_URI", "mongodb://localhost:27017"),
        jwt_secret="change-me-to-a-long-random-secret",
        master_db=os.environ.get("MASTER_DB", "tenantry_quickstart"),
        bcrypt_cost=10,
    ) as manager:
        tenant = await manager.create_tenant("Acme Corp", "admin@acme.example", "correct horse battery")
        print(tenant.name, tenant.collection_name, tenant.created_at.isoformat())

        login = await manager.authenticate("admin@acme.example", "correct horse battery")
        claims = await manager.verify_token(login.access_token)
        print("logged in as admin of", claims.tenant_name)

        # The claims say which tenant: an admin acts on their own tenant only.
        renamed = await manager.rename_tenant(claims, "Acme Inc")
        print("renamed:", renamed.collection_name)

        await manager.delete_tenant(claims)
        try:
            await manager.get_tenant("Acme Inc")
        except TenantNotFound as err:
            print("deleted:", err.code)


asyncio.run(main())
