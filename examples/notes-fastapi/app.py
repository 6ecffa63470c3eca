"""A notes service on tenantry and FastAPI: each sign-up is a tenant (an organization with
its admin), and each tenant's notes live in its own collection, reached through the
application's own pymongo client. Everything about tenants, tokens and errors is the
package's (``tenantry.fastapi``).

    MONGO_URI=mongodb://localhost:27017 JWT_SECRET=$(openssl rand -hex 32) python app.py
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Annotated, Any

import uvicorn
from bson import ObjectId
from bson.errors import InvalidId
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

import tenantry.fastapi as glue

app = FastAPI(title="Notes", lifespan=glue.lifespan(driver=lambda s: AsyncMongoClient(s["mongo_uri"])))
glue.install(app)

Notes = Annotated[AsyncCollection[dict[str, Any]], Depends(glue.tenant_collection)]


class SignUp(BaseModel):
    organization: str
    email: str
    password: str


class Login(BaseModel):
    email: str
    password: str


class NoteText(BaseModel):
    text: str


class Rename(BaseModel):
    name: str


def note(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(doc["_id"]), "text": doc["text"], "updated_at": doc["updated_at"].isoformat()}


def note_id(raw: str) -> ObjectId:
    try:
        return ObjectId(raw)
    except InvalidId:
        raise HTTPException(404) from None


@app.post("/signup", status_code=201)
async def sign_up(body: SignUp, manager: glue.Tenants) -> dict[str, str]:
    tenant = await manager.create_tenant(body.organization, body.email, body.password)
    return {"organization": tenant.name, "collection": tenant.collection_name}


@app.post("/login")
async def login(body: Login, request: Request, manager: glue.Tenants) -> dict[str, str]:
    token = await manager.authenticate(body.email, body.password, client=glue.client_address(request))
    return {"token": token.access_token}


@app.get("/notes")
async def list_notes(notes: Notes) -> list[dict[str, Any]]:
    return [note(doc) async for doc in notes.find().sort("_id")]


@app.post("/notes", status_code=201)
async def add_note(body: NoteText, notes: Notes) -> dict[str, Any]:
    doc = {"text": body.text, "updated_at": datetime.now(timezone.utc)}
    doc["_id"] = (await notes.insert_one(doc)).inserted_id
    return note(doc)


@app.get("/notes/{id}")
async def get_note(id: str, notes: Notes) -> dict[str, Any]:
    doc = await notes.find_one({"_id": note_id(id)})
    if doc is None:
        raise HTTPException(404)
    return note(doc)


@app.put("/notes/{id}")
async def edit_note(id: str, body: NoteText, notes: Notes) -> dict[str, Any]:
    change = {"$set": {"text": body.text, "updated_at": datetime.now(timezone.utc)}}
    doc = await notes.find_one_and_update({"_id": note_id(id)}, change, return_document=True)
    if doc is None:
        raise HTTPException(404)
    return note(doc)


@app.delete("/notes/{id}", status_code=204)
async def delete_note(id: str, notes: Notes) -> Response:
    if (await notes.delete_one({"_id": note_id(id)})).deleted_count == 0:
        raise HTTPException(404)
    return Response(status_code=204)


@app.put("/organization")
async def rename(body: Rename, claims: glue.VerifiedClaims, manager: glue.Tenants) -> dict[str, str]:
    tenant = await manager.rename_tenant(claims, body.name)
    return {"organization": tenant.name, "collection": tenant.collection_name}


@app.delete("/organization", status_code=204)
async def leave(claims: glue.VerifiedClaims, manager: glue.Tenants) -> Response:
    await manager.delete_tenant(claims)
    return Response(status_code=204)


if __name__ == "__main__":
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
